"""Event clusters on the review desk: one real-world event, reviewed once.

The pipeline gives every event record its cluster (:mod:`pipeline.clusters`).
The desk takes those clusters, applies the reviewers' overrides in the order
they were logged, and keeps the result in the store's ``cluster_index`` (a
cache, rebuilt for each run and after each merge or split):

* **merge** (logged under the first cluster's id): the clusters that hold the
  stable keys of both sides become one;
* **split**: the events whose stable keys it names leave their cluster and
  form one of their own.

A desk cluster's id is the pipeline's rule, the hash of the member event id
that sorts first, so a cluster nobody touched keeps the pipeline's id.

Decisions about a whole cluster (``accept``, ``reject``, their ``undo``) are
logged under the cluster's id with the stable key, event id and evidence hash
of every member at decision time. They follow the keys, not the id: after a
re-run they apply to every event of the clusters that hold those keys, so a
new mention joining the cluster takes the decision, and a member whose
evidence changed comes back ``changed`` (the decision, carried to it, was made
on other evidence). A decision about one event of a cluster still applies to
that event alone; the later decision wins.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from pipeline.errors import ReviewError
from pipeline.ids import hash_id
from pipeline.review.store import ClusterMember, Decision, Store, StoredRecord

log = logging.getLogger(__name__)

PREFIX = "cluster:"
RULINGS = frozenset({"accept", "reject"})
OVERRIDES = frozenset({"merge", "split"})
CLUSTER_ACTIONS = RULINGS | OVERRIDES | {"undo"}
MAX_KEYS = 5000


def is_cluster_id(record_id: str) -> bool:
    return record_id.startswith(PREFIX)


def cluster_decisions(decisions: Iterable[Decision]) -> list[Decision]:
    return [d for d in decisions if is_cluster_id(d.record_id)]


def _last_override(decisions: Iterable[Decision]) -> int:
    return max(
        (d.seq for d in decisions if is_cluster_id(d.record_id) and d.action in OVERRIDES),
        default=0,
    )


def group(
    events: Sequence[tuple[str, str, str | None]], overrides: Sequence[Decision]
) -> dict[str, str]:
    """Desk cluster id of every event: ``events`` are (event id, stable key, pipeline
    cluster id or None); ``overrides`` the merge and split decisions, applied in order."""
    label = {eid: cluster or eid for eid, _, cluster in events}
    by_key: dict[str, list[str]] = {}
    for eid, key, _ in events:
        by_key.setdefault(key, []).append(eid)

    def labels(keys: Iterable[str]) -> set[str]:
        return {label[e] for k in keys for e in by_key.get(str(k), [])}

    for d in sorted(overrides, key=lambda d: d.seq):
        if d.action == "merge":
            sides = labels(d.payload.get("keys", [])), labels(d.payload.get("with_keys", []))
            if not sides[0] or not sides[1]:
                log.info("cluster merge #%s: one side is not in this run", d.seq)
                continue
            joined = sides[0] | sides[1]
            target = min(joined)
            for eid, value in label.items():
                if value in joined:
                    label[eid] = target
        elif d.action == "split":
            leaving = {e for k in d.payload.get("keys", []) for e in by_key.get(str(k), [])}
            for eid in leaving:
                label[eid] = f"split:{d.seq}"
    members: dict[str, list[str]] = {}
    for eid, value in label.items():
        members.setdefault(value, []).append(eid)
    return {eid: hash_id("cluster", min(ids)) for ids in members.values() for eid in ids}


def ensure_clusters(store: Store, decisions: Sequence[Decision]) -> bool:
    """Bring the cluster index up to date with the latest run and the overrides."""
    run = store.latest_run()
    if run is None:
        return False
    last = _last_override(decisions)
    built = store.cluster_state()
    if built == (run.id, last):
        return False
    keys = store.stable_keys_of("event")
    records = store.records("event")
    facts = [(r.id, keys.get(r.id, r.id), (r.data.get("cluster") or {}).get("id")) for r in records]
    overrides = [d for d in decisions if is_cluster_id(d.record_id) and d.action in OVERRIDES]
    labels = group(facts, overrides)
    rows = [
        ClusterMember(
            event_id=r.id,
            cluster_id=labels[r.id],
            stable_key=keys.get(r.id, r.id),
            document_id=str(r.data["evidence"]["document_id"]),
            start=int(r.data["evidence"]["start"]),
            end=int(r.data["evidence"]["end"]),
            language=str(r.data["evidence"]["language"]),
        )
        for r in records
    ]
    store.write_cluster_index(rows, run_id=run.id, last_seq=last)
    log.info("cluster index rebuilt: %s events, run %s", len(rows), run.id)
    return True


def by_cluster(rows: Iterable[ClusterMember]) -> dict[str, list[ClusterMember]]:
    found: dict[str, list[ClusterMember]] = {}
    for m in rows:
        found.setdefault(m.cluster_id, []).append(m)
    return found


def cluster_data(cluster_id: str, members: Sequence[ClusterMember]) -> dict[str, Any]:
    """The ``cluster`` field of an event record for a desk cluster (schemas.EventCluster:
    its id and counts; the desk lists its members from the cluster index)."""
    return {
        "id": cluster_id,
        "num_mentions": len(members),
        "num_sources": len({m.document_id for m in members}),
        "languages": sorted({m.language for m in members}),
    }


def _targets(d: Decision, by_key: dict[str, str]) -> set[str]:
    """Desk clusters a ruling reaches: those holding a key of its members."""
    return {by_key[k] for k in d.payload.get("members", {}) if k in by_key}


def carried_rulings(
    store: Store,
    records: Sequence[StoredRecord],
    decisions: Sequence[Decision],
    index: dict[str, ClusterMember],
) -> dict[str, list[Decision]]:
    """Cluster rulings as per-event decisions, by event id: what each loaded event of a
    decided cluster carries (see the module docstring)."""
    rulings = [d for d in cluster_decisions(decisions) if d.action in RULINGS | {"undo"}]
    if not rulings:
        return {}
    keys = {k for d in rulings for k in d.payload.get("members", {})}
    # past a few thousand keys one read of the whole index beats a statement that long
    rows = store.cluster_members(keys=keys) if len(keys) <= MAX_KEYS else store.cluster_members()
    by_key = {m.stable_key: m.cluster_id for m in rows}
    by_seq = {d.seq: d for d in rulings}
    reaching: dict[str, list[tuple[Decision, Decision]]] = {}  # cluster → (decision, ruling)
    for d in rulings:
        ruled = by_seq.get(int(d.payload.get("seq", -1))) if d.action == "undo" else d
        if ruled is None:
            continue
        for cid in _targets(ruled, by_key):
            reaching.setdefault(cid, []).append((d, ruled))
    carried: dict[str, list[Decision]] = {}
    for rec in records:
        member = index.get(rec.id)
        if rec.type != "event" or member is None:
            continue
        for d, ruled in reaching.get(member.cluster_id, []):
            seen = d.payload.get("members", {}).get(member.stable_key) if d is ruled else None
            record_id, digest = (seen[0], seen[1]) if seen else (rec.id, rec.evidence_hash)
            payload: dict[str, Any] = {"cluster": d.record_id}
            if d.action == "undo":
                payload["seq"] = ruled.seq
            carried.setdefault(rec.id, []).append(
                dataclasses.replace(d, record_id=record_id, evidence_hash=digest, payload=payload)
            )
    return carried


# -- deciding ---------------------------------------------------------------------------------


def _digest(parts: object) -> str:
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def members_of(store: Store, ref: str) -> tuple[str, list[ClusterMember]]:
    """A desk cluster by its id or by the id of one of its events: (id, members)."""
    decisions = store.decisions()
    ensure_clusters(store, decisions)
    if is_cluster_id(ref):
        rows = store.cluster_members(clusters=[ref])
        if not rows:  # an id of an earlier run: the cluster that holds its decided reports
            keys = {
                str(k)
                for d in decisions
                if d.record_id == ref
                for k in [*d.payload.get("members", {}), *d.payload.get("keys", [])]
            }
            found = by_cluster(store.cluster_members(keys=keys)) if keys else {}
            rows = found[min(found)] if found else []
    else:
        rows = store.cluster_members(events=[ref])
    if not rows:
        raise ReviewError(f"{ref}: no such event cluster in the latest run")
    return rows[0].cluster_id, rows


def _undo_payload(cluster_id: str, store: Store, payload: dict[str, Any]) -> dict[str, Any]:
    seq = payload.get("seq")
    decisions = store.decisions()
    target = next(
        (
            d
            for d in decisions
            if d.seq == seq and is_cluster_id(d.record_id) and d.action in RULINGS
        ),
        None,
    )
    if target is None:
        raise ReviewError(f"{cluster_id}: no accept or reject #{seq} of an event cluster to undo")
    if any(
        d.action == "undo" and is_cluster_id(d.record_id) and d.payload.get("seq") == seq
        for d in decisions
    ):
        raise ReviewError(f"{cluster_id}: decision #{seq} is already undone")
    return {"seq": target.seq}


def cluster_payload(
    store: Store, cluster_id: str, action: str, payload: dict[str, Any]
) -> tuple[str, dict[str, Any], str]:
    """(cluster id, payload to log, evidence hash) of a decision about a cluster;
    ReviewError when it cannot apply to the clusters as they stand."""
    if action not in CLUSTER_ACTIONS:
        raise ReviewError(
            f"{cluster_id}: an event cluster can be accepted, rejected, merged or split, not"
            f" {action!r}"
        )
    logged: dict[str, Any]
    if action == "undo":  # by the ruling's number: the cluster may have changed since
        logged = _undo_payload(cluster_id, store, payload)
        if "batch" in payload:
            logged["batch"] = payload["batch"]
        return cluster_id, logged, ""
    cid, members = members_of(store, cluster_id)
    hashes = {r.id: r.evidence_hash for r in store.records(ids=[m.event_id for m in members])}
    digest = _digest(sorted(hashes.values()))
    if action in RULINGS:
        logged = {"members": {m.stable_key: [m.event_id, hashes[m.event_id]] for m in members}}
    elif action == "merge":
        other = str(payload.get("with") or payload.get("into") or "").strip()
        if not other:
            raise ReviewError(f"{cid}: merge needs the other cluster (or one of its events)")
        oid, others = members_of(store, other)
        if oid == cid:
            raise ReviewError(f"{cid}: {other} is already in this cluster")
        logged = {
            "with": oid,
            "keys": sorted({m.stable_key for m in members}),
            "with_keys": sorted({m.stable_key for m in others}),
            "sizes": [len(members), len(others)],
        }
    else:  # split
        chosen = {str(e) for e in payload.get("events", [])}
        known = {m.event_id for m in members}
        unknown = sorted(chosen - known)
        if unknown:
            raise ReviewError(f"{cid}: not reports of this cluster: {', '.join(unknown)}")
        if not chosen or chosen == known:
            raise ReviewError(f"{cid}: split off some of its reports, not none or all")
        logged = {
            "events": sorted(chosen),
            "keys": sorted({m.stable_key for m in members if m.event_id in chosen}),
            "sizes": [len(members)],
        }
    if "batch" in payload:
        logged["batch"] = payload["batch"]
    return cid, logged, digest


def decide_cluster(
    store: Store,
    cluster_id: str,
    action: str,
    *,
    reviewer: str,
    base_version: int,
    payload: dict[str, Any] | None = None,
    note: str = "",
) -> Decision:
    """Log one decision about a whole event cluster (ConflictError when ``base_version``,
    the number of decisions logged under its id, is stale)."""
    cid, logged, digest = cluster_payload(store, cluster_id, action, dict(payload or {}))
    if cid != cluster_id:  # named by one of its events: no cluster version was seen
        base_version = store.version(cid)
    decision = store.append_decision(
        cid,
        action,
        logged,
        reviewer=reviewer,
        note=note.strip(),
        evidence_hash=digest,
        base_version=base_version,
    )
    if action in OVERRIDES:
        ensure_clusters(store, store.decisions())
    return decision


def cluster_history(store: Store, cluster_id: str) -> list[Decision]:
    """Cluster decisions that concern the desk cluster ``cluster_id``: logged under its id,
    rulings that reach it through its members' keys, and merges and splits of its events."""
    rows = store.cluster_members(clusters=[cluster_id])
    keys = {m.stable_key for m in rows}
    events = {m.event_id for m in rows}
    mine: list[Decision] = []
    for d in cluster_decisions(store.decisions()):
        named = {
            *d.payload.get("members", {}),
            *d.payload.get("keys", []),
            *d.payload.get("with_keys", []),
        }
        if d.record_id == cluster_id or keys & named or events & set(d.payload.get("events", [])):
            mine.append(d)
    by_seq = {d.seq: d for d in mine}
    for d in cluster_decisions(store.decisions()):
        if d.action == "undo" and int(d.payload.get("seq", -1)) in by_seq and d not in mine:
            mine.append(d)
    return sorted(mine, key=lambda d: d.seq)


def cluster_sentence(d: Decision) -> str:
    """A cluster decision as a sentence (without who and when)."""

    def reports(n: int) -> str:
        return f"{n} report{'s' if n != 1 else ''}"

    sizes = [int(n) for n in d.payload.get("sizes", [])]
    if d.action in RULINGS:
        verb = "accepted" if d.action == "accept" else "rejected"
        return f"{verb} the event with all its reports ({reports(len(d.payload['members']))})"
    if d.action == "merge":
        mine, theirs = [*sizes, 0, 0][:2]
        return (
            f"merged {d.record_id} ({reports(mine)}) with {d.payload.get('with')}"
            f" ({reports(theirs)}): one real-world event"
        )
    if d.action == "split":
        n = len(d.payload.get("events", []))
        return f"split {reports(n)} off {d.record_id} into an event of their own"
    if d.action == "undo":
        return f"undid #{d.payload.get('seq')}"
    return d.action
