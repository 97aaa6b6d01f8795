"""The queue index: search, filters and pages over the review store.

Every record of the latest run has one row in the store's ``queue`` table
(status, type, languages, sources, date bounds: what the filters read and the
order of pages) and one in ``queue_text``, a trigram index (FTS5 on SQLite,
``pg_trgm`` on PostgreSQL: :mod:`pipeline.review.dialect`) over the record's
searchable text: evidence sentence, names and aliases in every script (an
event also carries the names and aliases of its people and weapons systems,
so ``Shoigu`` finds the Russian sentence that says ``Шойгу``), mentions as
written, trigger and countries.

Index text and queries are both folded by :func:`fold`: NFKC, case folded,
every registry language's normalisation (Arabic harakat, tatweel and letter
variants), combining marks removed (Vietnamese and other Latin diacritics,
й → и) and the reference data's ``latin_fold`` letters (đ → d). Trigrams
match any substring of three characters or more in any script; a shorter
term (a two-character Chinese name) is matched by a scan of the index text.

The index is a cache: it records the run and the last decision it reflects,
and :func:`ensure_index` brings it up to date before a page is read (all
rows after a new run or a merge; only the records a new decision concerns
otherwise).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pipeline import lang as lang_registry
from pipeline.review.state import (
    Reviewed,
    ReviewedRecord,
    date_order,
    evidence_text,
    review_state,
)
from pipeline.review.store import Decision, QueueQuery, QueueRow, Store
from schemas.edtf import Edtf, parse_or_none

log = logging.getLogger(__name__)

PAGE_SIZE = 50
STATUS_ORDER: dict[str, int] = {"changed": 0, "pending": 1, "accepted": 2, "rejected": 3}
# decisions whose effect reaches beyond the records they name: the whole index is rebuilt
_WIDE = frozenset({"merge", "split", "alias"})


@dataclass(frozen=True)
class _Folder:
    """Every registry language's normalisation and the ``latin_fold`` letters as one
    removal pattern and one replacement pattern (the text is scanned in C; Python
    runs only where something is replaced)."""

    remove: re.Pattern[str]
    letters: re.Pattern[str] | None
    table: dict[str, str]


# the combining diacritical blocks (Latin, Greek, Cyrillic accents; Vietnamese tone marks
# and й's breve after NFD); scripts' own marks come from the registry's normalisation
_COMBINING = "[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"


@cache
def _folder() -> _Folder:
    from pipeline.people.models import name_patterns

    removals = [_COMBINING]
    table: dict[str, str] = {}
    for code in lang_registry.codes():
        spec = lang_registry.get(code).normalisation
        if spec.remove:
            removals.append(spec.remove)
        table.update(spec.letters)
    table.update({k.casefold(): v.casefold() for k, v in name_patterns().latin_fold.items()})
    table = {k.casefold(): v.casefold() for k, v in table.items()}
    keys = sorted(table, key=lambda k: (-len(k), k))
    return _Folder(
        remove=re.compile("|".join(f"(?:{r})" for r in removals)),
        letters=re.compile("|".join(map(re.escape, keys))) if keys else None,
        table=table,
    )


lang_registry.on_change(_folder.cache_clear)


def fold(text: str) -> str:
    """``text`` in search form (see the module docstring); the same for index and query."""
    folder = _folder()
    text = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    text = folder.remove.sub("", text)
    if folder.letters is not None:
        text = folder.letters.sub(lambda m: folder.table[m.group()], text)
    return " ".join(unicodedata.normalize("NFC", text).split())


def terms(query: str) -> tuple[str, ...]:
    """The folded words of a search box, each required (AND)."""
    return tuple(dict.fromkeys(fold(query).split()))


def date_bounds(value: Edtf | None) -> tuple[str | None, str | None, str | None]:
    """(sort key, earliest day, latest day) of a date value, ISO strings; Nones when undated."""
    if value is None:
        return None, None, None
    first, last = value.earliest.isoformat(), value.latest.isoformat()
    return f"{first}|{last}|{value.text}", first, last


def _names(rec: ReviewedRecord | None) -> list[str]:
    if rec is None:
        return []
    return [str(rec.data["name"]), *map(str, rec.data.get("aliases", []))]


def _text(rec: ReviewedRecord, entities: dict[str, ReviewedRecord]) -> str:
    data = rec.data
    parts: list[str] = [rec.id, str(data["id"]), evidence_text(rec.type, data)]
    if rec.type == "event":
        parts += [str(data["type"]), str(data.get("trigger") or "")]
        parts += [str((data.get("date") or {}).get("value") or "")]
        parts += [*data.get("countries", []), *data.get("places", [])]
        for pid in data.get("people", []):
            parts += [pid, *_names(entities.get(pid))]
        for w in data.get("weapons", []):
            parts += [w["id"], *_names(entities.get(w["id"]))]
    else:
        parts += _names(rec) + [str(r) for r in data.get("roles", [])]
    return fold(" ".join(p for p in parts if p))


def queue_row(
    rec: ReviewedRecord, entities: dict[str, ReviewedRecord], sources: dict[str, str]
) -> QueueRow:
    """The index row of one record (a survivor of merges)."""
    date_sort, earliest, latest = date_bounds(rec.date)
    return QueueRow(
        record_id=rec.id,
        type=rec.type,
        status=rec.status,
        status_rank=STATUS_ORDER[rec.status],
        name=rec.name,
        languages=tuple(rec.languages),
        sources=" ".join(sources.get(d, "") for d in rec.document_ids).lower(),
        date_sort=date_sort,
        date_earliest=earliest,
        date_latest=latest,
        text=_text(rec, entities),
    )


def _entities(state: Reviewed) -> dict[str, ReviewedRecord]:
    """Entity survivors by the id events use (after merges and canonical links)."""
    return {r.data["id"]: r for r in state.survivors() if r.type != "event"}


def _needs_rebuild(new: list[Decision]) -> bool:
    return any(
        d.action in _WIDE or (d.action == "edit" and "canonical" in d.payload.get("set", {}))
        for d in new
    )


def ensure_index(store: Store) -> bool:
    """Bring the queue index up to date with the latest run and decisions.

    Returns True when it changed. A full rebuild reads every record once; after a
    decision only the records it concerns are re-read.
    """
    run = store.latest_run()
    if run is None:
        return False
    built = store.queue_state()
    last = store.last_seq()
    if built is not None and built[0] == run.id and built[1] == last:
        return False
    new = [d for d in store.decisions() if built is not None and d.seq > built[1]]
    sources = store.document_sources()
    if built is None or built[0] != run.id or _needs_rebuild(new):
        state = review_state(store)
        entities = _entities(state)
        rows = [queue_row(r, entities, sources) for r in state.survivors()]
        orphaned = [d.seq for d in state.orphaned]
        store.write_queue(rows, run_id=run.id, last_seq=last, orphaned=orphaned, replace_all=True)
        log.info("queue index rebuilt: %s records, run %s", len(rows), run.id)
        return True
    touched = {s for d in new for s in d.subjects()}
    state = review_state(store, only=touched)
    linked = {
        ref
        for rid in touched
        if rid in state.records and state.records[rid].type == "event"
        for ref in [
            *state.records[rid].data.get("people", []),
            *(w["id"] for w in state.records[rid].data.get("weapons", [])),
        ]
    }
    if linked - set(state.records):
        state = review_state(store, only=touched | linked)
    entities = _entities(state)
    rows = [
        queue_row(state.records[rid], entities, sources)
        for rid in sorted(touched)
        if rid in state.records and state.records[rid].merged_into is None
    ]
    store.write_queue(rows, run_id=run.id, last_seq=last, remove=touched)
    return True


@dataclass(frozen=True)
class Filters:
    """What a queue page asks for: search words and filters, combined with AND."""

    q: str = ""
    status: str = ""
    type: str = ""
    language: str = ""
    source: str = ""
    date: str = ""

    def query(self, within: Edtf | None) -> QueueQuery:
        _, earliest, latest = date_bounds(within)
        return QueueQuery(
            status=self.status,
            type=self.type,
            language=self.language,
            source=self.source.strip(),
            date_earliest=earliest or ("9999-12-31" if self.date else ""),
            date_latest=latest or "",
            terms=terms(self.q),
        )


@dataclass
class Page:
    """One page of the queue: its records in order, and where it sits among the rest."""

    records: list[ReviewedRecord]
    total: int
    number: int
    pages: int
    orphaned: list[Decision] = field(default_factory=list)
    earlier: dict[int, dict[str, Any]] = field(default_factory=dict)
    languages: list[str] = field(default_factory=list)


def queue_page(store: Store, filters: Filters, number: int = 1, size: int | None = None) -> Page:
    """Page ``number`` (from 1) of ``size`` (default :data:`PAGE_SIZE`) records matching
    ``filters``, in queue order.

    An unparseable date filter matches nothing (the page says why).
    """
    ensure_index(store)
    within = parse_or_none(filters.date)
    size = size or PAGE_SIZE
    query = filters.query(within)
    number = max(number, 1)
    ids, total = store.queue_page(query, limit=size, offset=(number - 1) * size)
    pages = max(1, -(-total // size))
    if number > pages:  # past the end (the queue shrank, or a typed URL): the last page
        number = pages
        ids, total = store.queue_page(query, limit=size, offset=(number - 1) * size)
    state = review_state(store, only=ids)
    built = store.queue_state()
    orphan_seqs = set(built[2]) if built else set()
    orphaned = [d for d in store.decisions() if d.seq in orphan_seqs]
    earlier = {
        d.seq: e for d in orphaned if (e := store.evidence_version(d.record_id, d.evidence_hash))
    }
    return Page(
        records=[state.records[i] for i in ids if i in state.records],
        total=total,
        number=number,
        pages=pages,
        orphaned=orphaned,
        earlier=earlier,
        languages=store.queue_languages(),
    )


def events_linking(store: Store, entity_id: str, limit: int = 1000) -> list[str]:
    """Ids of indexed events whose text names ``entity_id`` (a superset: callers check the
    links exactly), at most ``limit`` in queue order."""
    ensure_index(store)
    query = QueueQuery(type="event", terms=(fold(entity_id),))
    return store.queue_page(query, limit=limit, offset=0)[0]


def record_scope(store: Store, record_id: str) -> Reviewed:
    """Just what a record page needs, with decisions applied: the record, the people and
    systems of an event, or the events an entity takes part in and their people and
    systems. A page over 100,000 records reads a few dozen of them."""
    state = review_state(store, only=[record_id])
    rec = state.records.get(record_id)
    if rec is None:
        return state
    if rec.type == "event":
        wanted = {record_id, *_links(rec)}
    elif rec.type == "deal":  # the reports it groups
        reports = review_state(store, only=[s["event_id"] for s in rec.data.get("sources", [])])
        wanted = {record_id, *reports.records}
        for event in reports.records.values():
            wanted.update(_links(event))
    else:
        events = review_state(store, only=events_linking(store, str(rec.data["id"])))
        wanted = {record_id, *rec.merged_from, *events.records}
        for event in events.records.values():
            wanted.update(_links(event))
    return review_state(store, only=wanted)


def _links(rec: ReviewedRecord) -> list[str]:
    return [*rec.data.get("people", []), *(w["id"] for w in rec.data.get("weapons", []))]


def suggest(store: Store, rtype: str, text: str, limit: int = 12) -> dict[str, str]:
    """People or systems whose names, aliases or mentions contain ``text`` (any script):
    what a reviewer picks from when linking an event to them. Id → display name."""
    ensure_index(store)
    words = terms(text)
    if not words:
        return {}
    ids, _ = store.queue_page(QueueQuery(type=rtype, terms=words), limit=limit, offset=0)
    names = store.queue_names(ids=ids)
    return {i: names[i] for i in ids if i in names}


def country_events(store: Store, code: str, limit: int = 1000) -> list[ReviewedRecord]:
    """Events naming country ``code`` (ISO 3166 alpha-2), by date (undated first)."""
    code = code.strip().upper()
    if len(code) != 2 or not code.isalpha():
        return []
    ensure_index(store)
    ids, _ = store.queue_page(QueueQuery(type="event", terms=(fold(code),)), limit=limit, offset=0)
    state = review_state(store, only=ids)
    events = [r for r in state.survivors("event") if code in r.data.get("countries", [])]
    return sorted(events, key=lambda e: (date_order(e.date), e.id))
