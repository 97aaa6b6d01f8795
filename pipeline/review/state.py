"""Review decisions as overrides on the raw extraction.

Decisions live in the store's append-only log and are re-applied to the raw
records of every run by :func:`apply_decisions`, a pure function. Nothing is
dropped silently:

* accept / reject / edit are bound to the record's evidence hash at decision
  time; when the evidence changes the record goes back to the queue with
  status ``changed`` and the old decisions are shown, not applied;
* merge / split / alias are about identity and stay applied;
* a decision about an event whose id is gone but whose stable key (see
  :func:`pipeline.review.store.stable_keys`) names a record of the latest run
  follows the key: that record shows it, as ``changed`` when the evidence text
  differs (with the evidence it was made on, for a diff);
* ``undo`` takes back one accept/reject/edit (a bulk action is undone record by
  record, each undo its own log entry);
* any other decision about an id that is not in the latest run is *orphaned*:
  listed with the evidence it was made on, never deleted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pipeline.errors import ReviewError
from pipeline.review import clusters
from pipeline.review.clusters import cluster_data
from pipeline.review.edits import apply_edit
from pipeline.review.store import ClusterMember, Decision, Store, StoredRecord
from schemas.edtf import Edtf, parse_or_none

log = logging.getLogger(__name__)

Status = Literal["pending", "accepted", "rejected", "changed"]
STATUSES: tuple[str, ...] = ("pending", "accepted", "rejected", "changed")
EVIDENCE_ACTIONS = frozenset({"accept", "reject", "edit"})
FOLLOWING_ACTIONS = EVIDENCE_ACTIONS | {"undo"}
"""Actions that follow a record's stable key to its successor."""

Earlier = Callable[["Decision"], "dict[str, Any] | None"]
"""The record data a decision was made on (None when no longer known)."""


def evidence_text(rtype: str, data: dict[str, Any]) -> str:
    """What a reviewer read as a record's evidence: the sentence, or the mentions as written."""
    if rtype == "event":
        return str(data["evidence"]["sentence"])
    return "; ".join(sorted({str(m["text"]) for m in data.get("mentions", [])}))


def _same_evidence(rtype: str, old: dict[str, Any] | None, new: dict[str, Any]) -> bool:
    """Whether two versions read the same (offsets and document ids aside)."""
    if old is None:
        return False
    if rtype != "event":
        return evidence_text(rtype, old) == evidence_text(rtype, new)
    return evidence_text(rtype, old) == evidence_text(rtype, new) and (
        (old.get("date") or {}).get("text") == (new.get("date") or {}).get("text")
    )


def _no_earlier(decision: Decision) -> dict[str, Any] | None:
    return None


def event_date(data: dict[str, Any]) -> Edtf | None:
    """The parsed date value of an event record (None when undated or malformed)."""
    return parse_or_none((data.get("date") or {}).get("value"))


def date_order(value: Edtf | None) -> tuple[bool, Edtf | None]:
    """Sort key for date values: undated first, then by :class:`Edtf` ordering."""
    return (value is not None, value)


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
    carried: list[Decision] = field(default_factory=list)
    """Decisions made on an earlier version of this record under another id."""
    was: dict[str, Any] | None = None
    """The record as the latest stale decision saw it (for the evidence diff)."""

    @property
    def name(self) -> str:
        if self.type == "event":
            date = (self.data.get("date") or {}).get("value") or "undated"
            return f"{self.data['type']} ({date})"
        return str(self.data["name"])

    @property
    def date(self) -> Edtf | None:
        """An event's date value (None for entities and undated events)."""
        return event_date(self.data) if self.type == "event" else None

    @property
    def languages(self) -> list[str]:
        if self.type == "event":
            return [self.data["evidence"]["language"]]
        return sorted({m["language"] for m in self._sightings()})

    @property
    def document_ids(self) -> list[str]:
        if self.type == "event":
            return [self.data["evidence"]["document_id"]]
        return sorted({m["document_id"] for m in self._sightings()})

    def _sightings(self) -> list[dict[str, Any]]:
        """Where an entity is mentioned, or where a deal is reported."""
        key = "sources" if self.type == "deal" else "mentions"
        return list(self.data.get(key, []))


@dataclass
class Reviewed:
    """All records of the latest run with decisions applied."""

    records: dict[str, ReviewedRecord]
    redirects: dict[str, str]
    orphaned: list[Decision]
    earlier: dict[int, dict[str, Any]] = field(default_factory=dict)
    """For orphaned decisions: the record as it was when decided, by decision seq."""

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


def _partition(
    current: dict[str, StoredRecord], decisions: Sequence[Decision], moved: dict[str, str]
) -> tuple[list[Decision], list[Decision], dict[str, list[Decision]]]:
    """(valid, orphaned, carried by successor id).

    Orphaned decisions name a record missing from the run; carried ones name an
    event that is gone but has a successor with the same stable key.
    """
    valid: list[Decision] = []
    orphaned: list[Decision] = []
    carried: dict[str, list[Decision]] = {}
    for d in decisions:
        if all(s in current for s in d.subjects()):
            valid.append(d)
        elif d.action in FOLLOWING_ACTIONS and moved.get(d.record_id) in current:
            carried.setdefault(moved[d.record_id], []).append(d)
        else:
            orphaned.append(d)
    return valid, orphaned, carried


def _undone_merges(valid: Sequence[Decision]) -> set[int]:
    """Sequence numbers of the merge decisions a split undid."""
    by_seq = {d.seq: d for d in valid}
    return {
        int(d.payload["seq"])
        for d in valid
        if d.action == "split" and by_seq.get(int(d.payload.get("seq", -1))) is not None
    }


def _review_record(
    stored: StoredRecord,
    mine: list[Decision],
    carried: list[Decision] | None = None,
    earlier: Earlier = _no_earlier,
) -> ReviewedRecord:
    """One record with its evidence-bound decisions and aliases applied.

    A decision made on other evidence (another hash here, or carried from the
    record's predecessor) still applies when that evidence *reads* the same; else
    it is stale and shown, not applied.
    """
    rid = stored.id
    carried = sorted(carried or [], key=lambda d: d.seq)
    own = [d for d in mine if d.record_id == rid]
    undone = {int(d.payload.get("seq", -1)) for d in [*carried, *own] if d.action == "undo"}
    bound = [
        d
        for d in sorted([*carried, *own], key=lambda d: d.seq)
        if d.action in EVIDENCE_ACTIONS and d.seq not in undone
    ]
    fresh: list[Decision] = []
    stale: list[Decision] = []
    was: dict[str, Any] | None = None
    for d in bound:
        if d.evidence_hash == stored.evidence_hash and d.record_id == rid:
            fresh.append(d)
            continue
        seen = earlier(d)
        if _same_evidence(stored.type, seen, stored.data):
            fresh.append(d)
        else:
            stale.append(d)
            was = seen if seen is not None else was
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
        else:
            status = "accepted" if d.action == "accept" else "rejected"
    if status == "pending" and stale:
        status = "changed"
    for d in mine:
        if d.action == "alias" and d.record_id == rid:
            alias = str(d.payload.get("name", "")).strip()
            if alias and alias != data["name"] and alias not in data["aliases"]:
                data["aliases"] = sorted([*data["aliases"], alias])
    return ReviewedRecord(
        id=rid,
        type=stored.type,
        raw=stored.data,
        data=data,
        status=status,
        evidence_hash=stored.evidence_hash,
        version=len(mine),
        decisions=mine,
        stale=sorted(stale, key=lambda d: d.seq),
        carried=carried,
        was=was,
    )


def _redirect(state: Reviewed, valid: Sequence[Decision]) -> None:
    """Fill ``state.redirects`` from active merges, then from canonical-link edits."""
    undone = _undone_merges(valid)
    redirects, result = state.redirects, state.records
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


def _fold(state: Reviewed) -> None:
    """Fold merged records into their survivors and re-point event references."""
    result = state.records
    for rid in sorted(state.redirects, key=lambda r: (-len(_chain(state, r)), r)):
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


def apply_decisions(
    records: Sequence[StoredRecord],
    decisions: Sequence[Decision],
    *,
    moved: dict[str, str] | None = None,
    earlier: Earlier = _no_earlier,
    rulings: dict[str, list[Decision]] | None = None,
) -> Reviewed:
    """Apply the decision log to the raw records of a run (pure, idempotent).

    ``moved``: old record id → the id of the latest run with the same stable key;
    ``earlier``: the record data a decision was made on; ``rulings``: decisions about
    whole event clusters, as each event carries them (pipeline.review.clusters).
    """
    current = {r.id: r for r in records}
    valid, orphaned, carried = _partition(current, decisions, moved or {})
    for rid, extra in (rulings or {}).items():
        carried.setdefault(rid, []).extend(extra)
    concerning: dict[str, list[Decision]] = {}
    for d in valid:
        for subject in d.subjects():
            concerning.setdefault(subject, []).append(d)
    result = {
        rid: _review_record(stored, concerning.get(rid, []), carried.get(rid), earlier)
        for rid, stored in current.items()
    }
    state = Reviewed(records=result, redirects={}, orphaned=orphaned)
    _redirect(state, valid)
    _fold(state)
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
    if "organisations" in data:
        data["organisations"] = list(
            dict.fromkeys(state.output_id(o) for o in data["organisations"])
        )
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


def _desk_clusters(state: Reviewed, members: dict[str, list[ClusterMember]]) -> None:
    """Events whose cluster a reviewer merged or split carry the desk's cluster."""
    for cid, rows in members.items():
        ids = {m.event_id for m in rows}
        desk = cluster_data(cid, rows)
        for m in rows:
            rec = state.records.get(m.event_id)
            if rec is None:
                continue
            raw = rec.data.get("cluster") or {}
            if (raw or len(ids) > 1) and raw != desk:
                rec.data = {**rec.data, "cluster": desk}


def _store_earlier(store: Store) -> Earlier:
    cache: dict[tuple[str, str], dict[str, Any] | None] = {}

    def earlier(decision: Decision) -> dict[str, Any] | None:
        key = (decision.record_id, decision.evidence_hash)
        if key not in cache:
            cache[key] = store.evidence_version(*key)
        return cache[key]

    return earlier


def review_state(store: Store, only: Iterable[str] | None = None) -> Reviewed:
    """Records of the latest run with decisions applied.

    With ``only``, just those records and every record a merge decision
    involves are loaded (enough to decide about them; orphans are not
    meaningful then).
    """
    logged = store.decisions()
    clusters.ensure_clusters(store, logged)
    decisions = [d for d in logged if not clusters.is_cluster_id(d.record_id)]
    earlier = _store_earlier(store)
    if only is None:
        records = store.records()
    else:
        wanted = set(only)
        for d in decisions:
            if d.action == "merge":
                wanted.update(d.subjects())
        records = store.records(ids=wanted)
    present = {r.id for r in records}
    missing = {
        d.record_id
        for d in decisions
        if d.action in FOLLOWING_ACTIONS and d.record_id not in present
    }
    moved = store.successors(missing) if missing else {}
    events = [r.id for r in records if r.type == "event"]
    rows = store.cluster_members(events=None if only is None else events)
    index = {m.event_id: m for m in rows}
    rulings = clusters.carried_rulings(store, records, logged, index)
    state = apply_decisions(records, decisions, moved=moved, earlier=earlier, rulings=rulings)
    _desk_clusters(state, clusters.by_cluster(rows))
    if only is not None:
        state.orphaned = []
    for d in state.orphaned:
        seen = earlier(d)
        if seen is not None:
            state.earlier[d.seq] = seen
    return state
