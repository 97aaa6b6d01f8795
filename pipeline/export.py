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
import io
import json
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import ReviewError
from pipeline.review import Reviewed, ReviewedRecord, published_records, review_state
from pipeline.store import RECORD_FILES, Store
from pipeline.write import atomic_write_bytes

log = logging.getLogger(__name__)

Format = Literal["jsonl", "csv", "ftm"]
FORMATS: tuple[str, ...] = ("jsonl", "csv", "ftm")

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


def _same_order(
    orders: list[dict[str, Any]], key: tuple[str, str, str], date: str, quantity: int | None
) -> dict[str, Any] | None:
    """An earlier order of the same system and parties with a compatible date and quantity."""
    for order in orders:
        other = order["order_date"]
        dates_agree = bool(date and other) and (date.startswith(other) or other.startswith(date))
        quantities_agree = quantity is None or order["quantity"] in (None, quantity)
        if order["key"] == key and dates_agree and quantities_agree:
            return order
    return None


# Russia is the Soviet Union's successor: neither is the other's recipient.
_SAME_STATE = {"RU": {"RU", "SU"}, "SU": {"RU", "SU"}}


def _supplier(origin: str, date: str) -> str:
    """The supplying state at the time: Russian systems before 1992 came from the USSR."""
    year = date[:4].replace("X", "0")
    if origin == "RU" and year.isdigit() and int(year) < 1992:
        return "SU"
    return origin


def arms_transfers(
    state: Reviewed, docs: dict[str, dict[str, Any]], *, accepted_only: bool
) -> list[dict[str, object]]:
    """Rows shaped like SIPRI's trade register from arms_order/arms_delivery events.

    One row per (order, system); the same order reported by several events
    (dates agreeing to their common precision, same quantity) is one row.
    Supplier is the system's origin country (the Soviet Union, SU, for a Russian system
    dated before 1992, as SIPRI records it); recipient the first other country of the
    event, else the country the document's events name most (``recipient_basis`` says
    which: "sentence" or "document"). A delivery is attached to
    the latest order of the same supplier, recipient and system dated no later
    than the delivery; a delivery with no such order gets a row of its own.
    """
    weapons = {r.data["id"]: r.data for r in state.survivors("weapon")}
    # countries the events of each document name, most named first: the recipient when the
    # sentence itself names none ("the navy received two Bastion-P systems")
    named: dict[str, Counter[str]] = {}
    for event in state.survivors("event"):
        doc = event.data["evidence"]["document_id"]
        named.setdefault(doc, Counter()).update(event.data.get("countries", []))
    orders: list[dict[str, Any]] = []
    deliveries: list[tuple[tuple[str, str, str], str, ReviewedRecord, int | None]] = []
    bases: dict[tuple[str, str, str], str] = {}
    events = [
        r
        for r in _selected(state, "event", accepted_only)
        if r.data["type"] in ("arms_order", "arms_delivery")
    ]
    for rec in sorted(events, key=lambda r: ((r.data.get("date") or {}).get("value") or "", r.id)):
        date = (rec.data.get("date") or {}).get("value") or ""
        countries = sorted(rec.data.get("countries", []))
        for w in rec.data.get("weapons", []):
            weapon = weapons.get(w["id"], {"name": w["id"], "category": "other", "origin": None})
            supplier = _supplier(weapon.get("origin") or "", date)
            party = _SAME_STATE.get(supplier, {supplier})
            recipient = next((c for c in countries if c not in party), "")
            basis = "sentence" if recipient else ""
            if not recipient:
                doc_counts = named.get(rec.data["evidence"]["document_id"], Counter())
                recipient = next((c for c, _ in doc_counts.most_common() if c not in party), "")
                basis = "document" if recipient else ""
            key = (supplier, recipient, w["id"])
            bases[key] = bases.get(key) or basis
            if rec.data["type"] == "arms_order":
                same = _same_order(orders, key, date, w.get("quantity"))
                if same is not None:
                    # the same order reported again (another language, another source)
                    same["events"].append(rec)
                    if len(date) > len(same["order_date"]):
                        same["order_date"] = date
                    if same["quantity"] is None:
                        same["quantity"] = w.get("quantity")
                    continue
                orders.append(
                    {
                        "key": key,
                        "weapon": weapon,
                        "quantity": w.get("quantity"),
                        "order_date": date,
                        "deliveries": [],
                        "events": [rec],
                    }
                )
            else:
                deliveries.append((key, date, rec, w.get("quantity")))
    rows_src = list(orders)
    for key, date, rec, quantity in deliveries:
        match = [o for o in orders if o["key"] == key and (not date or o["order_date"] <= date)]
        if match:
            target = match[-1]
        else:
            target = {
                "key": key,
                "weapon": weapons.get(key[2], {"name": key[2], "category": "other"}),
                "quantity": quantity,
                "order_date": "",
                "deliveries": [],
                "events": [],
            }
            rows_src.append(target)
        target["deliveries"].append(date)
        target["events"].append(rec)
    rows: list[dict[str, object]] = []
    for src in rows_src:
        recs: list[ReviewedRecord] = src["events"]
        doc_ids = [r.data["evidence"]["document_id"] for r in recs]
        rows.append(
            {
                "supplier": src["key"][0],
                "recipient": src["key"][1],
                "recipient_basis": bases.get(src["key"], ""),
                "designation": src["weapon"]["name"],
                "category": src["weapon"].get("category", "other"),
                "quantity": "" if src["quantity"] is None else src["quantity"],
                "order_date": src["order_date"],
                "delivery_dates": _join(sorted(set(src["deliveries"]))),
                "status": _join(sorted({r.status for r in recs})),
                "event_ids": _join(r.data["id"] for r in recs),
                "evidence_documents": _join(doc_ids),
                "evidence_sentences": " | ".join(r.data["evidence"]["sentence"] for r in recs),
                "source_urls": _join(sorted({_source_url(docs.get(d)) for d in doc_ids})),
            }
        )
    rows.sort(key=lambda r: (str(r["order_date"]), str(r["designation"]), str(r["event_ids"])))
    return rows


# -- followthemoney --------------------------------------------------------------------------


def ftm_id(record_id: str) -> str:
    """FtM ids allow letters, digits, '.' and '-': ``person:x`` becomes ``person-x``."""
    return record_id.replace(":", "-")


def _ftm_dates(value: str | None) -> dict[str, str]:
    """FtM date properties for an EDTF-style value (FtM takes ISO prefixes only)."""
    if not value:
        return {}
    if "/" in value:
        start, end = value.split("/", 1)
        return {"startDate": start, "endDate": end}
    if "X" in value:
        return {}  # decade/century: FtM has no such precision; kept in the summary
    if len(value) == 7 and value[5:7] in ("21", "22", "23", "24"):
        return {"date": value[:4]}  # season: year precision
    return {"date": value}


def ftm_entities(
    state: Reviewed, docs: dict[str, dict[str, Any]], *, accepted_only: bool
) -> list[dict[str, Any]]:
    """followthemoney entities (as dicts) for the reviewed records."""
    from followthemoney import model

    entities: list[dict[str, Any]] = []
    cited_docs: set[str] = set()

    def add(schema: str, rid: str, props: dict[str, Iterable[object] | object]) -> Any:
        proxy = model.make_entity(schema)
        proxy.id = ftm_id(rid)
        for prop, values in props.items():
            items = values if isinstance(values, list | tuple | set) else [values]
            for value in items:
                if value not in (None, ""):
                    proxy.add(prop, str(value))
        entities.append(proxy.to_dict())
        return proxy

    for rec in _selected(state, "person", accepted_only):
        d = rec.data
        add(
            "Person",
            d["id"],
            {"name": d["name"], "alias": d.get("aliases", []), "position": d.get("roles", [])},
        )
    for rec in _selected(state, "weapon", accepted_only):
        d = rec.data
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
        add(schema, d["id"], props)
    for rec in _selected(state, "event", accepted_only):
        d = rec.data
        evidence = d["evidence"]
        doc = docs.get(evidence["document_id"])
        date = d.get("date") or {}
        cited_docs.add(evidence["document_id"])
        summary = evidence["sentence"]
        if date.get("value") and "X" in str(date["value"]):
            summary = f"[{date['value']}] {summary}"
        add(
            "Event",
            d["id"],
            {
                "name": f"{d['type'].replace('_', ' ')} {date.get('value') or ''}".strip(),
                "summary": summary,
                "involved": [ftm_id(p) for p in d.get("people", [])],
                "country": d.get("countries", []),
                "location": d.get("places", []),
                "sourceUrl": _source_url(doc),
                "proof": ftm_id(evidence["document_id"]) if doc else None,
                **_ftm_dates(date.get("value")),
            },
        )
        for w in d.get("weapons", []):
            role = d["type"] if w.get("quantity") is None else f"{d['type']}: {w['quantity']}"
            add(
                "UnknownLink",
                f"link:{d['id']}:{w['id']}",
                {"subject": ftm_id(d["id"]), "object": ftm_id(w["id"]), "role": role},
            )
    for doc_id in sorted(cited_docs):
        doc = docs.get(doc_id)
        if doc is None:
            continue
        add(
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
    return entities


# -- entry point ------------------------------------------------------------------------------


def export(store: Store, fmt: str, out: Path, accepted_only: bool = False) -> ExportResult:
    """Write reviewed records in ``fmt`` into the directory ``out``."""
    if fmt not in FORMATS:
        raise ReviewError(f"export format {fmt!r}: not one of {', '.join(FORMATS)}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReviewError(f"{out}: export target must be a directory")
    state = review_state(store)
    docs = store.documents()
    files: list[Path] = []
    counts: dict[str, int] = {}

    def write(name: str, data: bytes, count: int) -> None:
        atomic_write_bytes(out / name, data)
        files.append(out / name)
        counts[name] = count

    if fmt == "jsonl":
        for rtype, name in RECORD_FILES.items():
            rows = published_records(state, rtype, accepted_only=accepted_only)
            text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
            write(name, text.encode("utf-8"), len(rows))
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
        entities = ftm_entities(state, docs, accepted_only=accepted_only)
        text = "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in entities)
        write("entities.ftm.jsonl", text.encode("utf-8"), len(entities))
    log.info("exported %s to %s: %s", fmt, out, counts)
    return ExportResult(files=files, counts=counts)
