"""Review decisions as overrides on the raw extraction.

Decisions live in the store's append-only log and are re-applied to the raw
records of every run by :func:`apply_decisions`, a pure function. Nothing is
dropped silently:

* accept / reject / edit are bound to the record's evidence hash at decision
  time; when the evidence changes the record goes back to the queue with
  status ``changed`` and the old decisions are shown, not applied;
* merge / split / alias are about identity and stay applied;
* a decision about an id that is not in the latest run is *orphaned*: listed,
  never deleted.

Edits that name a field not editable for the record type, or that would make
the record invalid, are refused when the decision is made.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from pipeline.errors import ReviewError
from pipeline.store import (
    DB_NAME,
    PUBLISHED_MANIFEST,
    RECORD_FILES,
    Decision,
    Run,
    Store,
    StoredRecord,
    output_fingerprint,
)
from pipeline.write import atomic_write_bytes
from schemas.records import RECORD_MODELS, EventRecord, PersonRecord, WeaponRecord

log = logging.getLogger(__name__)

Status = Literal["pending", "accepted", "rejected", "changed"]
STATUSES: tuple[str, ...] = ("pending", "accepted", "rejected", "changed")
EVIDENCE_ACTIONS = frozenset({"accept", "reject", "edit"})
OVERRIDES_FILE = "reference_overrides.yaml"

EDITABLE: dict[str, tuple[str, ...]] = {
    "event": ("date", "date_precision", "type", "quantity"),
    "person": ("name", "canonical", "known", "roles"),
    "weapon": ("name", "canonical", "category", "family", "origin"),
}

_DATE_FORMS: tuple[tuple[str, str], ...] = (
    (r"\d{4}-\d{2}-\d{2}", "day"),
    (r"\d{4}-2[1-4]", "season"),
    (r"\d{4}-\d{2}", "month"),
    (r"\d{4}", "year"),
    (r"\d{3}X", "decade"),
    (r"\d{2}XX", "century"),
)
_PRECISIONS = ("day", "month", "season", "quarter", "year", "decade", "century", "range", "unknown")


def date_precision(value: str) -> str:
    """Precision of an EDTF-style value; ReviewError when it is not one."""
    value = value.strip()
    if "/" in value:
        parts = value.split("/")
        if len(parts) == 2 and all(date_precision(p) for p in parts):
            return "range"
    for pattern, precision in _DATE_FORMS:
        if re.fullmatch(pattern, value):
            if precision == "month" and not 1 <= int(value[5:7]) <= 12:
                break
            if precision == "day":
                try:
                    dt.date.fromisoformat(value)
                except ValueError:
                    break
            return precision
    raise ReviewError(
        f"date {value!r}: not an EDTF-style value (2014-11-27, 2014-11, 2014, 201X, 19XX,"
        " 2014-21, 1965-07/1974-12)"
    )


@dataclass
class ReviewedRecord:
    """A record with the decisions about it applied."""

    id: str
    type: str
    raw: dict[str, Any]
    data: dict[str, Any]
    status: Status
    evidence_hash: str
    version: int
    decisions: list[Decision] = field(default_factory=list)
    stale: list[Decision] = field(default_factory=list)
    merged_into: str | None = None
    merged_from: list[str] = field(default_factory=list)
    merges: list[Decision] = field(default_factory=list)

    @property
    def name(self) -> str:
        if self.type == "event":
            date = (self.data.get("date") or {}).get("value") or "undated"
            return f"{self.data['type']} ({date})"
        return str(self.data["name"])

    @property
    def languages(self) -> list[str]:
        if self.type == "event":
            return [self.data["evidence"]["language"]]
        return sorted({m["language"] for m in self.data.get("mentions", [])})

    @property
    def document_ids(self) -> list[str]:
        if self.type == "event":
            return [self.data["evidence"]["document_id"]]
        return sorted({m["document_id"] for m in self.data.get("mentions", [])})


@dataclass
class Reviewed:
    """All records of the latest run with decisions applied."""

    records: dict[str, ReviewedRecord]
    redirects: dict[str, str]
    orphaned: list[Decision]

    def resolve(self, record_id: str) -> str:
        """The surviving record id after merges (the id itself if not merged)."""
        seen = {record_id}
        while record_id in self.redirects:
            record_id = self.redirects[record_id]
            if record_id in seen:
                break
            seen.add(record_id)
        return record_id

    def output_id(self, record_id: str) -> str:
        """The id the record is published under (after merges and canonical links)."""
        survivor = self.records.get(self.resolve(record_id))
        return str(survivor.data["id"]) if survivor else record_id

    def survivors(self, rtype: str | None = None) -> list[ReviewedRecord]:
        return [
            r
            for r in self.records.values()
            if r.merged_into is None and (rtype is None or r.type == rtype)
        ]


def _set_field(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    """Apply one edit ``name=value`` to record data in place."""
    if name not in EDITABLE[rtype]:
        raise ReviewError(
            f"{data['id']}: field {name!r} is not editable for a {rtype}"
            f" (editable: {', '.join(EDITABLE[rtype])})"
        )
    value = value.strip()
    if name == "date":
        if not value:
            data["date"] = None
            return
        precision = date_precision(value)
        date = data.get("date")
        if date is None:
            start = int(data["evidence"]["start"])
            date = {"text": "", "start": start, "end": start, "anchored": False}
        date["value"] = value
        date["precision"] = precision
        data["date"] = date
    elif name == "date_precision":
        if value not in _PRECISIONS:
            raise ReviewError(f"{data['id']}: precision {value!r} not one of {_PRECISIONS}")
        if data.get("date") is None:
            raise ReviewError(f"{data['id']}: set a date before its precision")
        data["date"]["precision"] = value
    elif name == "quantity":
        weapons = data.get("weapons", [])
        if len(weapons) != 1:
            raise ReviewError(
                f"{data['id']}: quantity needs exactly one weapons system in the event"
                f" (has {len(weapons)})"
            )
        if value and not value.isdigit():
            raise ReviewError(f"{data['id']}: quantity {value!r} is not a whole number")
        weapons[0]["quantity"] = int(value) if value else None
    elif name == "known":
        if value.lower() not in ("true", "false", "yes", "no", "1", "0"):
            raise ReviewError(f"{data['id']}: known must be true or false, not {value!r}")
        data["known"] = value.lower() in ("true", "yes", "1")
    elif name == "roles":
        data["roles"] = [r.strip() for r in value.split(";") if r.strip()]
    elif name == "canonical":
        prefix = f"{rtype}:"
        if not value.startswith(prefix) or len(value) <= len(prefix):
            raise ReviewError(f"{data['id']}: canonical link must be a {prefix}… id, not {value!r}")
        data["id"] = value
        data["known"] = True
    elif name in ("origin", "family"):
        data[name] = value or None
    else:  # name, type, category
        if not value:
            raise ReviewError(f"{data['id']}: {name} cannot be empty")
        data[name] = value


def apply_edit(rtype: str, data: dict[str, Any], changes: dict[str, str]) -> dict[str, Any]:
    """A copy of ``data`` with ``changes`` applied and validated against the schema."""
    result = copy.deepcopy(data)
    for name, value in changes.items():
        _set_field(rtype, result, name, value)
    try:
        model = RECORD_MODELS[rtype].model_validate(result)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ReviewError(
            f"{data['id']}: edit makes an invalid {rtype}: {where}: {first['msg']}"
        ) from exc
    validated: dict[str, Any] = model.model_dump(mode="json")
    return validated


def _merge_into(survivor: dict[str, Any], merged: dict[str, Any]) -> None:
    """Fold an entity's mentions, names and roles into the survivor, in place."""
    mentions = list(survivor["mentions"])
    seen = {(m["document_id"], m["start"], m["end"]) for m in mentions}
    for m in merged.get("mentions", []):
        key = (m["document_id"], m["start"], m["end"])
        if key not in seen:
            seen.add(key)
            mentions.append(dict(m))
    survivor["mentions"] = sorted(mentions, key=lambda m: (m["document_id"], m["start"], m["end"]))
    names = set(survivor.get("aliases", [])) | {merged["name"], *merged.get("aliases", [])}
    names.discard(survivor["name"])
    survivor["aliases"] = sorted(names)
    survivor["known"] = bool(survivor.get("known") or merged.get("known"))
    if "roles" in survivor:
        survivor["roles"] = sorted(set(survivor["roles"]) | set(merged.get("roles", [])))


def apply_decisions(records: Sequence[StoredRecord], decisions: Sequence[Decision]) -> Reviewed:
    """Apply the decision log to the raw records of a run (pure, idempotent)."""
    current = {r.id: r for r in records}
    orphaned: list[Decision] = []
    valid: list[Decision] = []
    for d in decisions:
        missing = [s for s in d.subjects() if s not in current]
        if missing:
            orphaned.append(d)
        else:
            valid.append(d)
    by_seq = {d.seq: d for d in valid}
    undone = {
        int(d.payload["seq"])
        for d in valid
        if d.action == "split" and by_seq.get(int(d.payload.get("seq", -1))) is not None
    }

    concerning: dict[str, list[Decision]] = {}
    for d in valid:
        for subject in d.subjects():
            concerning.setdefault(subject, []).append(d)
    result: dict[str, ReviewedRecord] = {}
    for rid, stored in current.items():
        mine = concerning.get(rid, [])
        bound = [d for d in mine if d.action in EVIDENCE_ACTIONS and d.record_id == rid]
        fresh = [d for d in bound if d.evidence_hash == stored.evidence_hash]
        stale = [d for d in bound if d.evidence_hash != stored.evidence_hash]
        data = dict(stored.data)  # shallow: every change below builds new lists/dicts
        status: Status = "pending"
        for d in fresh:
            if d.action == "edit":
                changes = {str(k): str(v) for k, v in d.payload.get("set", {}).items()}
                try:
                    data = apply_edit(stored.type, data, changes)
                except ReviewError as exc:
                    # the record no longer fits the edit (e.g. weapons changed): keep it visible
                    log.warning("decision %s not applicable: %s", d.seq, exc)
                    stale.append(d)
                    continue
                status = "accepted"
            elif d.action == "accept":
                status = "accepted"
            else:
                status = "rejected"
        if status == "pending" and stale:
            status = "changed"
        for d in mine:
            if d.action == "alias" and d.record_id == rid:
                alias = str(d.payload.get("name", "")).strip()
                if alias and alias != data["name"] and alias not in data["aliases"]:
                    data["aliases"] = sorted([*data["aliases"], alias])
        result[rid] = ReviewedRecord(
            id=rid,
            type=stored.type,
            raw=stored.data,
            data=data,
            status=status,
            evidence_hash=stored.evidence_hash,
            version=len(mine),
            decisions=mine,
            stale=sorted(stale, key=lambda d: d.seq),
        )

    redirects: dict[str, str] = {}
    state = Reviewed(records=result, redirects=redirects, orphaned=orphaned)
    for d in valid:
        if d.action != "merge" or d.seq in undone:
            continue
        source, target = d.record_id, str(d.payload["into"])
        if state.resolve(target) == source or source in redirects:
            log.warning("merge %s skipped: %s already merged or a cycle", d.seq, source)
            continue
        redirects[source] = target
        result[source].merges.append(d)
    # canonical links to an existing record act as merges
    for rid, rec in result.items():
        new_id = str(rec.data["id"])
        if (
            new_id != rid
            and new_id in result
            and rid not in redirects
            and state.resolve(new_id) != rid
        ):
            redirects[rid] = new_id
    for rid in sorted(redirects, key=lambda r: (-len(_chain(state, r)), r)):
        survivor_id = state.resolve(rid)
        if survivor_id == rid:
            continue
        rec, survivor = result[rid], result[survivor_id]
        rec.merged_into = survivor_id
        survivor.merged_from.append(rid)
        _merge_into(survivor.data, rec.data)
    for rec in result.values():
        rec.merged_from.sort()
        if rec.type == "event":
            _relink_event(rec.data, state)
    return state


def _chain(state: Reviewed, rid: str) -> list[str]:
    chain = [rid]
    while chain[-1] in state.redirects and len(chain) <= len(state.redirects):
        chain.append(state.redirects[chain[-1]])
    return chain


def _relink_event(data: dict[str, Any], state: Reviewed) -> None:
    people: list[str] = []
    for pid in data.get("people", []):
        new = state.output_id(pid)
        if new not in people:
            people.append(new)
    data["people"] = people
    weapons: list[dict[str, Any]] = []
    index: dict[str, dict[str, Any]] = {}
    for w in data.get("weapons", []):
        new = state.output_id(w["id"])
        if new in index:
            if index[new].get("quantity") is None:
                index[new]["quantity"] = w.get("quantity")
            continue
        entry = {**w, "id": new}
        index[new] = entry
        weapons.append(entry)
    data["weapons"] = weapons


# -- working with a store -----------------------------------------------------------------


def store_path(out_dir: Path) -> Path:
    return Path(out_dir) / DB_NAME


def open_store(out_dir: Path) -> Store:
    """The review store of an output dir (created on first use)."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ReviewError(f"{out_dir}: output dir not found")
    return Store(store_path(out_dir))


def sync_output(store: Store, out_dir: Path) -> Run | None:
    """Ingest ``out_dir`` as a new run when its files changed since the last run."""
    latest = store.latest_run()
    fingerprint = output_fingerprint(Path(out_dir))
    if latest is not None and latest.fingerprint == fingerprint:
        return None
    manifest = Path(out_dir) / PUBLISHED_MANIFEST
    if latest is not None and manifest.is_file():
        # the files are what publish() wrote for the latest run: nothing new to load
        published = json.loads(manifest.read_text("utf-8"))
        if published.get("run") == latest.id and published.get("fingerprint") == fingerprint:
            return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return store.ingest_output(Path(out_dir), f"run-{stamp}")


def refresh_after_run(out_dir: Path, run_id: str) -> dict[str, Any]:
    """After a pipeline run: ingest it into the store and re-apply every decision.

    When decisions exist the record files are re-published with them applied
    (the raw extraction stays in the store). Returns a small summary with the
    status counts and the orphaned decisions.
    """
    out_dir = Path(out_dir)
    with open_store(out_dir) as store:
        if any(run.id == run_id for run in store.runs()):
            log.info("run %s already in the review store", run_id)
        else:
            store.ingest_output(out_dir, run_id)
        state = review_state(store)
        if store.decisions():
            publish(store, out_dir)
    counts: dict[str, int] = {}
    for rec in state.survivors():
        counts[rec.status] = counts.get(rec.status, 0) + 1
    for d in state.orphaned:
        log.warning("orphaned decision #%s: %s %s", d.seq, d.action, d.record_id)
    return {"run_id": run_id, "status": counts, "orphaned": [d.seq for d in state.orphaned]}


def review_state(store: Store, only: Iterable[str] | None = None) -> Reviewed:
    """Records of the latest run with decisions applied.

    With ``only``, just those records and every record a merge decision
    involves are loaded (enough to decide about them; orphans are not
    meaningful then).
    """
    decisions = store.decisions()
    if only is None:
        return apply_decisions(store.records(), decisions)
    wanted = set(only)
    for d in decisions:
        if d.action == "merge":
            wanted.update(d.subjects())
    return apply_decisions(store.records(ids=wanted), decisions)


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
    """Validate and append one decision (ConflictError if ``base_version`` is stale)."""
    payload = dict(payload or {})
    reviewer = " ".join(reviewer.split())[:100]
    if not reviewer:
        raise ReviewError(f"{record_id}: a reviewer name is required")
    related = [record_id, str(payload.get("into", ""))] if action == "merge" else [record_id]
    state = review_state(store, only=related)
    rec = state.records.get(record_id)
    if rec is None:
        raise ReviewError(f"{record_id}: no such record in the latest run")
    if action in ("accept", "reject"):
        payload = {}
    elif action == "edit":
        changes = payload.get("set")
        if not isinstance(changes, dict) or not changes:
            raise ReviewError(f"{record_id}: edit needs at least one field=value")
        apply_edit(rec.type, rec.data, {str(k): str(v) for k, v in changes.items()})
        payload = {"set": {str(k): str(v) for k, v in changes.items()}}
    elif action == "merge":
        into = str(payload.get("into", "")).strip()
        target = state.records.get(into)
        if target is None:
            raise ReviewError(f"{record_id}: merge target {into!r} is not in the latest run")
        if rec.type == "event" or target.type != rec.type:
            raise ReviewError(f"{record_id}: only two people or two weapons systems can be merged")
        if into == record_id or state.resolve(into) == record_id:
            raise ReviewError(f"{record_id}: cannot be merged into itself")
        if rec.merged_into is not None:
            raise ReviewError(f"{record_id}: already merged into {rec.merged_into}; split it first")
        payload = {"into": into}
    elif action == "split":
        seq = payload.get("seq")
        merge = next((d for d in rec.merges if d.seq == seq), None)
        if merge is None:
            raise ReviewError(f"{record_id}: no active merge decision #{seq} to split")
        payload = {"seq": merge.seq}
    elif action == "alias":
        name = " ".join(str(payload.get("name", "")).split())
        if rec.type == "event" or not name:
            raise ReviewError(f"{record_id}: an alias needs a person or weapon and a name")
        payload = {"name": name}
    else:
        raise ReviewError(f"{record_id}: unknown action {action!r}")
    decision = store.append_decision(
        record_id,
        action,
        payload,
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


# -- files ------------------------------------------------------------------------------------


def write_reference_overrides(store: Store, out_dir: Path) -> Path:
    """Regenerate ``OUT/reference_overrides.yaml`` from every alias decision."""
    entries: dict[str, set[str]] = {}
    for d in store.decisions():
        if d.action == "alias":
            entries.setdefault(d.record_id, set()).add(str(d.payload["name"]))
    sections: dict[str, list[dict[str, Any]]] = {"people": [], "weapons": []}
    for rid in sorted(entries):
        rec = store.record(rid)
        key = "people" if rid.startswith("person:") else "weapons"
        sections[key].append(
            {
                "id": rid,
                "name": rec.data["name"] if rec else None,
                "aliases": sorted(entries[rid]),
            }
        )
    header = (
        "# Reviewer-added aliases (osintdesk review alias). Generated from the decision log;\n"
        "# layered over the packaged reference data, which is never edited.\n"
    )
    body = yaml.safe_dump(sections, allow_unicode=True, sort_keys=True)
    path = Path(out_dir) / OVERRIDES_FILE
    atomic_write_bytes(path, (header + body).encode("utf-8"))
    return path


_MODEL_FOR: dict[str, type[PersonRecord | WeaponRecord | EventRecord]] = {
    "person": PersonRecord,
    "weapon": WeaponRecord,
    "event": EventRecord,
}


def published_records(state: Reviewed, rtype: str, *, accepted_only: bool) -> list[dict[str, Any]]:
    """Reviewed records of one type for output: merges applied, rejected ones left out."""
    rows: list[dict[str, Any]] = []
    for rec in state.survivors(rtype):
        if rec.status == "rejected" or (accepted_only and rec.status != "accepted"):
            continue
        rows.append(_MODEL_FOR[rtype].model_validate(rec.data).model_dump(mode="json"))
    return sorted(rows, key=lambda r: str(r["id"]))


def publish(store: Store, out_dir: Path) -> list[Path]:
    """Rewrite ``people/weapons/events.jsonl`` with decisions applied (atomically).

    The raw extraction stays in the store; the files written here are listed
    with their sha256 in ``OUT/review/published.json`` so a later ingest of the
    same dir does not take them for raw records.
    """
    out_dir = Path(out_dir)
    state = review_state(store)
    written: list[Path] = []
    hashes: dict[str, str] = {}
    for rtype, name in RECORD_FILES.items():
        lines = [
            json.dumps(r, ensure_ascii=False, sort_keys=True)
            for r in published_records(state, rtype, accepted_only=False)
        ]
        data = ("\n".join(lines) + "\n" if lines else "").encode("utf-8")
        atomic_write_bytes(out_dir / name, data)
        hashes[name] = hashlib.sha256(data).hexdigest()
        written.append(out_dir / name)
    latest = store.latest_run()
    manifest = {
        "run": latest.id if latest else None,
        "fingerprint": output_fingerprint(out_dir),
        "files": hashes,
        "last_decision": max((d.seq for d in store.decisions()), default=0),
        "status": {rid: r.status for rid, r in sorted(state.records.items())},
        "orphaned": [d.seq for d in state.orphaned],
    }
    atomic_write_bytes(
        out_dir / PUBLISHED_MANIFEST,
        json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8"),
    )
    written.append(out_dir / PUBLISHED_MANIFEST)
    written.append(write_reference_overrides(store, out_dir))
    log.info("published %d files to %s", len(written), out_dir)
    return written
