"""One real-world event across documents and languages (pipeline.clusters)."""

from __future__ import annotations

import pytest

from pipeline.clusters import cluster_events, cluster_records, same_event
from pipeline.evaluate.clusters import score
from schemas.records import DateInfo, EventRecord, EventWeapon, Evidence, Extractor

EXTRACTOR = Extractor(version="test")


def event(
    doc: str,
    kind: str = "agreement_signed",
    value: str | None = "1978-11-03",
    *,
    basis: str = "sentence",
    lang: str = "en",
    weapons: list[tuple[str, int | None]] | None = None,
    people: list[str] | None = None,
    countries: list[str] | None = None,
    sentence: str = "s",
) -> EventRecord:
    date = None
    if value is not None:
        date = DateInfo(text=value, value=value, start=0, end=1, basis=basis)  # type: ignore[arg-type]
    return EventRecord(
        id=f"event:{doc}-{kind}-{value}",
        type=kind,  # type: ignore[arg-type]
        date=date,
        weapons=[EventWeapon(id=w, quantity=q) for w, q in weapons or []],
        people=people or [],
        countries=countries or [],
        evidence=Evidence(document_id=doc, sentence=sentence, start=0, end=1, language=lang),
        confidence=0.9,
        extractor=EXTRACTOR,
    )


def test_treaty_told_by_four_documents_in_four_languages_is_one_event() -> None:
    events = [
        event("document:en", people=["person:le-duan"]),
        event("document:ru", lang="ru"),
        event("document:ar", lang="ar"),
        event("document:zh", lang="zh", countries=["SU", "VN"]),
    ]
    # the same day, and no participant in conflict: one event
    clustered = cluster_events(events)
    ids = {e.cluster.id for e in clustered if e.cluster is not None}
    assert len(ids) == 1
    cluster = clustered[0].cluster
    assert cluster is not None
    assert (cluster.num_mentions, cluster.num_sources) == (4, 4)
    assert cluster.languages == ["ar", "en", "ru", "zh"]
    (record,) = cluster_records(clustered)
    assert record.model_dump(exclude={"mentions", "schema_version"}) == cluster.model_dump()
    assert [m.document_id for m in record.mentions] == sorted(
        e.evidence.document_id for e in events
    )


def test_events_carry_counts_and_each_cluster_record_lists_its_events_once() -> None:
    """GDELT's split: an event names its cluster and counts, the cluster's record lists
    the mentions, so an event's line does not grow with its cluster."""
    events = [
        event("document:b", lang="ru"),
        event("document:a"),
        event("document:a", "incident", sentence="t"),
        event("document:c", value="1980-01-01", countries=["VN"]),
    ]
    clustered = cluster_events(events)
    assert all("mentions" not in e.model_dump()["cluster"] for e in clustered)
    records = cluster_records(clustered)
    assert [r.id for r in records] == sorted({e.cluster.id for e in clustered if e.cluster})
    listed = [m.event_id for r in records for m in r.mentions]
    assert sorted(listed) == sorted(e.id for e in events)
    treaty = next(r for r in records if r.num_mentions == 2)
    assert [(m.document_id, m.language) for m in treaty.mentions] == [
        ("document:a", "en"),
        ("document:b", "ru"),
    ]
    assert (treaty.num_sources, treaty.languages) == (2, ["en", "ru"])


def test_cluster_records_refuse_unclustered_events() -> None:
    with pytest.raises(ValueError, match="not clustered"):
        cluster_records([event("document:a")])


def test_cluster_ids_do_not_depend_on_input_order() -> None:
    events = [event("document:a"), event("document:b", lang="ru"), event("document:c", "incident")]
    forward = {e.id: e.cluster.id for e in cluster_events(events) if e.cluster}
    backward = {e.id: e.cluster.id for e in cluster_events(events[::-1]) if e.cluster}
    assert forward == backward
    assert (
        forward["event:document:c-incident-1978-11-03"]
        != forward["event:document:a-agreement_signed-1978-11-03"]
    )


def test_different_types_years_or_systems_are_different_events() -> None:
    su30 = [("weapon:su-30mk2", 12)]
    base = event("document:a", "arms_order", "2013", weapons=su30, countries=["VN", "RU"])
    assert same_event(
        base, event("document:b", "arms_order", "2013", weapons=su30, countries=["VN"])
    )
    assert not same_event(
        base, event("document:b", "arms_delivery", "2013", weapons=su30, countries=["VN", "RU"])
    )
    assert not same_event(
        base, event("document:b", "arms_order", "2010", weapons=su30, countries=["VN", "RU"])
    )
    # both name systems, none in common
    other = [("weapon:t-90s", 12)]
    assert not same_event(
        base, event("document:b", "arms_order", "2013", weapons=other, countries=["VN", "RU"])
    )
    # "in 2010 and 2013" read as a range holds two orders: it joins neither year
    assert not same_event(
        base, event("document:b", "arms_order", "2010/2013", weapons=su30, countries=["VN", "RU"])
    )
    # an order planned (or denied) is not the order placed
    same = event("document:b", "arms_order", "2013", weapons=su30, countries=["VN", "RU"])
    assert not same_event(base, same.model_copy(update={"modality": "planned"}))
    assert same_event(
        base.model_copy(update={"modality": "negated"}),
        same.model_copy(update={"modality": "negated"}),
    )


def test_a_year_needs_two_things_in_common_a_month_one_a_day_none() -> None:
    a = event("document:a", "diplomatic_visit", "2013", people=["person:sergei-shoigu"])
    assert not same_event(
        a, event("document:b", "diplomatic_visit", "2013", people=["person:sergei-shoigu"])
    )
    m = event("document:a", "diplomatic_visit", "2013-03", people=["person:sergei-shoigu"])
    assert same_event(
        m, event("document:b", "diplomatic_visit", "2013-03", people=["person:sergei-shoigu"])
    )
    assert not same_event(m, event("document:b", "diplomatic_visit", "2013-03"))
    d = event("document:a", "diplomatic_visit", "2013-03-05")
    assert same_event(d, event("document:b", "diplomatic_visit", "2013-03-05"))
    # the same count of the same system counts as a second thing in common
    t90 = [("weapon:t-90s", 64)]
    assert same_event(
        event("document:a", "arms_order", "2017", weapons=t90),
        event("document:b", "arms_order", "2017", weapons=t90, countries=["VN"]),
    )


def test_events_dated_only_by_their_report_need_the_same_systems_and_counts() -> None:
    sale = [("weapon:project-636", 6), ("weapon:su-30mk2", 12)]
    a = event("document:en", "arms_order", None, weapons=sale)
    b = event(
        "document:ar", "arms_order", "2014-05-02", basis="reported_by", weapons=sale, lang="ar"
    )
    assert same_event(a, b)
    assert not same_event(
        a, event("document:c", "arms_order", None, weapons=[("weapon:su-30mk2", 12)])
    )
    assert not same_event(
        a,
        event(
            "document:c",
            "arms_order",
            None,
            weapons=[("weapon:project-636", 4), ("weapon:su-30mk2", 12)],
        ),
    )
    # a report date is not the event's date: it never meets a stated one
    assert not same_event(b, event("document:c", "arms_order", "2014-05-02", weapons=sale))


def test_pairwise_score_against_a_gold() -> None:
    events = cluster_events(
        [
            event("document:a", sentence="treaty one"),
            event("document:b", sentence="treaty two", lang="ru"),
            event(
                "document:c",
                "arms_order",
                "2017",
                sentence="64 tanks",
                weapons=[("weapon:t-90s", 64)],
            ),
        ]
    )
    gold = [
        {
            "id": "treaty",
            "type": "agreement_signed",
            "mentions": [
                {"file": "a.txt", "contains": "treaty"},
                {"file": "b.txt", "contains": "treaty"},
            ],
        },
        {
            "id": "tanks",
            "type": "arms_order",
            "mentions": [
                {"file": "c.txt", "contains": "64 tanks"},
                {"file": "d.txt", "contains": "missing"},
            ],
        },
    ]
    files = {"document:a": "a.txt", "document:b": "b.txt", "document:c": "c.txt"}
    result = score(gold, events, files)
    assert (result.gold_mentions, result.unmatched, result.judged) == (4, 1, 3)
    assert result.precision is not None and result.recall is not None
    assert (result.precision.hits, result.precision.total) == (1, 1)
    assert (result.recall.hits, result.recall.total) == (1, 1)


def _brute_force_groups(events: list[EventRecord]) -> set[frozenset[str]]:
    """Every pair compared, as the rule states it: the connected groups of same_event."""
    parent = list(range(len(events)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(len(events)):
        for j in range(i + 1, len(events)):
            if same_event(events[i], events[j]):
                parent[find(j)] = find(i)
    groups: dict[int, set[str]] = {}
    for i, e in enumerate(events):
        groups.setdefault(find(i), set()).add(e.evidence.document_id)
    return {frozenset(g) for g in groups.values()}


def test_shortcuts_give_the_clusters_of_every_pair_compared() -> None:
    """Copies compared once as a class and pairs only where they share something: the
    groups are still those of comparing every pair (random events, many copies)."""
    import random

    rng = random.Random(7)
    kinds = ["arms_order", "arms_delivery", "diplomatic_visit"]
    values = [None, "2009", "2009-12", "2009-12-15", "2010", "2009/2010", "2009-12-16"]
    systems = ["weapon:kilo", "weapon:su-30", "weapon:gepard"]
    events = []
    for n in range(240):
        doc = f"document:{n:04d}"
        if n >= 120:  # the second half copies the first (a corpus of repeated articles)
            source = events[rng.randrange(120)]
            events.append(
                source.model_copy(
                    update={
                        "id": f"event:{doc}",
                        "evidence": source.evidence.model_copy(update={"document_id": doc}),
                    }
                )
            )
            continue
        events.append(
            event(
                doc,
                rng.choice(kinds),
                rng.choice(values),
                basis=rng.choice(["sentence", "reported_by"]),
                weapons=[
                    (w, rng.choice([None, 6, 12]))
                    for w in rng.sample(systems, rng.randrange(len(systems) + 1))
                ],
                people=rng.sample(["person:a", "person:b"], rng.randrange(3)),
                countries=rng.sample(["RU", "VN", "IN"], rng.randrange(3)),
            )
        )
    clustered = cluster_events(events)
    groups: dict[str, set[str]] = {}
    for e in clustered:
        assert e.cluster is not None
        groups.setdefault(e.cluster.id, set()).add(e.evidence.document_id)
    found = {frozenset(g) for g in groups.values()}
    assert found == _brute_force_groups(events)
    assert any(len(g) > 2 for g in found) and any(len(g) == 1 for g in found)
