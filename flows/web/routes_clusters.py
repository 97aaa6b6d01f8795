"""The page of one real-world event told by several reports (an event cluster): its
sources, one decision for all of them, and the reviewer's merge and split."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from flows.web.render import desk_of, error, render, text_dir
from flows.web.views import document_view
from pipeline.errors import ReviewError
from pipeline.review import review_state
from pipeline.review.clusters import cluster_history, cluster_sentence, members_of
from pipeline.review.history import when
from pipeline.review.search import ClusterView, Filters, cluster_views, queue_page

router = APIRouter()
CANDIDATES = 30


def _candidates(st: Any, view: ClusterView) -> list[Any]:
    """Other events of the same type and year: what a reviewer merges this one with."""
    date = view.date
    filters = Filters(type="event", date=str(date.earliest.year) if date else "")
    rows = queue_page(st, filters, 1, size=CANDIDATES).records
    return [r for r in rows if r.id != view.id and r.data.get("type") == view.data["type"]]


def _report(rec: Any, docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    evidence = rec.data["evidence"]
    return {
        "rec": rec,
        "language": evidence["language"],
        "dir": text_dir(evidence["language"]),
        "sentence": evidence["sentence"],
        "date": (rec.data.get("date") or {}).get("value") or "",
        "document": document_view(docs.get(evidence["document_id"])),
    }


def cluster_page(request: Request, cluster_id: str) -> Response:
    with desk_of(request).store() as st:
        try:
            cid, members = members_of(st, cluster_id)
        except ReviewError as exc:
            return error(request, 404, "Not found", str(exc), "/")
        state = review_state(st, only=[m.event_id for m in members])
        view = cluster_views(st, state, [cid], st.decisions()).get(cid)
        if view is None:
            return error(request, 404, "Not found", f"{cluster_id}: no such event cluster", "/")
        docs = st.documents_by_id(view.document_ids)
        logged = cluster_history(st, cid)
        candidates = _candidates(st, view)
    return render(
        request,
        "cluster.html",
        view=view,
        reports=[_report(m, docs) for m in view.members],
        candidates=candidates,
        history=[
            {"seq": d.seq, "reviewer": d.reviewer, "text": cluster_sentence(d), "at": when(d.at)}
            | {"note": d.note}
            for d in logged
        ],
    )


@router.get("/cluster/{cluster_id}", response_class=HTMLResponse)
def cluster(request: Request, cluster_id: str) -> Response:
    return cluster_page(request, cluster_id)
