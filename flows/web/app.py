"""The review web desk: server-rendered pages over the review store.

The pages show scraped, possibly hostile text: see :mod:`flows.web.security`
for what guards them. Routes are grouped by concern: the queue and timeline
(:mod:`~flows.web.routes_queue`), record pages (:mod:`~flows.web.routes_records`),
decisions (:mod:`~flows.web.routes_decisions`), reload and publish
(:mod:`~flows.web.routes_export`), logging in and out (:mod:`~flows.web.routes_login`;
sessions, roles and limits in :mod:`flows.web.auth`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from flows.web import (
    routes_decisions,
    routes_export,
    routes_login,
    routes_queue,
    routes_records,
)
from flows.web.auth import add_login_gate, add_sessions, login_required
from flows.web.render import STATIC, Desk, environment
from flows.web.security import add_guard, allowed_hosts
from pipeline.config import ReviewOptions
from pipeline.review import open_store, sync_output

ROUTE_MODULES = (routes_login, routes_queue, routes_records, routes_decisions, routes_export)
"""Every module whose ``router`` the app includes."""


def create_app(
    out_dir: Path,
    *,
    bind_host: str = "127.0.0.1",
    port: int,
    sync: bool = True,
    options: ReviewOptions | None = None,
) -> FastAPI:
    """The review app over ``out_dir`` (its store is ``out_dir/review.sqlite``).

    A login is required when ``bind_host`` is not loopback or ``options.require_login``.
    """
    out_dir = Path(out_dir)
    options = options or ReviewOptions()
    if sync:
        with open_store(out_dir) as initial:
            sync_output(initial, out_dir)
    app = FastAPI(title="osintdesk review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.desk = Desk(out_dir=out_dir, env=environment())
    # middleware added last runs first: the Host guard, then the session, then the login gate
    add_login_gate(app, out_dir, required=login_required(bind_host, options))
    add_sessions(app, out_dir, options)
    add_guard(app, allowed_hosts(bind_host, port, options.public_hosts))
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for module in ROUTE_MODULES:
        app.include_router(module.router)
    return app
