"""`osintdesk serve --with-server`: a real local Prefect server, the deployment registered on
the schedule, and a clean stop of both on SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _deployments(api_url: str) -> list[dict[str, object]]:
    request = urllib.request.Request(
        api_url + "/deployments/filter",
        data=b"{}",
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        return list(json.loads(resp.read()))


def test_serve_with_server_registers_schedule_and_stops(tmp_path: Path) -> None:
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    env.pop("PREFECT_API_URL", None)
    exe = Path(sys.executable).parent / "osintdesk"
    proc = subprocess.Popen(
        [str(exe), "serve", "--cron", "0 6 * * *", "--with-server"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or []), daemon=True)
    reader.start()
    try:
        api_url = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            found = [
                m for line in lines if (m := re.search(r"(http://127\.0\.0\.1:\d+/api)", line))
            ]
            if found:
                api_url = found[0].group(1)
                names = [d["name"] for d in _deployments(api_url)] if api_url else []
                if "osintdesk-scheduled" in names:
                    break
            time.sleep(1)
        else:
            pytest.fail(f"serve did not register a deployment: {''.join(lines)[-2000:]}")
        deployment = next(d for d in _deployments(api_url) if d["name"] == "osintdesk-scheduled")
        crons = [s["schedule"].get("cron") for s in deployment["schedules"]]  # type: ignore[index, union-attr]
        assert crons == ["0 6 * * *"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert code == 0, "".join(lines)[-2000:]
    with pytest.raises(OSError):
        _deployments(api_url)  # the server it started is gone
