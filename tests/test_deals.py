"""Deals: reports of one transfer, from any document or language, grouped into one record."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.deals import _soviet, build_deals
from schemas.edtf import parse_or_none
from schemas.records import EventRecord, Party, WeaponRecord

KILO = WeaponRecord(
    id="weapon:project-636-1",
    name="Project 636.1",
    category="submarine",
    family="Project 636",
    origin="RU",
    known=True,
)
SU30 = WeaponRecord(
    id="weapon:su-30mk2", name="Su-30MK2", category="aircraft", family="Su-30", origin="RU"
)


def event(
    etype: str,
    date: str | None,
    quantity: int | None,
    *,
    doc: str = "document:a",
    weapon: str = "weapon:project-636-1",
    recipient: str | None = "VN",
    supplier: str | None = "RU",
    language: str = "en",
) -> EventRecord:
    parties: dict[str, Any] = {}
    if supplier:
        parties["supplier"] = {"country": supplier, "basis": "sentence"}
    if recipient:
        parties["recipient"] = {"country": recipient, "basis": "sentence"}
    start = abs(hash((etype, date, quantity, doc, weapon))) % 10_000
    return EventRecord.model_validate(
        {
            "id": f"event:{start:016x}",
            "type": etype,
            "date": None
            if date is None
            else {"text": date, "value": date, "start": 0, "end": 4, "precision": "year"},
            "weapons": [{"id": weapon, "quantity": quantity, **parties}],
            "evidence": {
                "document_id": doc,
                "sentence": f"{etype} {date} {quantity}",
                "start": start,
                "end": start + 10,
                "language": language,
            },
            "confidence": 0.9,
            "extractor": {"version": "test"},
        }
    )


def test_reports_in_two_languages_are_one_deal_with_its_deliveries() -> None:
    deals = build_deals(
        [
            event("arms_order", "2009-12", 6, doc="document:en"),
            event("arms_order", "2009", 6, doc="document:ar", language="ar"),
            event("arms_delivery", "2014", 2, doc="document:en"),
            event("arms_delivery", "2014", 2, doc="document:ru", language="ru"),  # same one
            event("arms_delivery", "2016", 4, doc="document:ru", language="ru"),
        ],
        [KILO],
    )
    assert len(deals) == 1
    deal = deals[0]
    assert (deal.number_ordered, deal.order_date) == (6, "2009-12")  # the more precise date
    assert (deal.number_delivered, deal.delivery_dates) == (6, ["2014", "2016"])
    assert deal.status == "delivered"
    assert {s.language for s in deal.sources} == {"en", "ar", "ru"}
    assert len(deal.sources) == 5


def test_different_quantities_parties_or_families_are_different_deals() -> None:
    deals = build_deals(
        [
            event("arms_order", "2003", 4),
            event("arms_order", "2003", 8),  # another quantity: another order
            event("arms_order", "2003", 4, recipient="IN"),  # another recipient
            event("arms_order", "2003", 12, weapon="weapon:su-30mk2"),
        ],
        [KILO, SU30],
    )
    assert sorted((d.designation, d.recipient.country, d.number_ordered) for d in deals) == [  # type: ignore[union-attr]
        ("Project 636.1", "IN", 4),
        ("Project 636.1", "VN", 4),
        ("Project 636.1", "VN", 8),
        ("Su-30MK2", "VN", 12),
    ]


def test_deal_ids_stay_when_a_later_report_joins() -> None:
    first = build_deals([event("arms_order", "2009", 6)], [KILO])
    later = build_deals(
        [event("arms_order", "2009", 6), event("arms_order", "2009-12", None, doc="document:b")],
        [KILO],
    )
    assert [d.id for d in first] == [d.id for d in later]
    assert later[0].order_date == "2009-12" and len(later[0].sources) == 2


def test_status_follows_the_reports() -> None:
    ordered = build_deals([event("arms_order", "2020", 12)], [KILO])[0]
    part = build_deals(
        [event("arms_order", "2020", 12), event("arms_delivery", "2021", 4)], [KILO]
    )[0]
    only_delivered = build_deals([event("arms_delivery", "2021", 4)], [KILO])[0]
    assert (ordered.status, part.status, only_delivered.status) == (
        "ordered",
        "delivering",
        "delivered",
    )


def test_a_total_stated_within_a_delivery_period_is_not_counted_twice() -> None:
    six = event("arms_delivery", "2014/2017", 6)
    total = event("arms_delivery", "2017-01", 6, doc="document:b")  # "all six now delivered"
    assert build_deals([six, total], [KILO])[0].number_delivered == 6
    # two batches in two years stay two batches
    batches = [event("arms_delivery", "2014", 2), event("arms_delivery", "2015", 2)]
    assert build_deals(batches, [KILO])[0].number_delivered == 4


def test_unstated_supplier_is_the_origin_and_says_so() -> None:
    deal = build_deals([event("arms_order", "2020", 12, supplier=None)], [KILO])[0]
    assert deal.supplier == Party(country="RU", basis="origin")
    assert "country of origin" in deal.comments


def test_events_that_are_not_transfers_make_no_deal() -> None:
    visit = event("arms_order", "2020", 1).model_copy(update={"type": "diplomatic_visit"})
    assert build_deals([visit], [KILO]) == []


@pytest.mark.parametrize("modality", ["planned", "threatened", "negated"])
def test_a_transfer_not_stated_as_done_makes_no_deal(modality: str) -> None:
    order = event("arms_order", "2020", 6)
    assert len(build_deals([order], [KILO])) == 1
    assert build_deals([order.model_copy(update={"modality": modality})], [KILO]) == []


@pytest.mark.parametrize(
    ("date", "supplier"),
    [
        ("1965", "SU"),
        ("196X", "SU"),
        ("1991-12", "SU"),
        ("198X", "SU"),
        ("199X", "RU"),  # mostly after 1991: not dated before 1992
        ("1985/1991", "SU"),
        ("2009-12", "RU"),
        ("", "RU"),
    ],
)
def test_soviet_era_supplier(date: str, supplier: str) -> None:
    """SIPRI records Soviet-era transfers under the Soviet Union, not Russia."""
    party = _soviet(Party(country="RU", basis="sentence"), parse_or_none(date))
    assert party is not None and party.country == supplier


@pytest.mark.parametrize(
    ("order_date", "delivery_date", "matched"),
    [
        ("199X", "1995", True),  # as text "199X" > "1995"
        ("19XX", "1995", True),
        ("1996", "1995", False),
        ("2009-12", "2009", True),  # an order in December 2009 can precede a 2009 delivery
        ("2014-03", "2014-01", False),
        ("1990/1994", "1995", True),
        ("2014-21", "2014-02", False),  # spring 2014 is after February
    ],
)
def test_delivery_joins_order_by_date_value_not_text(
    order_date: str, delivery_date: str, matched: bool
) -> None:
    deals = build_deals(
        [event("arms_order", order_date, 6), event("arms_delivery", delivery_date, 2)], [KILO]
    )
    if matched:
        assert len(deals) == 1 and deals[0].delivery_dates == [delivery_date]
    else:
        assert sorted((d.order_date or "", d.delivery_dates) for d in deals) == [
            ("", [delivery_date]),
            (order_date, []),
        ]


def test_a_store_made_before_deals_takes_them_and_keeps_its_rows(tmp_path: Any) -> None:
    import sqlite3

    from pipeline.review.store import _SCHEMA, Store

    old = _SCHEMA.replace(", 'deal'", "")
    assert old != _SCHEMA
    path = tmp_path / "review.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(old)
    conn.execute("INSERT INTO runs (id, seq, started) VALUES ('r1', 1, 'now')")
    columns = "(id, type, json, evidence_hash, first_seen_run, last_seen_run)"
    conn.execute(
        f"INSERT INTO records {columns} VALUES ('event:1', 'event', '{{}}', 'h', 'r1', 'r1')"
    )
    conn.execute("INSERT INTO mentions VALUES ('event:1', 'document:a', 0, 4, 'text', 'en', 2)")
    conn.commit()
    conn.close()
    with Store(path) as store:
        with store.transaction() as tx:
            tx.execute(
                f"INSERT INTO records {columns} VALUES ('deal:1', 'deal', '{{}}', 'h', 'r1', 'r1')"
            )
        kept = store._conn.execute("SELECT count(*) FROM mentions").fetchone()[0]
        types = [r[0] for r in store._conn.execute("SELECT type FROM records ORDER BY id")]
    assert kept == 1 and types == ["deal", "event"]


def test_a_class_name_and_its_variant_are_one_deal_named_by_the_variant() -> None:
    kilo_class = WeaponRecord(
        id="weapon:kilo-class", name="Kilo class", category="submarine", origin="RU"
    )
    kilo = KILO.model_copy(update={"family": "Project 636"})  # Project 636 → Kilo class
    deals = build_deals(
        [
            event("arms_order", "2009", 6, weapon="weapon:kilo-class", doc="document:ar"),
            event("arms_order", "2009-12", 6, doc="document:en"),
        ],
        [kilo, kilo_class],
    )
    assert len(deals) == 1 and deals[0].designation == "Project 636.1"


def test_a_report_date_is_no_order_date() -> None:
    reported = event("arms_order", "2024-05-01", 6)
    assert reported.date is not None
    reported.date.basis = "reported_by"
    deal = build_deals([reported, event("arms_order", "2009", 6, doc="document:b")], [KILO])
    assert len(deal) == 1 and deal[0].order_date == "2009"  # the undated report joins


def test_a_named_ship_gives_its_class_as_the_designation() -> None:
    hull = WeaponRecord(
        id="weapon:ha-noi", name="Ha Noi", category="submarine", family="Project 636.1"
    )
    deals = build_deals(
        [
            event("arms_delivery", "2014", 1, weapon="weapon:ha-noi"),
            event("arms_order", "2009", 6, doc="document:b"),
        ],
        [KILO, hull],
    )
    assert [d.designation for d in deals] == ["Project 636.1"]


def test_deals_built_key_by_key_are_the_deals_of_all_reports() -> None:
    """The streamed run builds deals one deal key at a time (deal_reports): an event
    naming two systems gives one narrowed report per system, planned transfers none, and
    the deals of every key together are build_deals over all the events."""
    from itertools import groupby

    from pipeline.deals import deal_reports

    both = event("arms_order", "2009", 6, doc="document:b")
    both = both.model_copy(
        update={
            "weapons": [*both.weapons, *event("arms_order", "2009", 12, weapon=SU30.id).weapons]
        }
    )
    planned = event("arms_order", "2011", 4).model_copy(update={"modality": "planned"})
    events = [
        event("arms_order", "2009-12", 6),
        both,
        planned,
        event("arms_delivery", "2014", 2, doc="document:c"),
        event("arms_delivery", "2015", 12, weapon=SU30.id, doc="document:c"),
        event("arms_order", "2000", 20, weapon=SU30.id, recipient="IN"),  # another key
    ]
    weapons = {w.id: w for w in (KILO, SU30)}
    assert deal_reports(planned, weapons) == []
    split = deal_reports(both, weapons)
    assert [[w.id for w in e.weapons] for _, e in split] == [[KILO.id], [SU30.id]]
    assert [key for key, _ in split] == [("RU", "VN", "Kilo class"), ("RU", "VN", "Su-30")]
    rows = sorted(
        ((key, e) for ev in events for key, e in deal_reports(ev, weapons)), key=lambda r: r[0]
    )
    by_key = [
        deal
        for _, group in groupby(rows, key=lambda r: r[0])
        for deal in build_deals([e for _, e in group], [KILO, SU30])
    ]
    expected = build_deals(events, [KILO, SU30])
    assert len({key for key, _ in rows}) == 3
    assert sorted(by_key, key=lambda d: d.id) == expected
