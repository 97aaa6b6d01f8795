"""The queue (with its filters), the timeline, and the reviewer's name."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from flows.web.render import desk_of, refused, render
from flows.web.security import REVIEWER_COOKIE, checked_form, safe_next
from flows.web.timeline import timeline
from pipeline.review import ReviewedRecord, date_order, review_state
from schemas.edtf import Edtf, parse_or_none

router = APIRouter()

QUEUE_LIMIT = 500  # rows per queue page; filters narrow the rest
STATUS_ORDER = {"changed": 0, "pending": 1, "accepted": 2, "rejected": 3}


@dataclass(frozen=True)
class Filters:
    status: str = ""
    type: str = ""
    language: str = ""
    source: str = ""
    date: str = ""


def _sites(rec: ReviewedRecord, docs: dict[str, dict[str, Any]]) -> set[str]:
    return {
        str(docs[d].get("site") or "") + " " + str(docs[d]["source"]["location"])
        for d in rec.document_ids
        if d in docs
    }


def _matches(
    rec: ReviewedRecord, f: Filters, within: Edtf | None, docs: dict[str, dict[str, Any]]
) -> bool:
    """Whether a record passes the filters; ``within``: the parsed date filter."""
    if (f.status and rec.status != f.status) or (f.type and rec.type != f.type):
        return False
    if f.language and f.language not in rec.languages:
        return False
    if f.source and not any(f.source.lower() in s.lower() for s in _sites(rec, docs)):
        return False
    if f.date:  # events dated within the filter's value
        return within is not None and rec.date is not None and within.contains(rec.date)
    return True


def _row(rec: ReviewedRecord) -> dict[str, Any]:
    snippet = (
        rec.data["evidence"]["sentence"]
        if rec.type == "event"
        else "; ".join(sorted({m["text"] for m in rec.data.get("mentions", [])}))
    )
    return {
        "rec": rec,
        "date": (rec.data.get("date") or {}).get("value") or "",
        "snippet": snippet,
        "lang": rec.languages[0] if len(rec.languages) == 1 else "",
    }


@router.get("/", response_class=HTMLResponse)
def queue(
    request: Request,
    status: str = "",
    type: str = "",
    language: str = "",
    source: str = "",
    date: str = "",
) -> Response:
    filters = Filters(status, type, language, source, date.strip())
    within = parse_or_none(filters.date)
    with desk_of(request).store() as st:
        state = review_state(st)
        docs = st.documents()
        runs = st.runs()
    recs = [r for r in state.survivors() if _matches(r, filters, within, docs)]
    recs.sort(key=lambda r: (STATUS_ORDER[r.status], r.type, date_order(r.date), r.id))
    query = urlencode({k: v for k, v in asdict(filters).items() if v})
    return render(
        request,
        "queue.html",
        rows=[_row(r) for r in recs[:QUEUE_LIMIT]],
        total=len(recs),
        filters=filters,
        languages=sorted({lang for rec in state.survivors() for lang in rec.languages}),
        here="/" + (f"?{query}" if query else ""),
        orphaned=state.orphaned,
        run=runs[-1] if runs else None,
        date_error=(
            f"date {filters.date!r}: not a date value (2014, 2014-11, 2014-11-27, 201X, 19XX)"
            if filters.date and within is None
            else ""
        ),
    )


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
