"""A record's decision history as sentences: who did what, when, and what a field was.

``Anna set date to 2014-11 (was 2001-02) · 2026-11-29 10:04 UTC``. The log is replayed
on the raw record, so "was" is the value just before that edit, the raw one or an
earlier reviewer's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pipeline.errors import ReviewError
from pipeline.review.edits import apply_edit, field_value
from pipeline.review.state import ReviewedRecord
from pipeline.review.store import Decision


@dataclass(frozen=True)
class Entry:
    """One decision told as a sentence."""

    seq: int
    reviewer: str
    text: str
    at: str
    note: str
    stale: bool
    undone: bool


def when(at: str) -> str:
    """``2026-11-29T10:04:12+00:00`` as ``2026-11-29 10:04 UTC``."""
    day, _, time = at.partition("T")
    return f"{day} {time[:5]} UTC" if time else at


def _edit_text(decision: Decision, before: dict[str, Any], rtype: str) -> str:
    parts = []
    for name, value in sorted(decision.payload.get("set", {}).items()):
        was = field_value(rtype, before, name)
        now = str(value) or "nothing"
        parts.append(f"set {name.replace('_', ' ')} to {now} (was {was or 'empty'})")
    return ", ".join(parts) or "edited nothing"


def _text(d: Decision, rec: ReviewedRecord, names: dict[str, str], data: dict[str, Any]) -> str:
    cluster = d.payload.get("cluster")
    if cluster and d.action in ("accept", "reject"):  # carried from the whole event cluster
        verb = "accepted" if d.action == "accept" else "rejected"
        return f"{verb} the event with all its reports ({cluster})"
    if d.action == "accept":
        return "accepted the record"
    if d.action == "reject":
        return "rejected the record"
    if d.action == "edit":
        return _edit_text(d, data, rec.type)
    if d.action == "merge":
        into = str(d.payload.get("into", ""))
        return f"merged {names.get(d.record_id, d.record_id)} into {names.get(into, into)}"
    if d.action == "split":
        return f"split off again what merge #{d.payload.get('seq')} joined"
    if d.action == "alias":
        return f"added the alias {d.payload.get('name', '')}"
    if d.action == "undo":
        return f"undid #{d.payload.get('seq')}"
    return d.action


def history(rec: ReviewedRecord, names: dict[str, str]) -> list[Entry]:
    """Every decision about ``rec`` (and those carried from its predecessor), oldest first."""
    decisions = sorted([*rec.carried, *rec.decisions], key=lambda d: d.seq)
    undone = {int(d.payload.get("seq", -1)) for d in decisions if d.action == "undo"}
    stale = {d.seq for d in rec.stale}
    data = rec.raw
    entries: list[Entry] = []
    for d in decisions:
        entries.append(
            Entry(
                seq=d.seq,
                reviewer=d.reviewer,
                text=_text(d, rec, names, data),
                at=when(d.at),
                note=d.note,
                stale=d.seq in stale,
                undone=d.seq in undone,
            )
        )
        if d.action == "edit" and d.seq not in stale | undone:
            try:
                data = apply_edit(rec.type, data, {k: str(v) for k, v in d.payload["set"].items()})
            except ReviewError:
                continue
    return entries
