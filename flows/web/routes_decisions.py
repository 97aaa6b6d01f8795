"""Decisions from the web: accept, reject, edit, merge, alias, and split of a merge.

Two reviewers deciding the same record: the store's version check makes the
second one get a 409 conflict page instead of a lost update.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from flows.web.render import desk_of, error, refused
from flows.web.security import checked_form, reviewer_of, safe_next
from pipeline.errors import ConflictError, ReviewError
from pipeline.review import EDITABLE, decide, split
from pipeline.review.clusters import is_cluster_id, members_of

router = APIRouter()


def _payload(record_id: str, action: str, form: dict[str, str]) -> dict[str, Any]:
    """The decision payload from the form: only fields the reviewer changed are edits."""
    if action == "edit":
        fields = EDITABLE.get(record_id.split(":", 1)[0], ())
        return {
            "set": {
                f: form[f"set_{f}"].strip()
                for f in fields
                if f"set_{f}" in form and form[f"set_{f}"].strip() != form.get(f"was_{f}", "")
            }
        }
    if action == "merge":
        return {"into": form.get("into_id", "").strip() or form.get("into", "")}
    if action == "alias":
        return {"name": form.get("alias", "")}
    return {}


@router.post("/record/{record_id}/decide")
async def decide_view(request: Request, record_id: str) -> Response:
    form = await checked_form(request)
    back = f"/record/{record_id}"
    if form is None:
        return refused(request, back)
    action = form.get("action", "")
    try:
        version = int(form.get("base_version", ""))
    except ValueError:
        return error(request, 400, "Bad request", "base_version must be a number", back)
    desk = desk_of(request)
    payload = _payload(record_id, action, form)
    try:
        with desk.store() as st:
            if is_cluster_id(record_id):
                # the split reports: every ticked box; the page to come back to: the
                # cluster of a report that stays (merges and splits change cluster ids)
                raw = await request.form()
                leaving = [str(v) for k, v in raw.multi_items() if k == "events"]
                payload = {**payload, "events": leaving} if action == "split" else payload
                _, members = members_of(st, record_id)
                stays = next((m.event_id for m in members if m.event_id not in leaving), "")
                back = f"/cluster/{stays}" if stays else back
            decide(
                st,
                record_id,
                action,
                reviewer=reviewer_of(request, form),
                base_version=version,
                payload=payload,
                note=form.get("note", ""),
                out_dir=desk.out_dir,
            )
    except ConflictError as exc:
        return error(request, 409, "Conflict: someone else decided first", str(exc), back)
    except ReviewError as exc:
        return error(request, 400, "Decision refused", str(exc), back)
    return RedirectResponse(safe_next(form.get("next"), back), status_code=303)


@router.post("/split/{seq}")
async def split_view(request: Request, seq: int) -> Response:
    form = await checked_form(request)
    back = safe_next((form or {}).get("next"), "/")
    if form is None:
        return refused(request, back)
    try:
        with desk_of(request).store() as st:
            split(st, seq, reviewer=reviewer_of(request, form), note=form.get("note", ""))
    except ReviewError as exc:
        return error(request, 400, "Split refused", str(exc), back)
    return RedirectResponse(back, status_code=303)
