"""No orphans: the Prefect server a run starts never outlives it, even after `kill -9`, and a
server recorded by a dead owner is found and stopped (only when it verifiably is ours)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows.prefect_server import process_start_ticks, stop_stale_servers

REPO = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent / "osintdesk"

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = Path(f"/proc/{pid}/stat")
        if not state.exists() or state.read_text().rsplit(")", 1)[-1].split()[0] == "Z":
            return True
        time.sleep(0.2)
    return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _project(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(parents=True)
    (raw / "a.txt").write_text("Vietnam bought six Kilo-class submarines in 2009.\n", "utf-8")
    manifest = raw / "sources.yaml"
    manifest.write_text(
        "version: 1\nsources:\n- id: a\n  kind: file\n  location: raw/a.txt\n", "utf-8"
    )
    return manifest


def test_killed_run_leaves_no_server(tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    run = subprocess.Popen(
        [str(EXE), "run", "--manifest", str(manifest), "--out", str(tmp_path / "out")],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    records = tmp_path / ".osintdesk" / "servers"
    deadline = time.monotonic() + 120
    server_pid = None
    while server_pid is None and time.monotonic() < deadline and run.poll() is None:
        for path in records.glob("*.json"):
            server_pid = json.loads(path.read_text("utf-8"))["pid"]
        time.sleep(0.1)
    assert server_pid is not None, "run recorded the server it started"
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert _gone(server_pid, 30), "the server stopped when its run was killed"


def test_stale_server_of_a_dead_owner_is_stopped(tmp_path: Path) -> None:
    # a server process whose watchdog cannot fire (we hold its stdin open), recorded with an
    # owner that no longer exists: the situation the pid file is for
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "flows.prefect_server", "--port", str(port), "--ephemeral"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        folder = tmp_path / ".osintdesk" / "servers"
        folder.mkdir(parents=True)
        dead_owner = _dead_pid()
        for proc in (server, bystander):
            (folder / f"{proc.pid}.json").write_text(
                json.dumps(
                    {
                        "pid": proc.pid,
                        "port": port,
                        "start_ticks": process_start_ticks(proc.pid),
                        "owner_pid": dead_owner,
                        "owner_start_ticks": 1,
                    }
                ),
                "utf-8",
            )
        stopped = stop_stale_servers(tmp_path)
        assert [s.pid for s in stopped] == [server.pid]
        assert server.wait(timeout=30) is not None
        assert bystander.poll() is None, "a process that is not our server is never signalled"
        assert list(folder.glob("*.json")) == [], "stale records are removed"
    finally:
        for proc in (server, bystander):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_server_of_a_live_owner_is_left_alone(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "flows.prefect_server", "--port", str(port), "--ephemeral"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        folder = tmp_path / ".osintdesk" / "servers"
        folder.mkdir(parents=True)
        record = folder / f"{server.pid}.json"
        record.write_text(
            json.dumps(
                {
                    "pid": server.pid,
                    "port": port,
                    "start_ticks": process_start_ticks(server.pid),
                    "owner_pid": os.getpid(),
                    "owner_start_ticks": process_start_ticks(os.getpid()),
                }
            ),
            "utf-8",
        )
        assert stop_stale_servers(tmp_path) == []
        assert server.poll() is None
        assert record.exists()
    finally:
        server.kill()
        server.wait()
