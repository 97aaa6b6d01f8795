"""Deals: one record per arms transfer, from every report of it in any document or language.

SIPRI's trade register has one row per deal; osintdesk's events are one per sentence.
:func:`build_deals` groups the arms events' systems into deals:

- **Key**: supplier, recipient and the system's root family (the catalogue's family
  links followed up: Project 636.1 and the Kilo class are one family). The supplier
  and recipient are the event's parties for that system
  (:mod:`pipeline.extract.parties`); a Russian system dated before 1992 came from the
  Soviet Union (SU), as SIPRI records it.
- **Orders** (arms_order, and a contract or sale naming the system): a report joins an
  earlier deal of the same key when their dates agree (one lies within the other, or
  either is undated) and their quantities agree (equal, or either unknown); the most
  precise date dates the order. Otherwise it opens a new deal.
- **Deliveries** (arms_delivery) join the latest deal of the same key that can have been
  ordered by then; a delivery with none opens a deal of its own. The same delivery
  reported twice (same date and quantity) counts once.
- **Status**: ``ordered`` before any delivery; ``delivering`` while fewer than ordered
  have been delivered (or the numbers are not known); ``delivered`` when the deliveries
  reach the order, or when only deliveries are known. ``planned`` and ``cancelled`` are
  set by a reviewer.

The designation is the most specific system the reports name (a variant over its
class; a named ship gives its class), then the one most reports give. Ids hash
the key and the deal's first year, so a deal keeps its id, and its review decisions,
when later reports join it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from pipeline.extract.parties import ARMS_EVENT_TYPES, is_arms_event, same_state
from pipeline.ids import hash_id
from pipeline.weapons import load_catalogue, load_weapons
from schemas.edtf import Edtf, parse_or_none
from schemas.records import (
    DealRecord,
    DealSource,
    DealStatus,
    DocumentRecord,
    EventRecord,
    EventWeapon,
    Party,
    WeaponRecord,
)

_USSR_END = dt.date(1992, 1, 1)

DealKey = tuple[str, str, str]
"""(supplier, recipient, family): '' where unknown."""


@dataclass(frozen=True)
class _Report:
    event: EventRecord
    weapon: EventWeapon
    date: Edtf | None
    supplier: Party | None
    recipient: Party | None
    key: DealKey

    @property
    def is_order(self) -> bool:
        return self.event.type not in ARMS_EVENT_TYPES or self.event.type == "arms_order"


@dataclass
class _Deal:
    key: DealKey
    order_date: Edtf | None = None
    number_ordered: int | None = None
    orders: list[_Report] = field(default_factory=list)
    deliveries: list[_Report] = field(default_factory=list)

    @property
    def reports(self) -> list[_Report]:
        return sorted(self.orders + self.deliveries, key=lambda r: (_order(r.date), r.event.id))

    def first_date(self) -> Edtf | None:
        if self.order_date is not None:
            return self.order_date
        dated = [r.date for r in self.deliveries if r.date is not None]
        return min(dated) if dated else None


def _order(value: Edtf | None) -> tuple[bool, Edtf | None]:
    return (value is not None, value)


def _agree(first: Edtf | None, second: Edtf | None) -> bool:
    return first is None or second is None or first.contains(second) or second.contains(first)


def _soviet(party: Party | None, date: Edtf | None) -> Party | None:
    """A Russian supplier before 1992 was the Soviet Union."""
    if party is not None and party.country == "RU" and date is not None and date.latest < _USSR_END:
        return party.model_copy(update={"country": "SU"})
    return party


@cache
def _ship_names() -> frozenset[str]:
    """Names of the catalogue's named ships (USS Hopper, Ha Noi)."""
    return frozenset(ship.name for ship in load_weapons().ships)


def _is_ship(record: WeaponRecord | None) -> bool:
    return record is not None and record.name in _ship_names()


@cache
def _catalogue_families() -> dict[str, str]:
    """Entry name → its family's name, for every catalogue entry."""
    return {e.name: e.family for e in load_catalogue() if e.family and e.family != e.name}


def family_chain(record: WeaponRecord | None, weapon_id: str) -> list[str]:
    """The system's name and each family above it, nearest first, up to the root
    (Project 636.1 → Project 636 → Kilo class)."""
    if record is None:
        return [weapon_id]
    chain = [record.name]
    families = _catalogue_families()
    name = record.family if record.family and record.family != record.name else None
    while name and name not in chain:
        chain.append(name)
        name = families.get(name)
    return chain


def _reported(event: EventRecord) -> bool:
    # a planned, threatened or denied transfer is no order or delivery (a reviewer may
    # still record a deal as planned)
    return is_arms_event(event) and event.modality == "asserted"


_UNREAD_LISTS = ("people", "organisations", "countries", "places", "weapon_classes")
_UNREAD_NONE = {"trigger": None, "supplier": None, "recipient": None, "cluster": None}


def _event_reports(event: EventRecord, weapons: Mapping[str, WeaponRecord]) -> list[_Report]:
    """One report per system of an arms event the deals read (none for other events)."""
    if not _reported(event):
        return []
    # a date the text does not give (the publication date) says when it was reported,
    # not when the order or delivery took place
    stated = event.date is not None and event.date.basis != "reported_by"
    date = parse_or_none(event.date.value if stated and event.date else None)
    reports = []
    for weapon in event.weapons:
        record = weapons.get(weapon.id)
        supplier = weapon.supplier
        if supplier is None and record is not None and record.origin:
            supplier = Party(country=record.origin, basis="origin")
        supplier = _soviet(supplier, date)
        family = family_chain(record, weapon.id)[-1]
        key = (
            same_state(supplier.country) if supplier else "",
            weapon.recipient.country if weapon.recipient else "",
            family,
        )
        reports.append(_Report(event, weapon, date, supplier, weapon.recipient, key))
    return reports


def deal_reports(
    event: EventRecord, weapons: Mapping[str, WeaponRecord]
) -> list[tuple[DealKey, EventRecord]]:
    """What :func:`build_deals` reads of ``event``, one entry per system it reports: the
    system's deal key, and the event narrowed to that system and to the fields the deals
    read (not its people, places, organisations, cluster …); empty for an event the
    deals skip. Deals join reports of one key only, so ``build_deals`` over the events of
    each key in turn gives, together, the deals of all (for a caller that cannot hold
    every arms event at once)."""
    if not _reported(event):
        return []
    slim = event.model_copy(update={key: [] for key in _UNREAD_LISTS} | _UNREAD_NONE)
    return [
        (r.key, slim.model_copy(update={"weapons": [r.weapon]}))
        for r in _event_reports(slim, weapons)
    ]


def _reports(events: Sequence[EventRecord], weapons: dict[str, WeaponRecord]) -> list[_Report]:
    reports = [r for event in events for r in _event_reports(event, weapons)]
    return sorted(reports, key=lambda r: (_order(r.date), r.event.id, r.weapon.id))


def _join_order(deals: list[_Deal], report: _Report) -> None:
    quantity = report.weapon.quantity
    for deal in deals:
        if deal.key != report.key or not deal.orders:
            continue
        if _agree(deal.order_date, report.date) and (
            quantity is None or deal.number_ordered in (None, quantity)
        ):
            deal.orders.append(report)
            if report.date is not None and (
                deal.order_date is None or deal.order_date.contains(report.date)
            ):
                deal.order_date = report.date
            if deal.number_ordered is None:
                deal.number_ordered = quantity
            return
    deals.append(_Deal(report.key, report.date, quantity, orders=[report]))


def _join_delivery(deals: list[_Deal], report: _Report) -> None:
    fitting = [
        d
        for d in deals
        if d.key == report.key
        and (
            d.order_date is None
            or report.date is None
            or d.order_date.earliest <= report.date.latest
        )
    ]
    if fitting:
        fitting[-1].deliveries.append(report)
    else:
        deals.append(_Deal(report.key, deliveries=[report]))


def _within(report: _Report, other: _Report) -> bool:
    """Whether ``report`` states ``other``'s count at a date inside ``other``'s wider one."""
    return (
        report.weapon.quantity == other.weapon.quantity
        and report.date is not None
        and other.date is not None
        and report.date != other.date
        and other.date.contains(report.date)
    )


def _delivered(deal: _Deal) -> tuple[int | None, list[str]]:
    """Units delivered (each distinct delivery once) and the delivery dates."""
    distinct: dict[tuple[str, int | None], _Report] = {}
    for report in deal.deliveries:
        distinct.setdefault(
            (report.date.text if report.date else "", report.weapon.quantity), report
        )
    # "all six delivered" dated January 2017 is the total of the six delivered 2014-2017,
    # not six more: the same count within a wider delivery's dates is that delivery
    reports = list(distinct.values())
    numbers = [
        r.weapon.quantity
        for r in reports
        if r.weapon.quantity is not None and not any(_within(r, other) for other in reports)
    ]
    dates = sorted({r.date for r in deal.deliveries if r.date is not None})
    return (sum(numbers) if numbers else None), [d.text for d in dates]


def _status(deal: _Deal, delivered: int | None) -> DealStatus:
    if not deal.deliveries:
        return "ordered"
    if not deal.orders:
        return "delivered"
    if deal.number_ordered is not None and delivered is not None:
        return "delivered" if delivered >= deal.number_ordered else "delivering"
    return "delivering"


def _party(reports: Sequence[_Report], role: str) -> Party | None:
    """The party most reports state, best basis first (sentence before origin)."""
    rank = {"reviewer": 0, "sentence": 1, "paragraph": 2, "document": 3, "origin": 4}
    found = [getattr(r, role) for r in reports if getattr(r, role) is not None]
    if not found:
        return None
    return min(found, key=lambda p: (rank[p.basis], p.country))


def _comments(supplier: Party | None, recipient: Party | None) -> str:
    notes = []
    if supplier is None:
        notes.append("supplier not stated")
    elif supplier.basis == "origin":
        notes.append("supplier not stated: the system's country of origin")
    if recipient is None:
        notes.append("recipient not stated")
    elif recipient.basis in ("paragraph", "document"):
        notes.append(f"recipient from the {recipient.basis}")
    return "; ".join(notes)


def _record(
    deal: _Deal, weapons: dict[str, WeaponRecord], locations: Mapping[str, str]
) -> DealRecord:
    reports = deal.reports
    counts = Counter(r.weapon.id for r in reports)

    # the most specific system the reports name (a variant over its class), then the most
    # reported; a named ship stands for its class (a deal is for a type, not one hull)
    def rank(w: str) -> tuple[bool, int, int, str]:
        record = weapons.get(w)
        return (not _is_ship(record), len(family_chain(record, w)), counts[w], w)

    weapon_id = max(counts, key=rank)
    record = weapons.get(weapon_id)
    designation = record.name if record else weapon_id.removeprefix("weapon:")
    if record is not None and _is_ship(record) and record.family:
        designation = record.family
    supplier, recipient = _party(reports, "supplier"), _party(reports, "recipient")
    delivered, delivery_dates = _delivered(deal)
    first = deal.first_date()
    year = str(first.earliest.year) if first is not None else "undated"
    name = f"{designation}: {supplier.country if supplier else '?'} → "
    name += f"{recipient.country if recipient else '?'} ({year})"
    return DealRecord(
        id=hash_id("deal", *deal.key, year),
        name=name,
        supplier=supplier,
        recipient=recipient,
        weapon=weapon_id,
        designation=designation,
        category=record.category if record else "other",
        number_ordered=deal.number_ordered,
        order_date=deal.order_date.text if deal.order_date else None,
        number_delivered=delivered,
        delivery_dates=delivery_dates,
        status=_status(deal, delivered),
        comments=_comments(supplier, recipient),
        sources=[
            DealSource(
                event_id=r.event.id,
                type=r.event.type,
                date=r.date.text if r.date else None,
                quantity=r.weapon.quantity,
                document_id=r.event.evidence.document_id,
                location=locations.get(r.event.evidence.document_id),
                sentence=r.event.evidence.sentence,
                language=r.event.evidence.language,
            )
            for r in reports
        ],
    )


def document_location(document: DocumentRecord) -> str:
    """Where a deal's source document is read: its final URL, else its location."""
    return document.source.final_url or document.source.location


def build_deals(
    events: Sequence[EventRecord],
    weapons: Sequence[WeaponRecord],
    documents: Sequence[DocumentRecord] = (),
    *,
    locations: Mapping[str, str] | None = None,
) -> list[DealRecord]:
    """One deal record per transfer that the arms events report, sorted by id.

    Only arms events (``is_arms_event``) are read, and of the weapon records only their
    names, families, origins and categories. Sources are located by ``locations``
    (document id → :func:`document_location`), else by ``documents``."""
    by_id = {w.id: w for w in weapons}
    if locations is None:
        locations = {d.id: document_location(d) for d in documents}
    deals: list[_Deal] = []
    reports = _reports(events, by_id)
    for report in reports:
        if report.is_order:
            _join_order(deals, report)
    for report in reports:
        if not report.is_order:
            _join_delivery(deals, report)
    records: dict[str, DealRecord] = {}
    for deal in deals:
        record = _record(deal, by_id, locations)
        if record.id in records:  # two deals of one key and year: told apart by the order
            detail = [record.order_date or "", str(record.number_ordered or "")]
            record = record.model_copy(update={"id": hash_id("deal", *deal.key, *detail)})
        records[record.id] = record
    return [records[key] for key in sorted(records)]
