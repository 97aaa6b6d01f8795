"""Making decisions: each action's payload checked, then appended to the store's log.

A decision is refused (ReviewError, one line) when it cannot apply to the
record as it stands in the latest run; a decision made against a stale
version of the record is refused with ConflictError by the store.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.errors import ReviewError
from pipeline.review.edits import apply_edit
from pipeline.review.publish import write_reference_overrides
from pipeline.review.state import Reviewed, ReviewedRecord, review_state
from pipeline.review.store import Decision, Store

PayloadCheck = Callable[[Reviewed, ReviewedRecord, dict[str, Any]], dict[str, Any]]
"""(state, record, payload as sent) -> the payload to store; ReviewError when refused."""


def _no_payload(state: Reviewed, rec: ReviewedRecord, payload: dict[str, Any]) -> dict[str, Any]:
    return {}


def _edit(state: Reviewed, rec: ReviewedRecord, payload: dict[str, Any]) -> dict[str, Any]:
    changes = payload.get("set")
    if not isinstance(changes, dict) or not changes:
        raise ReviewError(f"{rec.id}: edit needs at least one field=value")
    fields = {str(k): str(v) for k, v in changes.items()}
    apply_edit(rec.type, rec.data, fields)
    return {"set": fields}


def _merge(state: Reviewed, rec: ReviewedRecord, payload: dict[str, Any]) -> dict[str, Any]:
    into = str(payload.get("into", "")).strip()
    target = state.records.get(into)
    if target is None:
        raise ReviewError(f"{rec.id}: merge target {into!r} is not in the latest run")
    if rec.type == "event" or target.type != rec.type:
        raise ReviewError(
            f"{rec.id}: only two people or two weapons systems (or two organisations) can be merged"
        )
    if into == rec.id or state.resolve(into) == rec.id:
        raise ReviewError(f"{rec.id}: cannot be merged into itself")
    if rec.merged_into is not None:
        raise ReviewError(f"{rec.id}: already merged into {rec.merged_into}; split it first")
    return {"into": into}


def _split(state: Reviewed, rec: ReviewedRecord, payload: dict[str, Any]) -> dict[str, Any]:
    seq = payload.get("seq")
    merge = next((d for d in rec.merges if d.seq == seq), None)
    if merge is None:
        raise ReviewError(f"{rec.id}: no active merge decision #{seq} to split")
    return {"seq": merge.seq}


def _alias(state: Reviewed, rec: ReviewedRecord, payload: dict[str, Any]) -> dict[str, Any]:
    name = " ".join(str(payload.get("name", "")).split())
    if rec.type == "event" or not name:
        raise ReviewError(f"{rec.id}: an alias needs a person or weapon and a name")
    return {"name": name}


_CHECKS: dict[str, PayloadCheck] = {
    "accept": _no_payload,
    "reject": _no_payload,
    "edit": _edit,
    "merge": _merge,
    "split": _split,
    "alias": _alias,
}


def decide(
    store: Store,
    record_id: str,
    action: str,
    *,
    reviewer: str,
    base_version: int,
    payload: dict[str, Any] | None = None,
    note: str = "",
    out_dir: Path | None = None,
) -> Decision:
    """Validate and append one decision (ConflictError if ``base_version`` is stale).

    With ``out_dir``, an alias also regenerates ``OUT/reference_overrides.yaml``.
    """
    payload = dict(payload or {})
    reviewer = " ".join(reviewer.split())[:100]
    if not reviewer:
        raise ReviewError(f"{record_id}: a reviewer name is required")
    related = [record_id, str(payload.get("into", ""))] if action == "merge" else [record_id]
    state = review_state(store, only=related)
    rec = state.records.get(record_id)
    if rec is None:
        raise ReviewError(f"{record_id}: no such record in the latest run")
    check = _CHECKS.get(action)
    if check is None:
        raise ReviewError(f"{record_id}: unknown action {action!r}")
    decision = store.append_decision(
        record_id,
        action,
        check(state, rec, payload),
        reviewer=reviewer,
        note=note.strip(),
        evidence_hash=rec.evidence_hash,
        base_version=base_version,
    )
    if action == "alias" and out_dir is not None:
        write_reference_overrides(store, out_dir)
    return decision


def split(store: Store, seq: int, *, reviewer: str, note: str = "") -> Decision:
    """Undo merge decision ``seq`` (the merged-away record comes back)."""
    merge = next((d for d in store.decisions() if d.seq == seq), None)
    if merge is None or merge.action != "merge":
        raise ReviewError(f"decision #{seq}: not a merge decision")
    return decide(
        store,
        merge.record_id,
        "split",
        reviewer=reviewer,
        note=note,
        payload={"seq": seq},
        base_version=store.version(merge.record_id),
    )
