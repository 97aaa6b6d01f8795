"""One real-world event across documents and languages: event records clustered.

Two event records tell the same occurrence when all of these hold:

- **the same type**;
- **compatible dates**: both dated by their text (any ``date.basis`` but
  ``reported_by``) with one value containing the other (1978 and 1978-11-03; a range
  only matches the same range); or
  neither dated by its text, and then the same weapons systems, with equal
  quantities where both give one (an undated sale told by two articles);
- **no conflicting participants**: for weapons systems, people and countries
  alike, when both records name some, they share at least one;
- **enough in common**: at least ``MIN_SHARED`` things shared (systems, people,
  countries, and a system's count when both give the same one: "64 T-90S"); one is
  enough when both give the same month; none when both give the same day (a treaty of
  3 November 1978 told without names).

Clusters are the connected groups of that relation. A cluster's id is the hash of its
member event id that sorts first, so re-running the same documents gives the same
ids. As in GDELT, events and mentions are kept apart: each event carries its cluster's id
and counts (NumMentions, NumSources, languages), and the cluster's own record
(``clusters.jsonl``) lists its mentions (event, document, sentence offsets, language).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from pipeline.ids import hash_id
from schemas.edtf import Edtf, parse_or_none
from schemas.records import ClusterMention, ClusterRecord, EventCluster, EventRecord

MIN_SHARED = 2


@dataclass(frozen=True)
class EventFacts:
    """What the rule compares, read once per event."""

    type: str
    stated: Edtf | None
    systems: dict[str, int | None]
    people: frozenset[str]
    countries: frozenset[str]


def _facts(event: EventRecord) -> EventFacts:
    stated = None
    if event.date is not None and event.date.basis != "reported_by":
        # the event's date as its text states it (not its report's date)
        stated = parse_or_none(event.date.value)
    systems: dict[str, int | None] = {}
    for w in event.weapons:
        if systems.get(w.id) is None:
            systems[w.id] = w.quantity
    # a planned, threatened or denied event is not the occurrence itself: it clusters only
    # with reports that state it the same way
    kind = event.type if event.modality == "asserted" else f"{event.type}:{event.modality}"
    return EventFacts(kind, stated, systems, frozenset(event.people), frozenset(event.countries))


def _dates_agree(a: EventFacts, b: EventFacts) -> bool:
    if a.stated is not None and b.stated is not None:
        if "range" in (a.stated.precision, b.stated.precision):
            # "in 2010 and 2013" read as 2010/2013 holds two events: ranges match only ranges
            return a.stated == b.stated
        return a.stated.contains(b.stated) or b.stated.contains(a.stated)
    if a.stated is not None or b.stated is not None:
        return False
    # neither dated by its text: the same systems, in the same numbers where both count
    if not a.systems or a.systems.keys() != b.systems.keys():
        return False
    return all(
        a.systems[k] is None or b.systems[k] is None or a.systems[k] == b.systems[k]
        for k in a.systems
    )


def _shared(a: Collection[str], b: Collection[str]) -> int | None:
    """Participants both name; None when both name some and share none (a conflict)."""
    common = len(set(a) & set(b))
    if a and b and not common:
        return None
    return common


def _same(a: EventFacts, b: EventFacts) -> bool:
    if a.type != b.type or not _dates_agree(a, b):
        return False
    counts = [
        _shared(a.systems.keys(), b.systems.keys()),
        _shared(a.people, b.people),
        _shared(a.countries, b.countries),
    ]
    if any(c is None for c in counts):
        return False
    # the same count of the same system is one more thing in common ("64 T-90S")
    counted = sum(1 for k, n in a.systems.items() if n is not None and b.systems.get(k) == n)
    shared = sum(c or 0 for c in counts) + counted
    same_date = a.stated is not None and a.stated == b.stated
    if same_date and a.stated is not None and a.stated.precision == "day":
        return True
    if same_date and a.stated is not None and a.stated.precision == "month":
        return shared >= 1
    return shared >= MIN_SHARED


def same_event(a: EventRecord, b: EventRecord) -> bool:
    """Whether ``a`` and ``b`` tell the same real-world event (the module's rule)."""
    return _same(_facts(a), _facts(b))


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _signature(facts: EventFacts) -> tuple[object, ...]:
    """Everything the rule reads: two events with one signature match the same events."""
    systems = tuple(sorted(facts.systems.items()))
    return (facts.type, facts.stated, systems, facts.people, facts.countries)


def _tokens(facts: EventFacts) -> set[tuple[str, str, object]]:
    """What two matching events must have in common: a participant (any match but the
    same day needs one: ``MIN_SHARED`` is at least 1), or the same day."""
    tokens: set[tuple[str, str, object]] = {(facts.type, "system", k) for k in facts.systems}
    tokens.update((facts.type, "person", p) for p in facts.people)
    tokens.update((facts.type, "country", c) for c in facts.countries)
    if facts.stated is not None and facts.stated.precision == "day":
        tokens.add((facts.type, "day", facts.stated))
    return tokens


def cluster_labels(facts: Sequence[EventFacts]) -> list[int]:
    """A label per event; events with the same label form one cluster (the connected
    groups of :func:`_same`).

    Events with the same signature are compared once, as a class: a class joins whatever
    one of its members would join. Classes are compared only when they share a token
    (:func:`_tokens`), the least any matching pair has in common, so the work grows with
    the distinct events that share something, not with all pairs of events.
    """
    classes: dict[tuple[object, ...], list[int]] = {}
    for i, fact in enumerate(facts):
        classes.setdefault(_signature(fact), []).append(i)
    members = list(classes.values())
    reps = [facts[group[0]] for group in members]
    tokens = [_tokens(rep) for rep in reps]
    parent = list(range(len(members)))
    # a class whose members are in a cluster with others: its copies match each other,
    # or it matches another class
    joined = [_same(rep, rep) for rep in reps]
    by_token: dict[tuple[str, str, object], list[int]] = {}
    for c, keys in enumerate(tokens):
        for key in keys:
            by_token.setdefault(key, []).append(c)
    for c, rep in enumerate(reps):
        candidates = {d for key in tokens[c] for d in by_token[key] if d > c}
        for d in sorted(candidates):
            if _find(parent, c) != _find(parent, d) and _same(rep, reps[d]):
                parent[_find(parent, d)] = _find(parent, c)
                joined[c] = joined[d] = True
    labels = list(range(len(facts)))  # alone, unless its class is joined
    for c, group in enumerate(members):
        if joined[c]:
            for i in group:
                labels[i] = len(facts) + _find(parent, c)
    return labels


@dataclass(frozen=True)
class Member:
    """What a cluster lists of one of its events."""

    event_id: str
    document_id: str
    start: int
    end: int
    language: str


def member(event: EventRecord) -> Member:
    e = event.evidence
    return Member(event.id, e.document_id, e.start, e.end, e.language)


def event_facts(event: EventRecord) -> EventFacts:
    """What the clustering rule compares of ``event`` (read once, kept instead of it)."""
    return _facts(event)


def cluster_summary(members: Collection[Member]) -> EventCluster:
    """What every event of a cluster carries of it: its id and counts."""
    return EventCluster(
        id=hash_id("cluster", min(m.event_id for m in members)),
        num_mentions=len(members),
        num_sources=len({m.document_id for m in members}),
        languages=sorted({m.language for m in members}),
    )


def mention_order(m: Member) -> tuple[str, int, str]:
    """The order of a cluster's mentions: by document, offset, event id."""
    return (m.document_id, m.start, m.event_id)


def cluster_record(summary: EventCluster, members: Iterable[Member]) -> ClusterRecord:
    """A cluster's record (``clusters.jsonl``): ``summary`` and its mentions, ``members``
    sorted by :func:`mention_order`."""
    return ClusterRecord(
        **summary.model_dump(),
        mentions=[
            ClusterMention(
                event_id=m.event_id,
                document_id=m.document_id,
                start=m.start,
                end=m.end,
                language=m.language,
            )
            for m in sorted(members, key=mention_order)
        ],
    )


def build_clusters(facts: Sequence[EventFacts], members: Sequence[Member]) -> list[EventCluster]:
    """Each event's :class:`EventCluster` (one shared object per cluster), from what
    :func:`event_facts` and :func:`member` read of the events, in the same order."""
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(cluster_labels(facts)):
        groups.setdefault(label, []).append(i)
    clusters: list[EventCluster | None] = [None] * len(facts)
    for indices in groups.values():
        cluster = cluster_summary([members[i] for i in indices])
        for i in indices:
            clusters[i] = cluster
    return [c for c in clusters if c is not None]


def cluster_events(events: Sequence[EventRecord]) -> list[EventRecord]:
    """``events`` in the same order, each with its :class:`EventCluster`."""
    clusters = build_clusters([_facts(e) for e in events], [member(e) for e in events])
    return [e.model_copy(update={"cluster": c}) for e, c in zip(events, clusters, strict=True)]


def cluster_records(events: Iterable[EventRecord]) -> list[ClusterRecord]:
    """The records of the clusters of ``events`` (each clustered, as
    :func:`cluster_events` gives them), sorted by id: every event in exactly one."""
    groups: dict[str, tuple[EventCluster, list[Member]]] = {}
    for event in events:
        if event.cluster is None:
            raise ValueError(f"{event.id}: event not clustered")
        groups.setdefault(event.cluster.id, (event.cluster, []))[1].append(member(event))
    return [cluster_record(*groups[cid]) for cid in sorted(groups)]
