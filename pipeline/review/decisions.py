"""Making decisions: each action's payload checked, then appended to the store's log.

A decision is refused (ReviewError, one line) when it cannot apply to the
record as it stands in the latest run; a decision made against a stale
version of the record is refused with ConflictError by the store.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import ReviewError
from pipeline.review import clusters
from pipeline.review.edits import apply_edit, link_ids
from pipeline.review.publish import write_reference_overrides
from pipeline.review.state import EVIDENCE_ACTIONS, Reviewed, ReviewedRecord, review_state
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


def _check_links(store: Store, record_id: str, payload: dict[str, Any]) -> None:
    """A links edit (people, weapons) may only name records of the latest run."""
    changes = payload.get("set") if isinstance(payload.get("set"), dict) else {}
    named = {i for field in LINK_FIELDS for i in link_ids(str((changes or {}).get(field, "")))}
    if not named:
        return
    known = {r.id for r in store.records(ids=named)} | {
        r.data["id"] for r in store.records(ids=named)
    }
    unknown = sorted(named - known)
    if unknown:
        raise ReviewError(f"{record_id}: no such record in the latest run: {', '.join(unknown)}")


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


def _undo(state: Reviewed, rec: ReviewedRecord, payload: dict[str, Any]) -> dict[str, Any]:
    seq = payload.get("seq")
    mine = [*rec.carried, *(d for d in rec.decisions if d.record_id == rec.id)]
    target = next((d for d in mine if d.seq == seq and d.action in EVIDENCE_ACTIONS), None)
    if target is None:
        raise ReviewError(f"{rec.id}: no accept, reject or edit #{seq} of this record to undo")
    if any(d.action == "undo" and d.payload.get("seq") == seq for d in mine):
        raise ReviewError(f"{rec.id}: decision #{seq} is already undone")
    return {"seq": target.seq, **({"batch": payload["batch"]} if "batch" in payload else {})}


_CHECKS: dict[str, PayloadCheck] = {
    "accept": _no_payload,
    "reject": _no_payload,
    "edit": _edit,
    "merge": _merge,
    "split": _split,
    "alias": _alias,
    "undo": _undo,
}
BULK_ACTIONS = ("accept", "reject")
LINK_FIELDS = ("people", "weapons")


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
    if clusters.is_cluster_id(record_id) or (action == "merge" and record_id.startswith("event:")):
        # a whole event cluster; two events merged are their two clusters merged
        return clusters.decide_cluster(
            store,
            record_id,
            action,
            reviewer=reviewer,
            base_version=base_version,
            payload=payload,
            note=note,
        )
    related = [record_id, str(payload.get("into", ""))] if action == "merge" else [record_id]
    state = review_state(store, only=related)
    rec = state.records.get(record_id)
    if rec is None:
        raise ReviewError(f"{record_id}: no such record in the latest run")
    check = _CHECKS.get(action)
    if check is None:
        raise ReviewError(f"{record_id}: unknown action {action!r}")
    if action == "edit":
        _check_links(store, record_id, payload)
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


@dataclass(frozen=True)
class Batch:
    """The decisions of one bulk action (one log entry per record, same ``batch`` id)."""

    id: str
    action: str
    reviewer: str
    decisions: tuple[Decision, ...]
    undone: bool


def decide_many(
    store: Store,
    versions: Sequence[tuple[str, int]],
    action: str,
    *,
    reviewer: str,
    note: str = "",
) -> Batch:
    """Accept or reject several records at once: one decision per record, one transaction.

    ``versions``: (record id, version the reviewer saw) pairs. Every decision carries
    the same ``batch`` id in its payload, which :func:`undo_batch` takes back.
    """
    if action not in BULK_ACTIONS:
        raise ReviewError(
            f"bulk {action!r}: only {' and '.join(BULK_ACTIONS)} work on many records"
        )
    reviewer = " ".join(reviewer.split())[:100]
    if not reviewer:
        raise ReviewError("bulk decision: a reviewer name is required")
    wanted = dict(versions)
    if not wanted:
        raise ReviewError(f"bulk {action}: no records selected")
    state = review_state(store, only=[r for r in wanted if not clusters.is_cluster_id(r)])
    batch = secrets.token_hex(8)
    entries = []
    for rid, version in wanted.items():
        if clusters.is_cluster_id(rid):  # a whole event cluster: one decision for it
            cid, payload, digest = clusters.cluster_payload(store, rid, action, {"batch": batch})
            entries.append(
                {
                    "record_id": cid,
                    "action": action,
                    "payload": payload,
                    "note": note.strip(),
                    "evidence_hash": digest,
                    "base_version": version,
                }
            )
            continue
        rec = state.records.get(rid)
        if rec is None:
            raise ReviewError(f"{rid}: no such record in the latest run")
        if rec.merged_into is not None:
            raise ReviewError(f"{rid}: merged into {rec.merged_into}; decide about that record")
        entries.append(
            {
                "record_id": rid,
                "action": action,
                "payload": {"batch": batch},
                "note": note.strip(),
                "evidence_hash": rec.evidence_hash,
                "base_version": version,
            }
        )
    decisions = store.append_decisions(entries, reviewer=reviewer)
    return Batch(batch, action, reviewer, tuple(decisions), undone=False)


def last_batch(store: Store, reviewer: str | None = None) -> Batch | None:
    """The latest bulk action (of ``reviewer``, when given), undone or not."""
    decisions = store.decisions()
    undone = {str(d.payload.get("batch")) for d in decisions if d.action == "undo"}
    for d in reversed(decisions):
        batch = d.payload.get("batch")
        if d.action not in BULK_ACTIONS or not isinstance(batch, str):
            continue
        if reviewer is not None and d.reviewer != reviewer:
            continue
        members = tuple(
            x for x in decisions if x.payload.get("batch") == batch and x.action != "undo"
        )
        return Batch(batch, d.action, d.reviewer, members, undone=f"undo-{batch}" in undone)
    return None


def undo_batch(store: Store, batch_id: str, *, reviewer: str) -> list[Decision]:
    """Take back every decision of a bulk action, one ``undo`` entry per record.

    Records that left the latest run are skipped (their decisions are orphaned, not
    undone); a record someone decided about since is refused with ConflictError.
    """
    reviewer = " ".join(reviewer.split())[:100]
    members = [
        d
        for d in store.decisions()
        if d.payload.get("batch") == batch_id and d.action in BULK_ACTIONS
    ]
    if not members:
        raise ReviewError(f"bulk action {batch_id!r}: not found")
    tag = f"undo-{batch_id}"
    if any(d.action == "undo" and d.payload.get("batch") == tag for d in store.decisions()):
        raise ReviewError(f"bulk action {batch_id}: already undone")
    state = review_state(store, only=[d.record_id for d in members])
    entries = []
    for d in members:
        if clusters.is_cluster_id(d.record_id):
            _, payload, digest = clusters.cluster_payload(
                store, d.record_id, "undo", {"seq": d.seq, "batch": tag}
            )
            entries.append(
                {
                    "record_id": d.record_id,
                    "action": "undo",
                    "payload": payload,
                    "note": "",
                    "evidence_hash": digest,
                    "base_version": store.version(d.record_id),
                }
            )
            continue
        rec = state.records.get(d.record_id)
        if rec is None:
            continue
        payload = _undo(state, rec, {"seq": d.seq, "batch": tag})
        entries.append(
            {
                "record_id": rec.id,
                "action": "undo",
                "payload": payload,
                "note": "",
                "evidence_hash": rec.evidence_hash,
                "base_version": rec.version,
            }
        )
    return store.append_decisions(entries, reviewer=reviewer or "reviewer") if entries else []
