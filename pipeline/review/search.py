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
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pipeline import lang as lang_registry
from pipeline.review.clusters import by_cluster, is_cluster_id
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
PARTIES = ("supplier", "recipient")
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
    if rec.type == "deal":  # its parties as they stand (a reviewer may have edited them)
        parts += [str((data.get(role) or {}).get("country") or "") for role in PARTIES]
    return fold(" ".join(p for p in parts if p))


def queue_row(
    rec: ReviewedRecord, entities: dict[str, ReviewedRecord], sources: dict[str, str]
) -> QueueRow:
    """The index row of one record (a survivor of merges)."""
    return _row(rec, rec.type, rec.document_ids, sources, _text(rec, entities))


def _row(
    item: ReviewedRecord | ClusterView,
    type_: str,
    document_ids: Iterable[str],
    sources: dict[str, str],
    text: str,
) -> QueueRow:
    date_sort, earliest, latest = date_bounds(item.date)
    return QueueRow(
        record_id=item.id,
        type=type_,
        status=item.status,
        status_rank=STATUS_ORDER[item.status],
        name=item.name,
        languages=tuple(item.languages),
        sources=" ".join(sources.get(d, "") for d in document_ids).lower(),
        date_sort=date_sort,
        date_earliest=earliest,
        date_latest=latest,
        text=text,
    )


@dataclass
class ClusterView:
    """An event cluster of several reports, as the queue and its page show it: one
    real-world event with its sources (GDELT's NumMentions and NumSources)."""

    id: str
    members: list[ReviewedRecord]
    version: int = 0
    type: str = "event"

    @property
    def rep(self) -> ReviewedRecord:
        """The report that dates the event most narrowly (the first of them)."""

        def width(rec: ReviewedRecord) -> tuple[bool, int, str]:
            d = rec.date
            return (d is None, (d.latest - d.earliest).days if d else 0, rec.id)

        return min(self.members, key=width)

    @property
    def status(self) -> str:
        found = {m.status for m in self.members}
        for status in ("changed", "pending", "accepted"):
            if status in found:
                return status
        return "rejected"

    @property
    def data(self) -> dict[str, Any]:
        return self.rep.data

    @property
    def date(self) -> Edtf | None:
        return self.rep.date

    @property
    def name(self) -> str:
        return f"{self.rep.name} · {self.num_mentions} reports"

    @property
    def languages(self) -> list[str]:
        return sorted({lang for m in self.members for lang in m.languages})

    @property
    def document_ids(self) -> list[str]:
        return sorted({d for m in self.members for d in m.document_ids})

    @property
    def num_mentions(self) -> int:
        return len(self.members)

    @property
    def num_sources(self) -> int:
        return len(self.document_ids)


def cluster_row(
    view: ClusterView, entities: dict[str, ReviewedRecord], sources: dict[str, str]
) -> QueueRow:
    """The index row of a cluster of several reports: one row for all of them."""
    text = " ".join([view.id, *(_text(m, entities) for m in view.members)])
    return _row(view, "event", view.document_ids, sources, text)


def _grouped(
    state: Reviewed, members: dict[str, list[str]]
) -> tuple[list[ClusterView], list[ReviewedRecord]]:
    """Survivors as cluster views (clusters of several reports) and single records."""
    views: list[ClusterView] = []
    inside: set[str] = set()
    for cid, ids in sorted(members.items()):
        found = [state.records[i] for i in ids if i in state.records]
        if len(ids) > 1 and len(found) == len(ids):
            views.append(ClusterView(cid, found))
            inside.update(ids)
    return views, [r for r in state.survivors() if r.id not in inside]


def _rows(
    state: Reviewed, store: Store, sources: dict[str, str], events: list[str] | None
) -> list[QueueRow]:
    entities = _entities(state)
    members = {
        cid: [m.event_id for m in rows]
        for cid, rows in by_cluster(store.cluster_members(events=events)).items()
    }
    views, singles = _grouped(state, members)
    return [cluster_row(v, entities, sources) for v in views] + [
        queue_row(r, entities, sources) for r in singles
    ]


def expand(store: Store, ids: list[str]) -> list[str]:
    """Record ids with each cluster id replaced by its events' ids (order kept)."""
    wanted = [i for i in ids if is_cluster_id(i)]
    if not wanted:
        return ids
    members = by_cluster(store.cluster_members(clusters=wanted))
    found: list[str] = []
    for i in ids:
        found.extend([m.event_id for m in members.get(i, [])] if is_cluster_id(i) else [i])
    return found


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
    if built is None or built[0] != run.id or _needs_rebuild(new):
        state = review_state(store)
        rows = _rows(state, store, store.document_sources(), None)
        orphaned = [d.seq for d in state.orphaned]
        store.write_queue(rows, run_id=run.id, last_seq=last, orphaned=orphaned, replace_all=True)
        log.info("queue index rebuilt: %s records, run %s", len(rows), run.id)
        return True
    touched = {s for d in new for s in d.subjects() if not is_cluster_id(s)}
    rulings = [d for d in new if is_cluster_id(d.record_id)]
    if rulings:  # every event of the clusters a ruling reaches (by its members' keys)
        keys = {k for d in rulings for k in d.payload.get("members", {})}
        ruled = {d.seq: d for d in store.decisions() if is_cluster_id(d.record_id)}
        for d in rulings:
            target = ruled.get(int(d.payload.get("seq", -1)))
            keys.update((target.payload if target else {}).get("members", {}))
        touched.update(m.event_id for m in store.cluster_members(keys=keys))
    rows_of = by_cluster(store.cluster_members(events=touched))
    touched.update(m.event_id for rows in rows_of.values() for m in rows)
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
    wanted = [r for r in touched if r in state.records and state.records[r].type == "event"]
    sources = store.document_sources(
        d for r in touched if r in state.records for d in state.records[r].document_ids
    )
    rows = [
        r
        for r in _rows(state, store, sources, wanted)
        if r.record_id in touched or r.record_id in rows_of
    ]
    store.write_queue(rows, run_id=run.id, last_seq=last, remove=touched | set(rows_of))
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

    records: list[ReviewedRecord | ClusterView]
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
    state = review_state(store, only=expand(store, ids))
    built = store.queue_state()
    orphan_seqs = set(built[2]) if built else set()
    decisions = store.decisions()
    orphaned = [d for d in decisions if d.seq in orphan_seqs]
    earlier = {
        d.seq: e for d in orphaned if (e := store.evidence_version(d.record_id, d.evidence_hash))
    }
    return Page(
        records=_page_records(store, state, ids, decisions),
        total=total,
        number=number,
        pages=pages,
        orphaned=orphaned,
        earlier=earlier,
        languages=store.queue_languages(),
    )


def _page_records(
    store: Store, state: Reviewed, ids: list[str], decisions: list[Decision]
) -> list[ReviewedRecord | ClusterView]:
    views = cluster_views(store, state, [i for i in ids if is_cluster_id(i)], decisions)
    found: list[ReviewedRecord | ClusterView] = []
    for i in ids:
        rec = views.get(i) if is_cluster_id(i) else state.records.get(i)
        if rec is not None:
            found.append(rec)
    return found


def cluster_views(
    store: Store, state: Reviewed, cluster_ids: list[str], decisions: list[Decision]
) -> dict[str, ClusterView]:
    """The clusters ``cluster_ids`` over ``state`` (which holds their events), by id;
    a cluster's version counts the decisions logged under its id."""
    members = by_cluster(store.cluster_members(clusters=cluster_ids)) if cluster_ids else {}
    versions: dict[str, int] = {}
    for d in decisions:
        if d.record_id in members:
            versions[d.record_id] = versions.get(d.record_id, 0) + 1
    return {
        cid: ClusterView(cid, [state.records[m.event_id] for m in rows], versions.get(cid, 0))
        for cid, rows in members.items()
        if all(m.event_id in state.records for m in rows)
    }


def events_linking(store: Store, entity_id: str, limit: int = 1000) -> list[str]:
    """Ids of indexed events whose text names ``entity_id`` (a superset: callers check the
    links exactly), at most ``limit`` in queue order."""
    ensure_index(store)
    query = QueueQuery(type="event", terms=(fold(entity_id),))
    return expand(store, store.queue_page(query, limit=limit, offset=0)[0])


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
    state = review_state(store, only=expand(store, ids))
    events = [r for r in state.survivors("event") if code in r.data.get("countries", [])]
    return sorted(events, key=lambda e: (date_order(e.date), e.id))


def deal_date(data: dict[str, Any]) -> Edtf | None:
    """When a deal sits on a timeline: its order date, else its first delivery."""
    dates = [parse_or_none(data.get("order_date"))]
    dates += sorted(filter(None, map(parse_or_none, data.get("delivery_dates", []))))
    return next((d for d in dates if d is not None), None)


def country_deals(store: Store, code: str, limit: int = 1000) -> dict[str, list[ReviewedRecord]]:
    """Deals with country ``code`` as supplier and as recipient (decisions applied: a
    reviewer's edit of a party counts), each list by date, undated first."""
    code = code.strip().upper()
    found: dict[str, list[ReviewedRecord]] = {role: [] for role in PARTIES}
    if len(code) != 2 or not code.isalpha():
        return found
    ensure_index(store)
    ids, _ = store.queue_page(QueueQuery(type="deal", terms=(fold(code),)), limit=limit, offset=0)
    for deal in review_state(store, only=ids).survivors("deal"):
        for role in PARTIES:
            if (deal.data.get(role) or {}).get("country") == code:
                found[role].append(deal)
    for deals in found.values():
        deals.sort(key=lambda d: (date_order(deal_date(d.data)), d.id))
    return found
