"""A local Prefect server that osintdesk starts, owns and never leaves behind.

``osintdesk run`` and ``osintdesk serve --with-server`` start the Prefect API in
a child process (``python -m flows.prefect_server``) instead of letting Prefect
start its own "ephemeral" server, for two reasons:

* **One server, known address.** Prefect reads ``PREFECT_API_URL`` from its
  settings context, which is built when Prefect is imported; setting the
  environment variable later is not seen, and Prefect then starts a second,
  ephemeral server. Callers wrap their Prefect work in
  ``prefect.settings.temporary_settings`` with :attr:`LocalServer.api_url`.
* **No orphans.** The child reads its standard input, a pipe whose other end
  only the parent holds. When the parent dies, even by ``kill -9``, the pipe
  closes and the child shuts itself down. Each child is also recorded in a pid
  file under the project (``.osintdesk/servers/``); the next start stops any
  recorded server whose owner is gone, after checking that the process really is
  that server (same pid, same start time, our module on its command line).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.write import atomic_write_text

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
DEFAULT_PORT = 4200
STATE_DIR = Path(".osintdesk") / "servers"
_MODULE = "flows.prefect_server"
_STOP_GRACE_S = 15.0


@dataclass(frozen=True)
class LocalServer:
    pid: int
    port: int

    @property
    def ui_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.ui_url}/api"


def api_healthy(api_url: str, timeout: float = 2.0) -> bool:
    """Whether a Prefect API answers ``/health`` at ``api_url``."""
    try:
        with urllib.request.urlopen(api_url.rstrip("/") + "/health", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        if os.name == "posix":  # as uvicorn binds: a port in TIME_WAIT after a restart is free
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# --------------------------------------------------------------------------- process identity


def process_start_ticks(pid: int) -> int | None:
    """The start time of ``pid`` (clock ticks since boot, from /proc), or None when the
    process does not exist or the platform has no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    fields = stat.rsplit(")", 1)[-1].split()
    try:
        return int(fields[19])  # field 22 of proc(5), counted from field 3
    except (IndexError, ValueError):
        return None


def _cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]


def _alive(pid: int, start_ticks: int | None) -> bool:
    """Whether the process recorded as (pid, start time) still runs (not a reused pid)."""
    if start_ticks is not None:
        return process_start_ticks(pid) == start_ticks
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_our_server(pid: int, port: int, start_ticks: int | None) -> bool:
    """Verified: the process is alive, started when recorded, and runs this module on ``port``."""
    if start_ticks is None or process_start_ticks(pid) != start_ticks:
        return False
    args = _cmdline(pid)
    return _MODULE in args and str(port) in args


# --------------------------------------------------------------------------- pid files


def _state_dir(root: Path) -> Path:
    return root / STATE_DIR


def _record(root: Path, server: LocalServer, started: int | None) -> Path:
    path = _state_dir(root) / f"{server.pid}.json"
    atomic_write_text(
        path,
        json.dumps(
            {
                "pid": server.pid,
                "port": server.port,
                "start_ticks": started,
                "owner_pid": os.getpid(),
                "owner_start_ticks": process_start_ticks(os.getpid()),
            },
            sort_keys=True,
        ),
    )
    return path


def stop_stale_servers(root: Path) -> list[LocalServer]:
    """Stop every recorded server whose owner is gone; return those stopped.

    A record whose server is no longer running (or is no longer verifiably ours) is
    simply removed. Servers whose owner still runs (another ``osintdesk`` at work) are
    left alone.
    """
    stopped: list[LocalServer] = []
    folder = _state_dir(root)
    if not folder.is_dir():
        return stopped
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text("utf-8"))
            server = LocalServer(pid=int(data["pid"]), port=int(data["port"]))
            start_ticks = data.get("start_ticks")
            owner_alive = _alive(int(data["owner_pid"]), data.get("owner_start_ticks"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("removing unreadable server record %s: %s", path, exc)
            path.unlink(missing_ok=True)
            continue
        if owner_alive:
            continue
        if _is_our_server(server.pid, server.port, start_ticks):
            print(
                f"osintdesk: stopping a Prefect server left by an earlier run "
                f"(pid {server.pid}, port {server.port})",
                file=sys.stderr,
                flush=True,
            )
            _terminate_pid(server.pid, start_ticks)
            stopped.append(server)
        path.unlink(missing_ok=True)
    return stopped


def _terminate_pid(pid: int, start_ticks: int | None) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + _STOP_GRACE_S
    while time.monotonic() < deadline:
        if not _alive(pid, start_ticks):
            return
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


# --------------------------------------------------------------------------- parent side


def _server_env(ui: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)  # the server itself is not a client of another one
    env["PREFECT_UI_ENABLED"] = "true" if ui else "false"
    if ui:
        # a server meant to be looked at records task runs, so the UI shows task states
        env["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED"] = "true"
    return env


@contextmanager
def local_server(
    root: Path,
    *,
    port: int | None = None,
    ui: bool = False,
    startup_timeout: float = 120.0,
) -> Iterator[LocalServer]:
    """Start a Prefect server on loopback, yield it, stop it afterwards.

    ``port=None`` picks a free port. With ``ui`` the server runs every service and
    the Prefect UI (a server to schedule on and look at); without, only the services an
    in-process run needs (Prefect's ephemeral set), which starts faster.
    Raises :class:`ConfigError` (one line) when the port is taken or the server fails.
    """
    stop_stale_servers(root)
    chosen = port if port is not None else _free_port()
    if not _port_free(chosen):
        healthy = api_healthy(f"http://{HOST}:{chosen}/api")
        what = "a Prefect server already answers there" if healthy else "something else uses it"
        hint = (
            f"; use it with PREFECT_API_URL=http://{HOST}:{chosen}/api and no --with-server"
            if healthy
            else ""
        )
        raise ConfigError(f"port {chosen} is in use ({what}){hint}, or pass --port N")
    args = [sys.executable, "-m", _MODULE, "--host", HOST, "--port", str(chosen)]
    if not ui:
        args.append("--ephemeral")
    log_path = _state_dir(root) / f"port-{chosen}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log_file:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=_server_env(ui),
            start_new_session=True,  # a Ctrl-C reaches only us, and we stop it in order
        )
    server = LocalServer(pid=proc.pid, port=chosen)
    record = _record(root, server, process_start_ticks(proc.pid))
    keep_log = False
    try:
        deadline = time.monotonic() + startup_timeout
        while not api_healthy(server.api_url, timeout=1.0):
            if proc.poll() is not None:
                keep_log = True
                last = log_path.read_text("utf-8", "replace").strip().splitlines()[-1:] or [""]
                raise ConfigError(
                    f"prefect server on port {chosen} exited with code {proc.returncode}: "
                    f"{last[0]} (log: {log_path})"
                )
            if time.monotonic() > deadline:
                keep_log = True
                raise ConfigError(
                    f"prefect server on port {chosen} did not start within "
                    f"{startup_timeout:.0f} s (log: {log_path})"
                )
            time.sleep(0.2)
        yield server
    finally:
        _stop_child(proc)
        record.unlink(missing_ok=True)
        if not keep_log:
            log_path.unlink(missing_ok=True)


def _stop_child(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=_STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdin is not None:
        proc.stdin.close()


# --------------------------------------------------------------------------- child side


def _exit_when_parent_goes() -> None:
    """Block on stdin (a pipe only the parent holds); at EOF the parent is gone: stop."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful shutdown
    time.sleep(_STOP_GRACE_S)
    os._exit(1)  # still here: the graceful path hung


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {_MODULE}")
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--ephemeral", action="store_true", help="Only the services a local run needs; no UI."
    )
    ns = parser.parse_args(argv)
    threading.Thread(target=_exit_when_parent_goes, name="parent-watch", daemon=True).start()

    import uvicorn
    from prefect.server.api.server import create_app

    app = create_app(ephemeral=ns.ephemeral, final=True)
    uvicorn.run(app, host=ns.host, port=ns.port, log_level="error", lifespan="on")


if __name__ == "__main__":
    main()
