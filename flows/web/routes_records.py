"""Record pages (events and entities) and the stored snapshot of a document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from flows.web.render import desk_of, error, render
from flows.web.routes_clusters import cluster_page
from flows.web.timeline import deal_label, deal_timeline
from flows.web.views import find_record, record_context
from pipeline.review import review_state
from pipeline.review.clusters import is_cluster_id
from pipeline.review.search import (
    country_deals,
    country_events,
    deal_date,
    record_scope,
    suggest,
)

router = APIRouter()


def record_page(request: Request, record_id: str) -> Response:
    with desk_of(request).store() as st:
        state = record_scope(st, record_id)
        if record_id not in state.records:  # an id a canonical-link edit gave: look wider
            state = review_state(st)
        rec = find_record(state, record_id)
        if rec is None:
            return error(request, 404, "Not found", f"{record_id}: no such record", "/")
        doc_ids = {d for r in state.records.values() for d in r.document_ids}
        docs = st.documents_by_id(doc_ids)
        targets = st.queue_names(rec.type) if rec.type != "event" else {}
    targets.pop(rec.id, None)
    return render(request, "record.html", **record_context(state, rec, docs, targets))


@router.get("/suggest")
def suggest_view(request: Request, type: str = "", q: str = "") -> Response:
    """People or weapons systems matching ``q``, for the link fields of the edit form."""
    if type not in ("person", "weapon"):
        return JSONResponse({"error": "type must be person or weapon"}, status_code=400)
    with desk_of(request).store() as st:
        found = suggest(st, type, q[:200])
    return JSONResponse([{"id": rid, "name": name} for rid, name in found.items()])


@router.get("/country/{code}", response_class=HTMLResponse)
def country(request: Request, code: str) -> Response:
    """A country's events by date with the other countries named, and its deals as
    supplier and as recipient on a timeline."""
    with desk_of(request).store() as st:
        events = country_events(st, code)
        deals = country_deals(st, code)
    code = code.upper()
    partners: dict[str, int] = {}
    for e in events:
        for other in e.data.get("countries", []):
            if other != code:
                partners[other] = partners.get(other, 0) + 1
    years: dict[str, list[Any]] = {}
    for e in events:
        years.setdefault(str(e.date.earliest.year) if e.date else "undated", []).append(e)
    return render(
        request,
        "country.html",
        code=code,
        events=events,
        years=list(years.items()),
        partners=sorted(partners.items(), key=lambda item: (-item[1], item[0])),
        deals=deals,
        deal_tl=deal_timeline(deals),
        deal_years=_deal_years(deals),
        deal_label=deal_label,
    )


def _deal_years(deals: dict[str, list[Any]]) -> list[tuple[str, dict[str, list[Any]]]]:
    """Deals by year (order, else first delivery), each year's as supplier and as
    recipient; undated last."""
    years: dict[str, dict[str, list[Any]]] = {}
    for role, found in deals.items():
        for deal in found:
            date = deal_date(deal.data)
            year = str(date.earliest.year) if date is not None else "undated"
            years.setdefault(year, {r: [] for r in deals})[role].append(deal)
    return sorted(years.items(), key=lambda item: (item[0] == "undated", item[0]))


@router.get("/record/{record_id}", response_class=HTMLResponse)
def record(request: Request, record_id: str) -> Response:
    if is_cluster_id(record_id):
        return cluster_page(request, record_id)
    return record_page(request, record_id)


@router.get("/entity/{record_id}", response_class=HTMLResponse)
def entity(request: Request, record_id: str) -> Response:
    return record_page(request, record_id)


@router.get("/document/{document_id}/snapshot")
def snapshot(request: Request, document_id: str) -> Response:
    """The raw bytes as fetched, as a plain-text download (never rendered)."""
    desk = desk_of(request)
    with desk.store() as st:
        doc = st.document(document_id)
    rel = (doc or {}).get("source", {}).get("snapshot")
    root = desk.out_dir.resolve()
    path = (root / rel).resolve() if rel else None
    if path is None or not path.is_relative_to(root) or not path.is_file():
        return error(request, 404, "Not found", f"{document_id}: no snapshot", "/")
    return Response(
        path.read_bytes(),
        media_type="text/plain",
        headers={
            "Content-Disposition": f'attachment; filename="{path.stem}.txt"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
