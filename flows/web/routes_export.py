"""Files in and out of the desk: reload the output dir, publish to ``OUT/reviewed/``."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from flows.web.render import desk_of, error, refused, render
from flows.web.security import checked_form
from pipeline.errors import OsintdeskError
from pipeline.review import publish, sync_output

router = APIRouter()


@router.post("/sync")
async def sync_view(request: Request) -> Response:
    """Load the output dir again when a pipeline run changed its raw files."""
    if await checked_form(request) is None:
        return refused(request, "/")
    desk = desk_of(request)
    try:
        with desk.store() as st:
            sync_output(st, desk.out_dir)
    except OsintdeskError as exc:
        return error(request, 400, "Reload failed", str(exc), "/")
    return RedirectResponse("/", status_code=303)


@router.post("/publish")
async def publish_view(request: Request) -> Response:
    """Write the reviewed records to ``OUT/reviewed/`` (the raw files stay as they are)."""
    if await checked_form(request) is None:
        return refused(request, "/")
    desk = desk_of(request)
    with desk.store() as st:
        files = publish(st, desk.out_dir)
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    message = f"{len(files)} files written to {desk.out_dir / 'reviewed'} at {stamp}"
    return render(request, "error.html", title="Published", message=message, back="/")
