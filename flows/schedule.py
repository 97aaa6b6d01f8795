"""Scheduled runs: serve the ingest flow as a Prefect deployment on a cron schedule.

Schedules need a real Prefect server: its scheduler service creates the flow runs
and this process's Runner polls for them and executes them. Either point
``PREFECT_API_URL`` (environment or Prefect profile) at a long-lived
``prefect server start``, or pass ``--with-server`` to start one here on a fixed
port (4200 unless ``--port``). The deployment is registered on that one server,
and the Runner talks to the same one: the API address is handed to Prefect
through ``temporary_settings``, never by editing the environment after Prefect
was imported (Prefect would not see it and would start an ephemeral server).

The Runner runs in a worker thread with its own event loop; this (main) thread
owns SIGTERM/SIGINT, asks the Runner to stop with ``await runner.astop()`` in the
Runner's own loop, then stops the server it started.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from flows.prefect_server import DEFAULT_PORT, api_healthy, local_server
from pipeline.errors import ConfigError
from pipeline.sources import project_root

DEPLOYMENT_NAME = "osintdesk-scheduled"
RUNNER_NAME = "osintdesk"
_STOP_TIMEOUT_S = 60.0


def check_cron(cron: str) -> None:
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron)
    except ValueError as exc:
        raise ConfigError(f"invalid cron expression {cron!r}: {exc}") from exc


def configured_api_url() -> str | None:
    """The API address to use: ``PREFECT_API_URL`` from the environment (read now), else
    Prefect's current settings (its profile, or a settings context around the caller)."""
    from prefect.settings import PREFECT_API_URL

    value = os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value()
    return str(value) if value else None


def serve_ingest(
    *,
    cron: str,
    with_server: bool,
    port: int | None,
    manifest: Path,
    out: Path,
    engine: dict[str, Any] | None = None,
) -> None:
    """Serve the ingest flow on ``cron``; refuses in one line when no server is reachable.

    ``engine`` (the command line's ``--workers``/``--dask-address``) is fixed in the
    deployment's parameters; without it each run reads the options file's ``engine``."""
    check_cron(cron)
    params: dict[str, Any] = {"manifest": str(manifest.resolve()), "out_dir": str(out.resolve())}
    if engine is not None:
        params["engine_options"] = engine
    if with_server:
        with local_server(project_root(manifest), port=port or DEFAULT_PORT, ui=True) as server:
            _say(f"Prefect server and UI at {server.ui_url} (API {server.api_url})")
            serve_on(server.api_url, cron, params)
        return
    if port is not None:
        raise ConfigError("--port applies to --with-server only; PREFECT_API_URL names a server")
    api_url = configured_api_url()
    if not api_url or not api_healthy(api_url):
        where = api_url or "PREFECT_API_URL is not set"
        raise ConfigError(
            f"no Prefect server reachable ({where}): start one with `prefect server start` and "
            "set PREFECT_API_URL=http://127.0.0.1:4200/api, or pass --with-server"
        )
    _say(f"serving on the Prefect server at {api_url}")
    serve_on(api_url, cron, params)


def _say(message: str) -> None:
    print(f"osintdesk serve: {message}", file=sys.stderr, flush=True)


def serve_on(api_url: str, cron: str, params: dict[str, Any]) -> None:
    """Register the deployment on ``api_url`` and run its scheduled runs until SIGTERM/SIGINT."""
    stop = threading.Event()
    state: dict[str, Any] = {}

    def _request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    worker = threading.Thread(
        target=_runner_thread, args=(api_url, cron, params, stop, state), name="prefect-runner"
    )
    try:
        worker.start()
        while worker.is_alive() and not stop.wait(0.5):
            pass
        stop.set()
        worker.join(_STOP_TIMEOUT_S)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if "error" in state:
        error = state["error"]
        raise ConfigError(f"the Prefect runner failed: {type(error).__name__}: {error}")
    if worker.is_alive():
        raise ConfigError(f"the Prefect runner did not stop within {_STOP_TIMEOUT_S:.0f} s")
    _say("stopped")


def _runner_thread(
    api_url: str, cron: str, params: dict[str, Any], stop: threading.Event, state: dict[str, Any]
) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    try:
        # settings live in a context variable: a new thread starts from the defaults
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            asyncio.run(_serve_until_stopped(cron, params, stop))
    except BaseException as exc:  # reported by the main thread as one line
        state["error"] = exc


async def _serve_until_stopped(cron: str, params: dict[str, Any], stop: threading.Event) -> None:
    from prefect.runner import Runner

    from flows.ingest import scheduled_flow

    # Outside the main thread the Runner installs no signal handler of its own.
    runner = Runner(name=RUNNER_NAME, pause_on_shutdown=True)
    deployment_id = await runner.aadd_flow(
        scheduled_flow, name=DEPLOYMENT_NAME, cron=cron, parameters=params
    )
    _say(f"deployment {scheduled_flow.name}/{DEPLOYMENT_NAME} ({deployment_id}) on cron {cron!r}")
    task = asyncio.create_task(runner.start())
    while not stop.is_set() and not task.done():
        await asyncio.sleep(0.5)
    if not task.done():
        if runner.started:
            await runner.astop()
        else:
            task.cancel()
    with contextlib.suppress(asyncio.CancelledError):  # cancelled before it started
        await task
