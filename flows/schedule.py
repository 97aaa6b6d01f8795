"""Scheduled runs: serve the ingest flow as a Prefect deployment on a cron schedule.

``flow.serve(cron=...)`` needs a real Prefect API (the ephemeral in-process
server does not run schedules). Either point ``PREFECT_API_URL`` at a running
``prefect server start``, or pass ``--with-server`` to start one here; it is
stopped cleanly on SIGTERM/SIGINT.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from pipeline.errors import ConfigError

SERVER_HOST = "127.0.0.1"


def api_healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(api_url.rstrip("/") + "/health", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((SERVER_HOST, 0))
        return int(sock.getsockname()[1])


@contextmanager
def local_server(startup_timeout: float = 90.0) -> Iterator[str]:
    """Start ``prefect server start`` on loopback; yield its API URL; stop it afterwards."""
    port = _free_port()
    api_url = f"http://{SERVER_HOST}:{port}/api"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            SERVER_HOST,
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        while not api_healthy(api_url):
            if proc.poll() is not None:
                raise ConfigError(f"prefect server exited with code {proc.returncode}")
            if time.monotonic() > deadline:
                raise ConfigError(f"prefect server did not start within {startup_timeout:.0f} s")
            time.sleep(0.5)
        yield api_url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def serve_ingest(*, cron: str, with_server: bool, manifest: Path, out: Path) -> None:
    """Serve the ingest flow on ``cron``; refuses in one line when no server is reachable."""
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValueError as exc:
        raise ConfigError(f"invalid cron expression {cron!r}: {exc}") from exc

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    params = {"manifest": str(manifest), "out_dir": str(out)}
    if with_server:
        with local_server() as api_url:
            os.environ["PREFECT_API_URL"] = api_url
            print(
                f"osintdesk serve: started a Prefect server at {api_url}",
                file=sys.stderr,
                flush=True,
            )
            _serve(cron, params)
        return
    api_url = os.environ.get("PREFECT_API_URL", "")
    if not api_url or not api_healthy(api_url):
        where = api_url or "PREFECT_API_URL is not set"
        raise ConfigError(
            f"no Prefect server reachable ({where}): start one with `prefect server start` and "
            "set PREFECT_API_URL=http://127.0.0.1:4200/api, or pass --with-server"
        )
    _serve(cron, params)


def _serve(cron: str, params: dict[str, str]) -> None:
    from flows.ingest import ingest_flow

    try:
        ingest_flow.serve(name="osintdesk-scheduled", cron=cron, parameters=params)
    except KeyboardInterrupt:
        # SIGTERM/SIGINT: the runner has stopped; the caller's context manager stops the server.
        print("osintdesk serve: stopped", file=sys.stderr)
