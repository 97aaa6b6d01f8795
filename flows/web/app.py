"""The review web desk: server-rendered pages over the review store.

The pages show scraped, possibly hostile text: see :mod:`flows.web.security`
for what guards them. Routes are grouped by concern: the queue and timeline
(:mod:`~flows.web.routes_queue`), record pages (:mod:`~flows.web.routes_records`),
decisions (:mod:`~flows.web.routes_decisions`), reload and publish
(:mod:`~flows.web.routes_export`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from flows.web import routes_decisions, routes_export, routes_queue, routes_records
from flows.web.render import STATIC, Desk, environment
from flows.web.security import add_guard, allowed_hosts
from pipeline.review import open_store, sync_output


def create_app(
    out_dir: Path,
    *,
    bind_host: str = "127.0.0.1",
    port: int,
    sync: bool = True,
    store_url: str | None = None,
) -> FastAPI:
    """The review app over ``out_dir`` (its store is ``out_dir/review.sqlite``, or the
    PostgreSQL database at ``store_url``)."""
    out_dir = Path(out_dir)
    if sync:
        with open_store(out_dir, store_url) as initial:
            sync_output(initial, out_dir)
    app = FastAPI(title="osintdesk review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.desk = Desk(out_dir=out_dir, env=environment(), store_url=store_url)
    add_guard(app, allowed_hosts(bind_host, port))
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for module in (routes_queue, routes_records, routes_decisions, routes_export):
        app.include_router(module.router)
    return app
