"""The queue (search, filters, pages, bulk decisions and their undo), the timeline,
and the reviewer's name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from flows.web.render import desk_of, error, refused, render
from flows.web.security import REVIEWER_COOKIE, checked_form, reviewer_of, safe_next
from flows.web.timeline import timeline
from pipeline.errors import ConflictError, ReviewError
from pipeline.review import (
    ReviewedRecord,
    decide_many,
    last_batch,
    review_state,
    undo_batch,
)
from pipeline.review.search import ClusterView, Filters, queue_page
from pipeline.review.state import evidence_text
from schemas.edtf import parse_or_none

router = APIRouter()

UNDECIDED = frozenset({"pending", "changed"})


def _row(rec: ReviewedRecord | ClusterView, focus_next: str) -> dict[str, Any]:
    return {
        "rec": rec,
        "date": (rec.data.get("date") or {}).get("value") or "",
        "snippet": evidence_text(rec.type, rec.data),
        "lang": rec.languages[0] if len(rec.languages) == 1 else "",
        "focus_next": focus_next,
    }


def _next_undecided(records: Sequence[ReviewedRecord | ClusterView]) -> list[str]:
    """For each row, the record the highlight goes to once it is decided: the next
    undecided row below it, else the nearest one above, else none."""
    undecided = [i for i, r in enumerate(records) if r.status in UNDECIDED]
    targets: list[str] = []
    for i in range(len(records)):
        below = [j for j in undecided if j > i]
        above = [j for j in undecided if j < i]
        pick = below[0] if below else (above[-1] if above else None)
        targets.append(records[pick].id if pick is not None else "")
    return targets


def _url(filters: Filters, page: int = 1, **extra: str) -> str:
    params = {k: v for k, v in asdict(filters).items() if v}
    if page > 1:
        params["page"] = str(page)
    params.update({k: v for k, v in extra.items() if v})
    query = urlencode(params)
    return "/" + (f"?{query}" if query else "")


@router.get("/", response_class=HTMLResponse)
def queue(
    request: Request,
    q: str = "",
    status: str = "",
    type: str = "",
    language: str = "",
    source: str = "",
    date: str = "",
    page: int = 1,
) -> Response:
    filters = Filters(q.strip(), status, type, language, source, date.strip())
    with desk_of(request).store() as st:
        result = queue_page(st, filters, max(page, 1))
        runs = st.runs()
        batch = last_batch(st, reviewer_of(request, {}))
    number = result.number
    targets = _next_undecided(result.records)
    return render(
        request,
        "queue.html",
        rows=[_row(r, t) for r, t in zip(result.records, targets, strict=True)],
        total=result.total,
        page=number,
        pages=result.pages,
        prev_url=_url(filters, number - 1) if number > 1 else "",
        next_url=_url(filters, number + 1) if number < result.pages else "",
        filters=filters,
        languages=result.languages,
        here=_url(filters, number),
        export_query=urlencode({k: v for k, v in asdict(filters).items() if v}),
        orphaned=result.orphaned,
        earlier={
            seq: evidence_text(d.record_id.split(":", 1)[0], result.earlier[seq])
            for d in result.orphaned
            if (seq := d.seq) in result.earlier
        },
        run=runs[-1] if runs else None,
        batch=batch if batch is not None and not batch.undone else None,
        date_error=(
            f"date {filters.date!r}: not a date value (2014, 2014-11, 2014-11-27, 201X, 19XX)"
            if filters.date and parse_or_none(filters.date) is None
            else ""
        ),
    )


def _picked(form: list[tuple[str, str]]) -> list[tuple[str, int]]:
    """``pick`` fields (``record-id@version``) of a bulk form, in page order, no repeats."""
    picked: dict[str, int] = {}
    for name, value in form:
        if name != "pick":
            continue
        rid, sep, version = value.rpartition("@")
        if not sep or not version.isdigit():
            raise ReviewError(f"bulk: {value!r} is not record-id@version")
        picked.setdefault(rid, int(version))
    return list(picked.items())


@router.post("/bulk")
async def bulk(request: Request) -> Response:
    """Accept or reject the selected records (or all on the page): one decision each."""
    form = await checked_form(request)
    back = safe_next((form or {}).get("next"), "/")
    if form is None:
        return refused(request, back)
    raw = await request.form()
    try:
        picked = _picked([(k, str(v)) for k, v in raw.multi_items()])
        with desk_of(request).store() as st:
            decide_many(
                st,
                picked,
                form.get("action", ""),
                reviewer=reviewer_of(request, form),
                note=form.get("note", ""),
            )
    except ConflictError as exc:
        return error(request, 409, "Conflict: someone else decided first", str(exc), back)
    except ReviewError as exc:
        return error(request, 400, "Bulk decision refused", str(exc), back)
    focus = form.get("focus", "")
    target = back + (("&" if "?" in back else "?") + urlencode({"focus": focus}) if focus else "")
    return RedirectResponse(target, status_code=303)


@router.post("/undo")
async def undo(request: Request) -> Response:
    """Take back the last bulk action (one undo entry per record in the log)."""
    form = await checked_form(request)
    back = safe_next((form or {}).get("next"), "/")
    if form is None:
        return refused(request, back)
    try:
        with desk_of(request).store() as st:
            undo_batch(st, form.get("batch", ""), reviewer=reviewer_of(request, form))
    except ConflictError as exc:
        return error(request, 409, "Conflict: someone else decided first", str(exc), back)
    except ReviewError as exc:
        return error(request, 400, "Undo refused", str(exc), back)
    return RedirectResponse(back, status_code=303)


@router.get("/timeline", response_class=HTMLResponse)
def timeline_page(request: Request) -> Response:
    with desk_of(request).store() as st:
        state = review_state(st)
    return render(request, "timeline.html", tl=timeline(state))


@router.post("/reviewer")
async def set_reviewer(request: Request) -> Response:
    form = await checked_form(request)
    back = safe_next((form or {}).get("next"), "/")
    if form is None:
        return refused(request, back)
    name = " ".join(form.get("reviewer", "").split())[:100]
    response = RedirectResponse(back, status_code=303)
    if name:
        response.set_cookie(REVIEWER_COOKIE, name, httponly=True, samesite="strict")
    return response
