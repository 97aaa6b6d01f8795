"""Files in and out of the desk: reload the output dir, publish to ``OUT/reviewed/``,
download the queue's current filter."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from flows.web.render import desk_of, error, refused, render
from flows.web.security import checked_form
from pipeline.errors import OsintdeskError
from pipeline.review import publish, review_state, sync_output
from pipeline.review.export import queue_csv, queue_ftm
from pipeline.review.search import Filters, ensure_index, expand
from schemas.edtf import parse_or_none

router = APIRouter()
EXPORT_LIMIT = 100_000  # records in one download; narrow the filter for more


@router.get("/export")
def export_view(
    request: Request,
    format: str = "csv",
    q: str = "",
    status: str = "",
    type: str = "",
    language: str = "",
    source: str = "",
    date: str = "",
) -> Response:
    """The records of the queue's current filter (every page) as CSV or FtM JSON Lines."""
    if format not in ("csv", "ftm"):
        return error(request, 400, "Bad request", "format must be csv or ftm", "/")
    filters = Filters(q.strip(), status, type, language, source, date.strip())
    with desk_of(request).store() as st:
        ensure_index(st)
        within = parse_or_none(filters.date)
        ids, _ = st.queue_page(filters.query(within), limit=EXPORT_LIMIT, offset=0)
        ids = expand(st, ids)  # an event cluster's row: every report of it
        if format == "csv":
            state = review_state(st, only=ids)
            body = queue_csv(state.records[i] for i in ids if i in state.records)
            media, name = "text/csv; charset=utf-8", "osintdesk-queue.csv"
        else:
            scope = review_state(st, only=ids)
            linked = {
                ref
                for r in scope.records.values()
                if r.type == "event"
                for ref in [
                    *r.data.get("people", []),
                    *(w["id"] for w in r.data.get("weapons", [])),
                ]
            }
            state = review_state(st, only={*ids, *linked})
            docs = st.documents_by_id(
                r.data["evidence"]["document_id"]
                for r in state.records.values()
                if r.type == "event"
            )
            body = queue_ftm(state, docs, ids)
            media, name = "application/x-ndjson", "osintdesk-queue.ftm.jsonl"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


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
