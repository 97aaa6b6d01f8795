"""Exports of reviewed records: JSON Lines, analyst CSV, followthemoney, the deal register.

``export(store, fmt, out, accepted_only)`` writes into the directory ``out``:

* ``jsonl``: ``people.jsonl``, ``organisations.jsonl``, ``weapons.jsonl``,
  ``events.jsonl``, the reviewed
  records exactly in the record format (merges and edits applied, rejected
  records left out);
* ``csv``: one UTF-8-with-BOM file per record type in a flat shape (lists
  joined with "; ") plus ``register.csv``;
* ``register``: ``register.csv`` alone: one row per deal, shaped like SIPRI's trade
  register (:func:`register`);
* ``ftm``: ``entities.ftm.jsonl``, followthemoney entities as JSON lines.

Organisations are FtM ``Company`` entities when they make or export arms (the
reference data's kinds arms_maker / arms_exporter), ``Organization`` otherwise
(ministries, armed forces, agencies, international bodies); events list them in
``involved`` beside their people.

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
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import ReviewError
from pipeline.review.layout import RECORD_FILES
from pipeline.review.publish import jsonl_bytes, published_records
from pipeline.review.state import Reviewed, ReviewedRecord, review_state
from pipeline.review.store import Store
from pipeline.write import atomic_write_bytes
from schemas.edtf import OPEN, Edtf, parse_or_none
from schemas.records import SIPRI_CATEGORY

log = logging.getLogger(__name__)

Format = Literal["jsonl", "csv", "ftm", "register"]
FORMATS: tuple[str, ...] = ("jsonl", "csv", "ftm", "register")
#: the files each format writes, in the order it writes them
EXPORT_FILES: dict[str, tuple[str, ...]] = {
    "jsonl": tuple(RECORD_FILES.values()),
    "csv": ("people.csv", "organisations.csv", "weapons.csv", "events.csv", "register.csv"),
    "ftm": ("entities.ftm.jsonl",),
    "register": ("register.csv",),
}
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
    "organisations",
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
    "date_basis",
    "cluster_id",
    "cluster_sources",
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
ORGANISATION_COLUMNS = [
    "id",
    "status",
    "name",
    "kind",
    "country",
    "aliases",
    "known",
    "producers",
    "mentions",
    "languages",
    "documents",
]
FTM_COMPANY_KINDS = frozenset({"arms_maker", "arms_exporter"})
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
REGISTER_COLUMNS = [
    "deal_id",
    "supplier",
    "recipient",
    "designation",
    "description",
    "number_ordered",
    "year_of_order",
    "number_delivered",
    "years_of_delivery",
    "status",
    "comments",
    "supplier_basis",
    "recipient_basis",
    "review_status",
    "languages",
    "sources",
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


#: first characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A CSV cell that no spreadsheet runs: text starting with ``= + - @``, a tab or a carriage
    return gets a leading ``'`` (OWASP's advice); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_bytes(columns: list[str], rows: list[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: csv_cell(row.get(c, "")) for c in columns})
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
        "kind": data.get("kind", ""),
        "country": data.get("country") or "",
        "producers": _join(data.get("producers", [])),
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
        "organisations": _join(names.get(o, o) for o in data.get("organisations", [])),
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
        "date_basis": date.get("basis") or "",
        "cluster_id": (data.get("cluster") or {}).get("id", ""),
        "cluster_sources": (data.get("cluster") or {}).get("num_sources", ""),
    }


# -- the deal register -------------------------------------------------------------------------


def _years(values: Iterable[str]) -> str:
    """Distinct calendar years of date values, in order ("2021; 2022")."""
    years = sorted({d.earliest.year for v in values if (d := parse_or_none(v)) is not None})
    return _join(years)


def _description(category: str) -> str:
    """SIPRI's category, with ours where it is finer: "aircraft (helicopter)"."""
    sipri = SIPRI_CATEGORY.get(category, category)
    return sipri if sipri == category else f"{sipri} ({category})"


def _register_row(rec: ReviewedRecord, sources: list[dict[str, Any]]) -> dict[str, object]:
    data = rec.data
    supplier, recipient = data.get("supplier") or {}, data.get("recipient") or {}
    return {
        "deal_id": data["id"],
        "supplier": supplier.get("country", ""),
        "recipient": recipient.get("country", ""),
        "designation": data["designation"],
        "description": _description(data.get("category", "other")),
        "number_ordered": "" if data.get("number_ordered") is None else data["number_ordered"],
        "year_of_order": _years([data["order_date"]] if data.get("order_date") else []),
        "number_delivered": ""
        if data.get("number_delivered") is None
        else data["number_delivered"],
        "years_of_delivery": _years(data.get("delivery_dates", [])),
        "status": data["status"],
        "comments": data.get("comments", ""),
        "supplier_basis": supplier.get("basis", ""),
        "recipient_basis": recipient.get("basis", ""),
        "review_status": rec.status,
        "languages": _join(sorted({s["language"] for s in sources})),
        "sources": "\n".join(
            f"[{s['language']}] {s.get('location') or ''} {s['document_id']}: {s['sentence']}"
            for s in sources
        ),
    }


def register(state: Reviewed, *, accepted_only: bool) -> list[dict[str, object]]:
    """One row per deal, shaped like SIPRI's trade register (columns: ``REGISTER_COLUMNS``).

    Deals are records of their own (``OUT/deals.jsonl``, :mod:`pipeline.deals`), reviewed
    like any other: rejected deals are left out, and with ``accepted_only`` only accepted
    ones are kept. A report whose event a reviewer rejected is not listed as a source; a
    deal left with no report is left out.
    """
    rows = []
    for rec in _selected(state, "deal", accepted_only):
        sources = [
            s
            for s in rec.data.get("sources", [])
            if (event := state.records.get(s["event_id"])) is None or event.status != "rejected"
        ]
        if sources:
            rows.append(_register_row(rec, sources))
    return sorted(rows, key=_register_order)


def _register_order(row: dict[str, object]) -> tuple[str, str]:
    """By the deal's first year (order, else delivery), then id."""
    return (str(row["year_of_order"] or row["years_of_delivery"]), str(row["deal_id"]))


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


FTM_MISSING = (
    "the followthemoney export needs the optional package followthemoney: "
    "pip install 'osintdesk[ftm]' (it builds pyicu, which needs libicu-dev and a C compiler)"
)


def ftm_model() -> Any:
    """followthemoney's model; a :class:`ReviewError` saying how to install it when missing."""
    try:
        from followthemoney import model
    except ImportError as exc:
        raise ReviewError(FTM_MISSING) from exc
    return model


class _Entities:
    """followthemoney entities (as dicts), added one by one."""

    def __init__(self) -> None:
        self.model = ftm_model()
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
            "involved": [
                ftm_id(p) for p in [*d.get("people", []), *d.get("organisations", [])] if keep(p)
            ],
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


def _refs(event: ReviewedRecord) -> list[str]:
    d = event.data
    return [
        *d.get("people", []),
        *d.get("organisations", []),
        *(w["id"] for w in d.get("weapons", [])),
    ]


def _referenced(events: list[ReviewedRecord]) -> set[str]:
    return {ref for e in events for ref in _refs(e)}


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
    organisations = _selected(state, "organisation", accepted_only)
    weapons = _selected(state, "weapon", accepted_only)
    exported = {r.data["id"] for r in [*people, *organisations, *weapons]}
    missing = _referenced(events) - exported
    if references == "include":
        by_output = {r.data["id"]: r for r in state.survivors() if r.type != "event"}
        extra = [by_output[m] for m in sorted(missing) if m in by_output]
        people += [r for r in extra if r.type == "person"]
        organisations += [r for r in extra if r.type == "organisation"]
        weapons += [r for r in extra if r.type == "weapon"]
        exported |= {r.data["id"] for r in extra}
    dropped = sum(1 for e in events for ref in _refs(e) if ref not in exported)
    for rec in people:
        d = rec.data
        entities.add(
            "Person",
            d["id"],
            {"name": d["name"], "alias": d.get("aliases", []), "position": d.get("roles", [])},
        )
    for rec in organisations:
        d = rec.data
        entities.add(
            "Company" if d.get("kind") in FTM_COMPANY_KINDS else "Organization",
            d["id"],
            {"name": d["name"], "alias": d.get("aliases", []), "country": d.get("country")},
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
    on_stage: Callable[[str, int, str], None] | None = None,
    on_step: Callable[[], None] | None = None,
) -> ExportResult:
    """Write reviewed records in ``fmt`` into the directory ``out`` (files get the user's
    umask, like any file they write; ``references``: see :data:`REFERENCES`).

    ``on_stage(name, total, unit)`` and ``on_step()`` follow progress: reading the desk
    (its records, then its documents), then writing each file."""
    if fmt not in FORMATS:
        raise ReviewError(f"export format {fmt!r}: not one of {', '.join(FORMATS)}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ReviewError(f"{out}: export target must be a directory")
    if fmt == "ftm":
        ftm_model()  # refuse before anything is written when the optional package is missing
    stage = on_stage or (lambda name, total, unit: None)
    step = on_step or (lambda: None)
    stage("export: reading the desk", 2, "parts")
    state = review_state(store)
    step()
    docs = store.documents()
    step()
    stage("export: writing", len(EXPORT_FILES[fmt]), "files")
    files: list[Path] = []
    counts: dict[str, int] = {}
    dropped = 0

    def write(name: str, data: bytes, count: int) -> None:
        atomic_write_bytes(out / name, data)
        files.append(out / name)
        counts[name] = count
        step()

    if fmt == "jsonl":
        for rtype, name in RECORD_FILES.items():
            rows = published_records(state, rtype, accepted_only=accepted_only)
            write(name, jsonl_bytes(rows), len(rows))
    elif fmt == "csv":
        names = _names(state)
        people = [_entity_row(r) for r in _selected(state, "person", accepted_only)]
        orgs = [_entity_row(r) for r in _selected(state, "organisation", accepted_only)]
        weapons = [_entity_row(r) for r in _selected(state, "weapon", accepted_only)]
        events = [_event_row(r, names, docs) for r in _selected(state, "event", accepted_only)]
        write("people.csv", _csv_bytes(PERSON_COLUMNS, people), len(people))
        write("organisations.csv", _csv_bytes(ORGANISATION_COLUMNS, orgs), len(orgs))
        write("weapons.csv", _csv_bytes(WEAPON_COLUMNS, weapons), len(weapons))
        write("events.csv", _csv_bytes(EVENT_COLUMNS, events), len(events))
    if fmt in ("csv", "register"):
        rows = register(state, accepted_only=accepted_only)
        write("register.csv", _csv_bytes(REGISTER_COLUMNS, rows), len(rows))
    elif fmt == "ftm":
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
