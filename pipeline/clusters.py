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
ids; each cluster lists its mentions (event, document, sentence offsets, language)
and counts them as GDELT does (NumMentions, NumSources).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from pipeline.ids import hash_id
from schemas.edtf import Edtf, parse_or_none
from schemas.records import ClusterMention, EventCluster, EventRecord

MIN_SHARED = 2


@dataclass(frozen=True)
class _Facts:
    """What the rule compares, read once per event."""

    type: str
    stated: Edtf | None
    systems: dict[str, int | None]
    people: frozenset[str]
    countries: frozenset[str]


def _facts(event: EventRecord) -> _Facts:
    stated = None
    if event.date is not None and event.date.basis != "reported_by":
        # the event's date as its text states it (not its report's date)
        stated = parse_or_none(event.date.value)
    systems: dict[str, int | None] = {}
    for w in event.weapons:
        if systems.get(w.id) is None:
            systems[w.id] = w.quantity
    return _Facts(event.type, stated, systems, frozenset(event.people), frozenset(event.countries))


def _dates_agree(a: _Facts, b: _Facts) -> bool:
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


def _same(a: _Facts, b: _Facts) -> bool:
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


def cluster_events(events: Sequence[EventRecord]) -> list[EventRecord]:
    """``events`` in the same order, each with its :class:`EventCluster`."""
    facts = [_facts(e) for e in events]
    parent = list(range(len(events)))
    by_type: dict[str, list[int]] = {}
    for i, event in enumerate(events):
        by_type.setdefault(event.type, []).append(i)
    for members in by_type.values():
        for n, i in enumerate(members):
            for j in members[n + 1 :]:
                if _find(parent, i) != _find(parent, j) and _same(facts[i], facts[j]):
                    parent[_find(parent, j)] = _find(parent, i)
    groups: dict[int, list[int]] = {}
    for i in range(len(events)):
        groups.setdefault(_find(parent, i), []).append(i)
    clustered = list(events)
    for members in groups.values():
        group = sorted(
            (events[i] for i in members),
            key=lambda e: (e.evidence.document_id, e.evidence.start, e.id),
        )
        cluster = EventCluster(
            id=hash_id("cluster", min(e.id for e in group)),
            mentions=[
                ClusterMention(
                    event_id=e.id,
                    document_id=e.evidence.document_id,
                    start=e.evidence.start,
                    end=e.evidence.end,
                    language=e.evidence.language,
                )
                for e in group
            ],
            num_mentions=len(group),
            num_sources=len({e.evidence.document_id for e in group}),
            languages=sorted({e.evidence.language for e in group}),
        )
        for i in members:
            clustered[i] = events[i].model_copy(update={"cluster": cluster})
    return clustered
