"""Exports of reviewed records: JSON Lines, analyst CSV, followthemoney, arms transfers.

``export(store, fmt, out, accepted_only)`` writes into the directory ``out``:

* ``jsonl``: ``people.jsonl``, ``weapons.jsonl``, ``events.jsonl``, the reviewed
  records exactly in the record format (merges and edits applied, rejected
  records left out);
* ``csv``: one UTF-8-with-BOM file per record type in a flat shape (lists
  joined with "; ") plus ``arms_transfers.csv``, shaped like SIPRI's trade
  register and built from arms_order / arms_delivery events;
* ``ftm``: ``entities.ftm.jsonl``, followthemoney entities as JSON lines.

followthemoney has no schema for a weapons-system *type*. We map a system to
the most specific FtM asset schema for its category (FtM's Airplane covers
"an airplane, helicopter or other flying vehicle"; Vessel covers ships and
boats; Vehicle covers armoured vehicles) and to the plain ``Asset`` for
everything else (missiles, air defence, coastal defence, artillery, radar).
The designation goes in ``name`` and, for vehicles, ``model``; the category in
``type`` (vehicles) or ``keywords``. Event.involved only accepts legal
entities, so a system's part in an event is an ``UnknownLink`` (subject: the
event, object: the system, role: event type and quantity). Each source
document becomes a ``Document`` entity that events cite through ``proof``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import ReviewError
from pipeline.review.layout import RECORD_FILES
from pipeline.review.publish import jsonl_bytes, published_records
from pipeline.review.state import Reviewed, ReviewedRecord, date_order, review_state
from pipeline.review.store import Store
from pipeline.write import atomic_write_bytes
from schemas.edtf import OPEN, Edtf

log = logging.getLogger(__name__)

Format = Literal["jsonl", "csv", "ftm"]
FORMATS: tuple[str, ...] = ("jsonl", "csv", "ftm")
REFERENCES: tuple[str, ...] = ("include", "drop")
"""What an FtM export does with a person or system an exported event names but that is not
exported itself (``--accepted-only``): include it anyway, or drop the reference and count it."""

FTM_WEAPON_SCHEMA: dict[str, str] = {
    "aircraft": "Airplane",
    "helicopter": "Airplane",
    "ship": "Vessel",
    "submarine": "Vessel",
    "armoured_vehicle": "Vehicle",
}
_VEHICLES = frozenset({"Airplane", "Vessel", "Vehicle"})

EVENT_COLUMNS = [
    "id",
    "status",
    "type",
    "date",
    "date_precision",
    "date_text",
    "people",
    "weapons",
    "quantities",
    "countries",
    "places",
    "trigger",
    "confidence",
    "language",
    "document_id",
    "document_title",
    "source_url",
    "sentence",
]
PERSON_COLUMNS = [
    "id",
    "status",
    "name",
    "aliases",
    "known",
    "roles",
    "mentions",
    "languages",
    "documents",
]
WEAPON_COLUMNS = [
    "id",
    "status",
    "name",
    "category",
    "family",
    "origin",
    "aliases",
    "known",
    "mentions",
    "languages",
    "documents",
]
TRANSFER_COLUMNS = [
    "supplier",
    "recipient",
    "recipient_basis",
    "designation",
    "category",
    "quantity",
    "order_date",
    "delivery_dates",
    "status",
    "event_ids",
    "evidence_documents",
    "evidence_sentences",
    "source_urls",
]


@dataclass(frozen=True)
class ExportResult:
    files: list[Path]
    counts: dict[str, int]
    dropped: int = 0
    """References dropped because their target was not exported (``references="drop"``)."""


def _join(values: Iterable[object]) -> str:
    return "; ".join(str(v) for v in values if v not in (None, ""))


def _source_url(doc: dict[str, Any] | None) -> str:
    """The document's http(s) URL, or '' for files and anything else."""
    if not doc:
        return ""
    source = doc["source"]
    url = str(source.get("final_url") or source.get("location") or "")
    return url if url.lower().startswith(("http://", "https://")) else ""


def _selected(state: Reviewed, rtype: str, accepted_only: bool) -> list[ReviewedRecord]:
    keep = {r["id"] for r in published_records(state, rtype, accepted_only=accepted_only)}
    return sorted(
        (r for r in state.survivors(rtype) if r.data["id"] in keep), key=lambda r: r.data["id"]
    )


def _csv_bytes(columns: list[str], rows: list[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return buffer.getvalue().encode("utf-8-sig")


def _names(state: Reviewed) -> dict[str, str]:
    return {r.data["id"]: r.data["name"] for r in state.survivors() if r.type != "event"}


def _entity_row(rec: ReviewedRecord) -> dict[str, object]:
    data = rec.data
    return {
        "id": data["id"],
        "status": rec.status,
        "name": data["name"],
        "aliases": _join(data.get("aliases", [])),
        "known": "yes" if data.get("known") else "no",
        "roles": _join(data.get("roles", [])),
        "category": data.get("category", ""),
        "family": data.get("family") or "",
        "origin": data.get("origin") or "",
        "mentions": len(data.get("mentions", [])),
        "languages": _join(rec.languages),
        "documents": _join(rec.document_ids),
    }


def _event_row(
    rec: ReviewedRecord, names: dict[str, str], docs: dict[str, dict[str, Any]]
) -> dict[str, object]:
    data = rec.data
    date = data.get("date") or {}
    evidence = data["evidence"]
    doc = docs.get(evidence["document_id"])
    return {
        "id": data["id"],
        "status": rec.status,
        "type": data["type"],
        "date": date.get("value") or "",
        "date_precision": date.get("precision", ""),
        "date_text": date.get("text", ""),
        "people": _join(names.get(p, p) for p in data.get("people", [])),
        "weapons": _join(names.get(w["id"], w["id"]) for w in data.get("weapons", [])),
        "quantities": _join(
            "" if w.get("quantity") is None else w["quantity"] for w in data.get("weapons", [])
        ),
        "countries": _join(data.get("countries", [])),
        "places": _join(data.get("places", [])),
        "trigger": data.get("trigger") or "",
        "confidence": data.get("confidence", ""),
        "language": evidence["language"],
        "document_id": evidence["document_id"],
        "document_title": (doc or {}).get("title") or "",
        "source_url": _source_url(doc),
        "sentence": evidence["sentence"],
    }


# -- arms transfers ---------------------------------------------------------------------------

# Russia is the Soviet Union's successor: neither is the other's recipient.
_SAME_STATE = {"RU": {"RU", "SU"}, "SU": {"RU", "SU"}}
_USSR_END = dt.date(1992, 1, 1)

TransferKey = tuple[str, str, str]
"""(supplier, recipient, weapon id)."""


@dataclass
class _Transfer:
    """One row of the trade register in the making: an order and its deliveries."""

    key: TransferKey
    weapon: dict[str, Any]
    quantity: int | None
    order_date: Edtf | None
    deliveries: list[Edtf] = field(default_factory=list)
    events: list[ReviewedRecord] = field(default_factory=list)


@dataclass(frozen=True)
class _Delivery:
    key: TransferKey
    date: Edtf | None
    event: ReviewedRecord
    quantity: int | None


def _supplier(origin: str, date: Edtf | None) -> str:
    """The supplying state at the time: Russian systems dated before 1992 came from the USSR.

    "Before 1992" is the whole date value: 1991-12 and 198X are Soviet, 199X is not.
    """
    if origin == "RU" and date is not None and date.latest < _USSR_END:
        return "SU"
    return origin


def _dates_agree(first: Edtf | None, second: Edtf | None) -> bool:
    """Both dated, and one lies within the other (they agree to their common precision)."""
    if first is None or second is None:
        return False
    return first.contains(second) or second.contains(first)


def _same_order(
    orders: list[_Transfer], key: TransferKey, date: Edtf | None, quantity: int | None
) -> _Transfer | None:
    """An earlier order of the same system and parties with a compatible date and quantity."""
    for order in orders:
        quantities_agree = quantity is None or order.quantity in (None, quantity)
        if order.key == key and _dates_agree(date, order.order_date) and quantities_agree:
            return order
    return None


def _ordered_before(order: _Transfer, delivery: Edtf | None) -> bool:
    """Whether the order can have been placed no later than the delivery."""
    if delivery is None or order.order_date is None:
        return True
    return order.order_date.earliest <= delivery.latest


def _named_countries(state: Reviewed) -> dict[str, Counter[str]]:
    """Countries the events of each document name, most named first.

    The recipient when the sentence itself names none ("the navy received two
    Bastion-P systems").
    """
    named: dict[str, Counter[str]] = {}
    for event in state.survivors("event"):
        doc = event.data["evidence"]["document_id"]
        named.setdefault(doc, Counter()).update(event.data.get("countries", []))
    return named


def _parties(rec: ReviewedRecord, supplier: str, named: dict[str, Counter[str]]) -> tuple[str, str]:
    """(recipient, basis): the event's first other country, else its document's."""
    party = _SAME_STATE.get(supplier, {supplier})
    recipient = next((c for c in sorted(rec.data.get("countries", [])) if c not in party), "")
    if recipient:
        return recipient, "sentence"
    doc_counts = named.get(rec.data["evidence"]["document_id"], Counter())
    recipient = next((c for c, _ in doc_counts.most_common() if c not in party), "")
    return recipient, "document" if recipient else ""


def _add_order(
    orders: list[_Transfer],
    key: TransferKey,
    weapon: dict[str, Any],
    rec: ReviewedRecord,
    quantity: int | None,
) -> None:
    """A new order row, or the same order reported again (another language, another source)."""
    date = rec.date
    same = _same_order(orders, key, date, quantity)
    if same is None:
        orders.append(_Transfer(key, weapon, quantity, date, events=[rec]))
        return
    same.events.append(rec)
    # the more precise report dates the order (both are dated: _same_order checked)
    if date is not None and same.order_date is not None and same.order_date.contains(date):
        same.order_date = date
    if same.quantity is None:
        same.quantity = quantity


def _collect(
    state: Reviewed, accepted_only: bool
) -> tuple[list[_Transfer], list[_Delivery], dict[TransferKey, str]]:
    """Orders (merged across reports), deliveries and recipient bases, in date order."""
    weapons = {r.data["id"]: r.data for r in state.survivors("weapon")}
    named = _named_countries(state)
    orders: list[_Transfer] = []
    deliveries: list[_Delivery] = []
    bases: dict[TransferKey, str] = {}
    events = [
        r
        for r in _selected(state, "event", accepted_only)
        if r.data["type"] in ("arms_order", "arms_delivery")
    ]
    for rec in sorted(events, key=lambda r: (date_order(r.date), r.id)):
        for w in rec.data.get("weapons", []):
            weapon = weapons.get(w["id"], {"name": w["id"], "category": "other", "origin": None})
            supplier = _supplier(weapon.get("origin") or "", rec.date)
            recipient, basis = _parties(rec, supplier, named)
            key = (supplier, recipient, w["id"])
            bases[key] = bases.get(key) or basis
            if rec.data["type"] == "arms_order":
                _add_order(orders, key, weapon, rec, w.get("quantity"))
            else:
                deliveries.append(_Delivery(key, rec.date, rec, w.get("quantity")))
    return orders, deliveries, bases


def _attach(
    orders: list[_Transfer], deliveries: list[_Delivery], weapons: dict[str, dict[str, Any]]
) -> list[_Transfer]:
    """Each delivery joins the latest fitting order, or becomes a row of its own."""
    rows = list(orders)
    for delivery in deliveries:
        match = [o for o in orders if o.key == delivery.key and _ordered_before(o, delivery.date)]
        if match:
            target = match[-1]
        else:
            weapon = weapons.get(delivery.key[2], {"name": delivery.key[2], "category": "other"})
            target = _Transfer(delivery.key, weapon, delivery.quantity, None)
            rows.append(target)
        if delivery.date is not None:
            target.deliveries.append(delivery.date)
        target.events.append(delivery.event)
    return rows


def _transfer_row(src: _Transfer, basis: str, docs: dict[str, dict[str, Any]]) -> dict[str, object]:
    doc_ids = [r.data["evidence"]["document_id"] for r in src.events]
    return {
        "supplier": src.key[0],
        "recipient": src.key[1],
        "recipient_basis": basis,
        "designation": src.weapon["name"],
        "category": src.weapon.get("category", "other"),
        "quantity": "" if src.quantity is None else src.quantity,
        "order_date": src.order_date.text if src.order_date else "",
        "delivery_dates": _join(sorted(set(src.deliveries))),
        "status": _join(sorted({r.status for r in src.events})),
        "event_ids": _join(r.data["id"] for r in src.events),
        "evidence_documents": _join(doc_ids),
        "evidence_sentences": " | ".join(r.data["evidence"]["sentence"] for r in src.events),
        "source_urls": _join(sorted({_source_url(docs.get(d)) for d in doc_ids})),
    }


def arms_transfers(
    state: Reviewed, docs: dict[str, dict[str, Any]], *, accepted_only: bool
) -> list[dict[str, object]]:
    """Rows shaped like SIPRI's trade register from arms_order/arms_delivery events.

    One row per (order, system); the same order reported by several events
    (one date lying within the other, same quantity) is one row, dated by its
    most precise report. Supplier is the system's origin country (the Soviet
    Union, SU, for a Russian system dated before 1992, as SIPRI records it);
    recipient the first other country of the event, else the country the
    document's events name most (``recipient_basis`` says which: "sentence" or
    "document"). A delivery is attached to the latest order of the same
    supplier, recipient and system that can have been placed no later than the
    delivery (its earliest day not after the delivery's latest: an order dated
    199X fits a delivery in 1995); a delivery with no such order gets a row of
    its own. Dates are compared as :class:`Edtf` values, never as text.
    """
    orders, deliveries, bases = _collect(state, accepted_only)
    weapons = {r.data["id"]: r.data for r in state.survivors("weapon")}
    transfers = _attach(orders, deliveries, weapons)
    transfers.sort(
        key=lambda t: (
            date_order(t.order_date),
            str(t.weapon["name"]),
            _join(r.data["id"] for r in t.events),
        )
    )
    return [_transfer_row(t, bases.get(t.key, ""), docs) for t in transfers]


# -- followthemoney --------------------------------------------------------------------------


def ftm_id(record_id: str) -> str:
    """FtM ids allow letters, digits, '.' and '-': ``person:x`` becomes ``person-x``."""
    return record_id.replace(":", "-")


def _ftm_point(value: Edtf) -> str | None:
    """An FtM date (an ISO prefix) for one end: seasons and quarters to their year."""
    if value.precision in ("day", "month", "year"):
        return value.text
    if value.precision in ("season", "quarter"):
        return str(value.earliest.year)
    return None  # decade/century: FtM has no such precision; kept in the summary


def _ftm_vague(value: Edtf) -> bool:
    """A decade or century at either end: FtM's date properties cannot hold it."""
    return any(
        end != OPEN and Edtf.parse(end).precision in ("decade", "century") for end in value.ends
    )


def _ftm_dates(value: Edtf | None) -> dict[str, str]:
    """FtM date properties for a date value."""
    if value is None:
        return {}
    if value.precision != "range":
        point = _ftm_point(value)
        return {"date": point} if point else {}
    props: dict[str, str] = {}
    for prop, end in zip(("startDate", "endDate"), value.ends, strict=True):
        point = None if end == OPEN else _ftm_point(Edtf.parse(end))
        if point:
            props[prop] = point
    return props


class _Entities:
    """followthemoney entities (as dicts), added one by one."""

    def __init__(self) -> None:
        from followthemoney import model

        self.model = model
        self.rows: list[dict[str, Any]] = []

    def add(self, schema: str, rid: str, props: dict[str, Iterable[object] | object]) -> None:
        proxy = self.model.make_entity(schema)
        proxy.id = ftm_id(rid)
        for prop, values in props.items():
            items = values if isinstance(values, list | tuple | set) else [values]
            for value in items:
                if value not in (None, ""):
                    proxy.add(prop, str(value))
        self.rows.append(proxy.to_dict())


def _ftm_weapon(entities: _Entities, d: dict[str, Any]) -> None:
    schema = FTM_WEAPON_SCHEMA.get(d.get("category", "other"), "Asset")
    props: dict[str, Iterable[object] | object] = {
        "name": d["name"],
        "alias": d.get("aliases", []),
        "country": d.get("origin"),
    }
    if schema in _VEHICLES:
        props.update({"model": d["name"], "type": d.get("category")})
    else:
        props["keywords"] = d.get("category")
    entities.add(schema, d["id"], props)


def _ftm_event(
    entities: _Entities,
    rec: ReviewedRecord,
    doc: dict[str, Any] | None,
    keep: Callable[[str], bool] = lambda _rid: True,
) -> None:
    d = rec.data
    evidence = d["evidence"]
    date = rec.date
    summary = evidence["sentence"]
    if date is not None and _ftm_vague(date):
        summary = f"[{date.text}] {summary}"
    entities.add(
        "Event",
        d["id"],
        {
            "name": f"{d['type'].replace('_', ' ')} {date.text if date else ''}".strip(),
            "summary": summary,
            "involved": [ftm_id(p) for p in d.get("people", []) if keep(p)],
            "country": d.get("countries", []),
            "location": d.get("places", []),
            "sourceUrl": _source_url(doc),
            "proof": ftm_id(evidence["document_id"]) if doc else None,
            **_ftm_dates(date),
        },
    )
    for w in (w for w in d.get("weapons", []) if keep(w["id"])):
        role = d["type"] if w.get("quantity") is None else f"{d['type']}: {w['quantity']}"
        entities.add(
            "UnknownLink",
            f"link:{d['id']}:{w['id']}",
            {"subject": ftm_id(d["id"]), "object": ftm_id(w["id"]), "role": role},
        )


def _ftm_document(entities: _Entities, doc_id: str, doc: dict[str, Any]) -> None:
    entities.add(
        "Document",
        doc_id,
        {
            "title": doc.get("title") or doc["source"]["location"],
            "sourceUrl": _source_url(doc),
            "language": doc.get("language"),
            "publishedAt": doc.get("published"),
            # FtM's contentHash is a SHA-1 checksum; our snapshot key is a sha256
            "notes": f"snapshot sha256 {doc['source'].get('sha256')}",
            "publisher": doc.get("site"),
        },
    )


def _referenced(events: list[ReviewedRecord]) -> set[str]:
    return {
        ref
        for e in events
        for ref in [*e.data.get("people", []), *(w["id"] for w in e.data.get("weapons", []))]
    }


def ftm_entities(
    state: Reviewed,
    docs: dict[str, dict[str, Any]],
    *,
    accepted_only: bool,
    references: str = "include",
) -> tuple[list[dict[str, Any]], int]:
    """followthemoney entities (as dicts) for the reviewed records, and how many references
    were dropped.

    Every reference in the file resolves: a person or system an exported event names is
    exported too (``references="include"``, even when not accepted itself), or the
    reference is left out and counted (``"drop"``).
    """
    if references not in REFERENCES:
        raise ReviewError(f"references {references!r}: not one of {', '.join(REFERENCES)}")
    entities = _Entities()
    events = _selected(state, "event", accepted_only)
    people = _selected(state, "person", accepted_only)
    weapons = _selected(state, "weapon", accepted_only)
    exported = {r.data["id"] for r in [*people, *weapons]}
    missing = _referenced(events) - exported
    if references == "include":
        by_output = {r.data["id"]: r for r in state.survivors() if r.type != "event"}
        extra = [by_output[m] for m in sorted(missing) if m in by_output]
        people += [r for r in extra if r.type == "person"]
        weapons += [r for r in extra if r.type == "weapon"]
        exported |= {r.data["id"] for r in extra}
    dropped = sum(
        1
        for e in events
        for ref in [*e.data.get("people", []), *(w["id"] for w in e.data.get("weapons", []))]
        if ref not in exported
    )
    for rec in people:
        d = rec.data
        entities.add(
            "Person",
            d["id"],
            {"name": d["name"], "alias": d.get("aliases", []), "position": d.get("roles", [])},
        )
    for rec in weapons:
        _ftm_weapon(entities, rec.data)
    cited_docs: set[str] = set()
    for rec in events:
        doc_id = rec.data["evidence"]["document_id"]
        cited_docs.add(doc_id)
        _ftm_event(entities, rec, docs.get(doc_id), exported.__contains__)
    for doc_id in sorted(cited_docs):
        doc = docs.get(doc_id)
        if doc is not None:
            _ftm_document(entities, doc_id, doc)
    return entities.rows, dropped


# -- entry point ------------------------------------------------------------------------------


def export(
    store: Store,
    fmt: str,
    out: Path,
    accepted_only: bool = False,
    references: str = "include",
) -> ExportResult:
    """Write reviewed records in ``fmt`` into the directory ``out`` (files get the user's
    umask, like any file they write; ``references``: see :data:`REFERENCES`)."""
    if fmt not in FORMATS:
        raise ReviewError(f"export format {fmt!r}: not one of {', '.join(FORMATS)}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReviewError(f"{out}: export target must be a directory")
    state = review_state(store)
    docs = store.documents()
    files: list[Path] = []
    counts: dict[str, int] = {}
    dropped = 0

    def write(name: str, data: bytes, count: int) -> None:
        atomic_write_bytes(out / name, data)
        files.append(out / name)
        counts[name] = count

    if fmt == "jsonl":
        for rtype, name in RECORD_FILES.items():
            rows = published_records(state, rtype, accepted_only=accepted_only)
            write(name, jsonl_bytes(rows), len(rows))
    elif fmt == "csv":
        names = _names(state)
        people = [_entity_row(r) for r in _selected(state, "person", accepted_only)]
        weapons = [_entity_row(r) for r in _selected(state, "weapon", accepted_only)]
        events = [_event_row(r, names, docs) for r in _selected(state, "event", accepted_only)]
        transfers = arms_transfers(state, docs, accepted_only=accepted_only)
        write("people.csv", _csv_bytes(PERSON_COLUMNS, people), len(people))
        write("weapons.csv", _csv_bytes(WEAPON_COLUMNS, weapons), len(weapons))
        write("events.csv", _csv_bytes(EVENT_COLUMNS, events), len(events))
        write("arms_transfers.csv", _csv_bytes(TRANSFER_COLUMNS, transfers), len(transfers))
    else:
        entities, dropped = ftm_entities(
            state, docs, accepted_only=accepted_only, references=references
        )
        write("entities.ftm.jsonl", jsonl_bytes(entities), len(entities))
    log.info("exported %s to %s: %s", fmt, out, counts)
    return ExportResult(files=files, counts=counts, dropped=dropped)


# -- the queue's current filter, from the web page ------------------------------------------

QUEUE_COLUMNS = ["id", "type", "status", "name", "date", "languages", "evidence"]
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text: a leading formula character gets a quote."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def queue_csv(records: Iterable[ReviewedRecord]) -> bytes:
    """The records of a queue filter as one CSV (scraped text never becomes a formula)."""
    from pipeline.review.state import evidence_text

    rows: list[dict[str, object]] = [
        {
            "id": r.id,
            "type": r.type,
            "status": r.status,
            "name": _cell(r.name),
            "date": (r.data.get("date") or {}).get("value") or "",
            "languages": ", ".join(r.languages),
            "evidence": _cell(evidence_text(r.type, r.data)),
        }
        for r in records
    ]
    return _csv_bytes(QUEUE_COLUMNS, rows)


def queue_ftm(state: Reviewed, docs: dict[str, dict[str, Any]], ids: Iterable[str]) -> bytes:
    """FtM entities of the records ``ids`` (a queue filter), with every entity they refer
    to and the documents their events cite; rejected records are never exported."""
    wanted = set(ids)
    rows, _ = ftm_entities(state, docs, accepted_only=False)
    chosen = [state.records[i] for i in wanted if i in state.records]
    keep = {ftm_id(str(r.data["id"])) for r in chosen}
    keep |= {ftm_id(ref) for ref in _referenced([r for r in chosen if r.type == "event"])}
    keep |= {ftm_id(r.data["evidence"]["document_id"]) for r in chosen if r.type == "event"}
    selected = [
        row
        for row in rows
        if row["id"] in keep
        or (row["schema"] == "UnknownLink" and row["properties"]["subject"][0] in keep)
    ]
    return jsonl_bytes(selected)
