"""`osintdesk serve`: the deployment registered on one server, a one-minute cron that really
fires (a COMPLETED flow run whose output is on disk), and a clean stop on SIGTERM.

These tests start real Prefect servers and wait for the wall clock; each takes up to about
two and a half minutes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent / "osintdesk"
FIRE_WITHIN_S = 150


def _post(api_url: str, path: str, body: object) -> list[dict[str, object]]:
    request = urllib.request.Request(
        api_url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return list(json.loads(resp.read()))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(api_url + "/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


def _project(tmp_path: Path) -> Path:
    """A one-source project: the run it schedules is small and fast."""
    raw = tmp_path / "project" / "raw"
    raw.mkdir(parents=True)
    (raw / "note.txt").write_text(
        "Vietnam signed a contract for six Kilo-class submarines in December 2009.\n\n"
        "The first submarine was delivered to the Vietnamese navy in 2013.\n",
        "utf-8",
    )
    manifest = raw / "sources.yaml"
    manifest.write_text(
        "version: 1\nsources:\n- id: note\n  kind: file\n  location: raw/note.txt\n", "utf-8"
    )
    return manifest


class _Proc:
    """A child process whose stderr is collected in the background."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            args,
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        threading.Thread(
            target=lambda: self.lines.extend(self.popen.stderr or []), daemon=True
        ).start()

    def text(self) -> str:
        return "".join(self.lines)[-3000:]

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            raise


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    return env


@pytest.fixture
def long_lived_server(env: dict[str, str]) -> Iterator[str]:
    """`prefect server start`, as the README's production recipe starts it."""
    port = _free_port()
    proc = _Proc(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port",
         str(port)],
        env,
    )  # fmt: skip
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while not _healthy(api_url):
            assert proc.popen.poll() is None, proc.text()
            assert time.monotonic() < deadline, "prefect server start did not come up"
            time.sleep(0.5)
        yield api_url
    finally:
        proc.stop()


def _wait_for_completed_run(proc: _Proc, api_url: str, out: Path) -> None:
    deadline: float | None = None
    overall = time.monotonic() + 240 + FIRE_WITHIN_S  # server start on a busy machine
    deployment_id = None
    while time.monotonic() < overall:
        assert proc.popen.poll() is None, f"serve exited early:\n{proc.text()}"
        if _healthy(api_url):
            if deployment_id is None:
                found = [
                    d for d in _post(api_url, "/deployments/filter", {})
                    if d["name"] == "osintdesk-scheduled"
                ]  # fmt: skip
                if found:
                    deployment_id = found[0]["id"]
                    crons = [s["schedule"]["cron"] for s in found[0]["schedules"]]  # type: ignore[index, union-attr]
                    assert crons == ["* * * * *"]
                    deadline = time.monotonic() + FIRE_WITHIN_S
            else:
                runs = _post(api_url, "/flow_runs/filter", {})
                states = [r["state_type"] for r in runs if r["deployment_id"] == deployment_id]
                if "COMPLETED" in states:
                    break
                assert "FAILED" not in states and "CRASHED" not in states, proc.text()
        if deadline is not None and time.monotonic() > deadline:
            pytest.fail(f"no COMPLETED scheduled run within {FIRE_WITHIN_S} s:\n{proc.text()}")
        time.sleep(2)
    else:
        pytest.fail(f"serve never registered its deployment:\n{proc.text()}")
    documents = list((out / "documents").glob("*.json"))
    assert len(documents) == 1, "the scheduled run wrote its document"
    assert json.loads(documents[0].read_text("utf-8"))["source"]["source_id"] == "note"


def _assert_clean_stop(proc: _Proc) -> None:
    code = proc.stop()
    text = proc.text()
    assert code == 0, text
    assert "never awaited" not in text
    assert "ephemeral" not in text.lower(), "a second (ephemeral) server was involved"


def test_serve_with_server_fires_on_schedule(tmp_path: Path, env: dict[str, str]) -> None:
    manifest = _project(tmp_path)
    out = tmp_path / "out"
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    proc = _Proc(
        [str(EXE), "serve", "--cron", "* * * * *", "--with-server", "--port", str(port),
         "--manifest", str(manifest), "--out", str(out)],
        env,
    )  # fmt: skip
    try:
        _wait_for_completed_run(proc, api_url, out)
        assert f"UI at http://127.0.0.1:{port}" in proc.text()
    finally:
        _assert_clean_stop(proc)
    assert not _healthy(api_url), "the server serve started is gone after SIGTERM"
    records = list((manifest.parents[1] / ".osintdesk" / "servers").glob("*.json"))
    assert records == [], "the server's pid record is removed"


def test_serve_on_long_lived_server_fires_on_schedule(
    tmp_path: Path, env: dict[str, str], long_lived_server: str
) -> None:
    manifest = _project(tmp_path)
    out = tmp_path / "out"
    proc = _Proc(
        [str(EXE), "serve", "--cron", "* * * * *", "--manifest", str(manifest), "--out",
         str(out)],
        {**env, "PREFECT_API_URL": long_lived_server},
    )  # fmt: skip
    try:
        _wait_for_completed_run(proc, long_lived_server, out)
    finally:
        _assert_clean_stop(proc)
    assert _healthy(long_lived_server), "serve leaves a server it did not start running"


def test_serve_without_server_says_so_in_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    manifest = _project(tmp_path)
    done = subprocess.run(
        [str(EXE), "serve", "--cron", "* * * * *", "--manifest", str(manifest)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: no Prefect server reachable")
    assert len(done.stderr.strip().splitlines()) == 1


def test_serve_refuses_a_port_in_use(tmp_path: Path, env: dict[str, str]) -> None:
    manifest = _project(tmp_path)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [str(EXE), "serve", "--with-server", "--port", str(port), "--manifest", str(manifest)],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert f"port {port} is in use" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
