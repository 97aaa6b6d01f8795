"""The review desk's store: runs, raw records, mentions and decisions.

The store keeps the *raw* extraction of every run (so decisions can be
re-applied idempotently) and an append-only log of review decisions. By default
it is one SQLite file per output dir (WAL mode, foreign keys on); given a
``postgresql://`` URL the same schema lives on a PostgreSQL server that several
reviewers and extraction machines share. Every query is written once; what the
engines do differently is in :mod:`pipeline.review.dialect`. Every write is one
transaction that takes the store's write lock, so a process killed in the middle
of a write leaves the database as it was before that write.

Record ids come from the pipeline and are stable across runs; a record seen
again in a later run keeps its row and only its ``last_seen_run`` moves on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from pipeline.errors import ConflictError, ReviewError
from pipeline.review.dialect import (
    ROWID_MARK,
    Database,
    PostgresDatabase,
    Row,
    SqliteDatabase,
    connect,
    like_pattern,
)
from pipeline.review.layout import DOCUMENTS_DIR, RECORD_FILES, raw_file
from schemas.records import RECORD_MODELS

log = logging.getLogger(__name__)

Action = Literal["accept", "reject", "edit", "merge", "split", "alias", "undo"]
ACTIONS: tuple[str, ...] = ("accept", "reject", "edit", "merge", "split", "alias", "undo")
Role = Literal["reviewer", "viewer"]
ROLES: tuple[str, ...] = ("reviewer", "viewer")
"""Roles of the desk's users (:mod:`pipeline.review.users`): viewers read, reviewers decide."""
SCHEMA_VERSION = 3
"""The schema's version (SQLite's ``PRAGMA user_version``; a ``store_meta`` row on
PostgreSQL): 2 added ``undo``, stable keys, evidence versions and the queue index; 3 the
cluster index, and queue rows for event clusters (the queue index is rebuilt on first
use). A store of an older version is migrated on open."""

_RECORD_TYPES_CHECK = "CHECK (type IN ({}))".format(", ".join(f"'{t}'" for t in RECORD_FILES))
_RECORDS_TABLE = f"""
CREATE TABLE IF NOT EXISTS {{name}} (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL {_RECORD_TYPES_CHECK},
    json TEXT NOT NULL,
    evidence_hash TEXT NOT NULL,
    first_seen_run TEXT NOT NULL REFERENCES runs(id),
    last_seen_run TEXT NOT NULL REFERENCES runs(id),
    stable_key TEXT
);"""
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    started TEXT NOT NULL,
    finished TEXT,
    counts TEXT NOT NULL DEFAULT '{{}}',
    fingerprint TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    json TEXT NOT NULL,
    language TEXT,
    location TEXT,
    site TEXT,
    published TEXT,
    first_seen_run TEXT NOT NULL REFERENCES runs(id),
    last_seen_run TEXT NOT NULL REFERENCES runs(id)
);
{_RECORDS_TABLE.format(name="records")}
CREATE INDEX IF NOT EXISTS records_type ON records(type, last_seen_run);
CREATE TABLE IF NOT EXISTS mentions (
    record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    document_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    language TEXT NOT NULL,
    quantity INTEGER,
    PRIMARY KEY (record_id, document_id, start, "end")
);
CREATE INDEX IF NOT EXISTS mentions_document ON mentions(document_id);
CREATE TABLE IF NOT EXISTS record_versions (
    record_id TEXT NOT NULL,
    evidence_hash TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (record_id, evidence_hash)
);
CREATE TABLE IF NOT EXISTS queue (
    {ROWID_MARK}
    record_id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    status_rank INTEGER NOT NULL,
    name TEXT NOT NULL,
    languages TEXT NOT NULL,
    sources TEXT NOT NULL,
    date_sort TEXT,
    date_earliest TEXT,
    date_latest TEXT
);
CREATE INDEX IF NOT EXISTS queue_order ON queue(status_rank, type, date_sort, record_id);
CREATE INDEX IF NOT EXISTS queue_status ON queue(status, type);
CREATE INDEX IF NOT EXISTS queue_type ON queue(type, status_rank, date_sort, record_id);
CREATE INDEX IF NOT EXISTS queue_dates ON queue(date_earliest);
CREATE TABLE IF NOT EXISTS queue_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    run_id TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    orphaned TEXT NOT NULL DEFAULT '[]',
    languages TEXT NOT NULL DEFAULT '[]'
);
-- the desk's event clusters (pipeline clusters with reviewers' merges and splits): a
-- cache rebuilt for each run and each merge or split (pipeline.review.clusters)
CREATE TABLE IF NOT EXISTS cluster_index (
    event_id TEXT PRIMARY KEY,
    cluster_id TEXT NOT NULL,
    stable_key TEXT NOT NULL,
    document_id TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    language TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cluster_index_cluster ON cluster_index(cluster_id);
CREATE INDEX IF NOT EXISTS cluster_index_key ON cluster_index(stable_key);
CREATE TABLE IF NOT EXISTS cluster_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    run_id TEXT NOT NULL,
    last_seq INTEGER NOT NULL
);
-- the desk's users (pipeline/review/users.py): an argon2 hash, never the password
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ({", ".join(repr(r) for r in ROLES)})),
    password_hash TEXT NOT NULL,
    created TEXT NOT NULL
);
-- open logins of the web desk: a digest of the session id (the cookie holds the id)
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created TEXT NOT NULL,
    expires TEXT NOT NULL
);
"""

_DECISIONS = f"""
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    action TEXT NOT NULL
        CHECK (action IN ({", ".join(repr(a) for a in ACTIONS)})),
    payload TEXT NOT NULL DEFAULT '{{}}',
    reviewer TEXT NOT NULL,
    at TEXT NOT NULL,
    evidence_hash TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    base_version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_record ON decisions(record_id);
"""
# the queue's search tables (queue_text, queue_words, queue_lang) and the triggers that
# keep the decision log append-only are each engine's own: pipeline.review.dialect


_QUEUE_TABLES = ("queue", "queue_text", "queue_words", "queue_lang")
_CHUNK = 500  # ids per IN (…) list: well under every engine's limit of parameters


def _marks(values: list[Any]) -> str:
    """``?, ?, …``: one placeholder per value of an IN list."""
    return ", ".join("?" * len(values))


def _canonical_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_type(record_id: str) -> str:
    """``person``, ``weapon`` or ``event`` from an id prefix; ReviewError otherwise."""
    prefix = record_id.split(":", 1)[0]
    if prefix not in RECORD_FILES:
        kinds = ", ".join(f"{p}:" for p in RECORD_FILES)
        raise ReviewError(f"{record_id}: not a reviewable record id ({kinds})")
    return prefix


def evidence_hash(rtype: str, data: dict[str, Any]) -> str:
    """sha256 of the canonical evidence of a record.

    Event: evidence sentence, document, offsets and the date text.
    Entity: the sorted (document_id, start, end, text) of its mentions.
    Deal: its parties, system, numbers, dates and status (not its list of reports).
    """
    if rtype == "deal":
        # the facts a reviewer judged; a new report that changes none of them keeps the decision
        parts: object = {
            k: data.get(k)
            for k in (
                "supplier",
                "recipient",
                "designation",
                "number_ordered",
                "order_date",
                "number_delivered",
                "delivery_dates",
                "status",
            )
        }
    elif rtype == "event":
        evidence = data.get("evidence") or {}
        date = data.get("date") or {}
        parts = {
            "document_id": evidence.get("document_id"),
            "sentence": evidence.get("sentence"),
            "start": evidence.get("start"),
            "end": evidence.get("end"),
            "date_text": date.get("text"),
        }
    else:
        parts = sorted(
            [m["document_id"], m["start"], m["end"], m["text"]] for m in data.get("mentions", [])
        )
    return _sha256(_canonical_json(parts))


def stable_keys(
    records: Iterable[tuple[str, dict[str, Any]]], locations: dict[str, str]
) -> dict[str, str]:
    """The stable key of every record: what a decision follows when the evidence changes.

    An entity's key is its id (a slug of its canonical name). An event's key is the
    hash of its document's *source location* (the document id changes with the
    bytes), its trigger, its position class (the how-manieth event with that trigger
    in the document), the weapons systems (ids, not quantities) and the parties
    (people and countries). A changed number or date in the sentence keeps the
    key; another trigger, system or party makes another event.
    """
    keys: dict[str, str] = {}
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for rtype, data in records:
        evidence = data.get("evidence")
        if rtype != "event" or not isinstance(evidence, dict):  # entities, deals: the id
            keys[str(data.get("id"))] = str(data.get("id"))
            continue
        location = str(locations.get(evidence["document_id"], evidence["document_id"]))
        trigger = str(data.get("trigger") or data["type"])
        groups.setdefault((location, trigger), []).append(data)
    for (location, trigger), events in groups.items():
        events.sort(key=lambda e: (e["evidence"]["start"], e["evidence"]["end"], e["id"]))
        for ordinal, data in enumerate(events):
            parts = {
                "location": location,
                "trigger": trigger,
                "position": ordinal,
                "weapons": sorted({w["id"] for w in data.get("weapons", [])}),
                "parties": sorted({*data.get("people", []), *data.get("countries", [])}),
            }
            keys[str(data["id"])] = "event:" + _sha256(_canonical_json(parts))[:16]
    return keys


@dataclass(frozen=True)
class QueueRow:
    """One record's row in the queue index: what filters, orders and searches read."""

    record_id: str
    type: str
    status: str
    status_rank: int
    name: str
    languages: tuple[str, ...]
    sources: str
    date_sort: str | None
    date_earliest: str | None
    date_latest: str | None
    text: str


@dataclass(frozen=True)
class QueueQuery:
    """Filters of a queue page; ``terms`` are already in search form (see review.search)."""

    status: str = ""
    type: str = ""
    language: str = ""
    source: str = ""
    date_earliest: str = ""
    date_latest: str = ""
    terms: tuple[str, ...] = ()


MIN_TRIGRAM = 3  # substring search (FTS5 trigrams, pg_trgm) needs three characters
COUNT_CACHE = 256
_COUNTS: OrderedDict[tuple[str, tuple[object, ...], QueueQuery], int] = OrderedDict()
"""How many rows match a queue query, by store, index version (run, last decision) and
query: paging through a filter counts once; any decision or run makes a new version."""


def _queue_where(db: Database, query: QueueQuery) -> tuple[str, list[object]]:
    """The FROM and WHERE clauses of a queue query (after ``SELECT … FROM``) and their
    arguments.

    The smallest set drives the query: the search index's rows when there are search
    words (most filters match thousands of rows, a name a few hundred), else the date
    range (an index on the earliest day, bounded on both sides); the other filters are
    checked row by row. A planner cannot see how few rows a text match gives, so the
    join order is fixed with CROSS JOIN (the search tables are the dialect's).
    """
    searches: list[tuple[str, list[object]]] = []
    long_terms = [t for t in query.terms if len(t) >= MIN_TRIGRAM]
    if long_terms:
        searches.append(db.substring_rows(long_terms))
    short = [t for t in query.terms if len(t) < MIN_TRIGRAM]
    if short:
        # too short for trigrams: as a run of wide characters (a two-character Chinese
        # name, one word per character) or as the start of a word
        searches.append(db.word_rows(short))
    dates = "date_earliest >= ? AND date_earliest <= ? AND date_latest <= ?"
    bounds: list[object] = [query.date_earliest, query.date_latest, query.date_latest]
    drive: tuple[str, list[object]] | None = None
    where: list[str] = []
    args: list[object] = []
    if searches:
        drive = searches[0]
        for sql, values in searches[1:]:
            where.append(f"q.rowid IN ({sql})")
            args.extend(values)
    elif query.date_earliest:
        # earliest <= latest: both bounds on the earliest day make an index range
        drive = (f"SELECT rowid AS r FROM queue WHERE {dates}", bounds)
    if query.date_earliest and searches:
        where.append(" AND ".join(f"q.{c}" for c in dates.split(" AND ")))
        args.extend(bounds)
    for column, value in (("status", query.status), ("type", query.type)):
        if value:
            where.append(f"q.{column} = ?")
            args.append(value)
    if query.language and drive:  # each driving row looked up
        where.append(
            "EXISTS (SELECT 1 FROM queue_lang AS l WHERE l.language = ? AND l.row = q.rowid)"
        )
        args.append(query.language)
    elif query.language:
        where.append("q.rowid IN (SELECT row FROM queue_lang WHERE language = ?)")
        args.append(query.language)
    if query.source:
        where.append("q.sources LIKE ? ESCAPE '\\'")
        args.append(like_pattern(query.source.lower()))
    source = "queue AS q"
    if drive is not None:
        source = f"({drive[0]}) AS d CROSS JOIN queue AS q"
        where.insert(0, "q.rowid = d.r")
        args = [*drive[1], *args]
    return source + ((" WHERE " + " AND ".join(where)) if where else ""), args


@dataclass(frozen=True)
class ClusterMember:
    """One event's row in the cluster index: its desk cluster and where it is told."""

    event_id: str
    cluster_id: str
    stable_key: str
    document_id: str
    start: int
    end: int
    language: str


@dataclass(frozen=True)
class StoredRecord:
    """One raw record as extracted, with its evidence hash."""

    id: str
    type: str
    data: dict[str, Any]
    evidence_hash: str
    first_seen_run: str
    last_seen_run: str


@dataclass(frozen=True)
class Decision:
    """One entry of the append-only decision log."""

    seq: int
    record_id: str
    action: str
    payload: dict[str, Any]
    reviewer: str
    at: str
    evidence_hash: str
    note: str
    base_version: int

    def subjects(self) -> tuple[str, ...]:
        """Record ids this decision concerns (a merge concerns both records)."""
        into = self.payload.get("into")
        if self.action == "merge" and isinstance(into, str):
            return (self.record_id, into)
        return (self.record_id,)


@dataclass(frozen=True)
class Run:
    id: str
    seq: int
    started: str
    finished: str | None
    counts: dict[str, int] = field(default_factory=dict)
    fingerprint: str | None = None


def output_fingerprint(out_dir: Path) -> str:
    """sha256 over the raw record files of an output dir (names and bytes).

    ``OUT/reviewed/`` is not part of it: publishing changes no fingerprint.
    """
    digest = hashlib.sha256()
    paths = [out_dir / name for name in sorted(RECORD_FILES.values())]
    docs = out_dir / DOCUMENTS_DIR
    if docs.is_dir():
        paths.extend(sorted(docs.glob("*.json")))
    for path in paths:
        if path.is_file():
            digest.update(str(path.relative_to(out_dir)).encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ReviewError(f"{path}:{number}: not valid JSON: {exc.msg}") from exc
            if not isinstance(value, dict):
                raise ReviewError(f"{path}:{number}: expected a JSON object")
            yield number, value


def _validate(rtype: str, data: dict[str, Any], origin: str) -> dict[str, Any]:
    try:
        model = RECORD_MODELS[rtype].model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ReviewError(f"{origin}: invalid {rtype} record: {where}: {first['msg']}") from exc
    dumped: dict[str, Any] = model.model_dump(mode="json")
    return dumped


def _read_documents(out_dir: Path) -> list[dict[str, Any]]:
    """The pipeline's document records (``OUT/documents/*.json``), validated."""
    documents: list[dict[str, Any]] = []
    docs_dir = Path(out_dir) / DOCUMENTS_DIR
    for path in sorted(docs_dir.glob("*.json")) if docs_dir.is_dir() else []:
        try:
            raw = json.loads(path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ReviewError(f"{path}: not valid JSON: {exc}") from exc
        documents.append(_validate("document", raw, str(path)))
    return documents


def _read_records(out_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """The pipeline's raw records (``OUT/people|weapons|events.jsonl``), validated."""
    records: list[tuple[str, dict[str, Any]]] = []
    for rtype in RECORD_FILES:
        path = raw_file(out_dir, rtype)
        if not path.is_file():
            continue
        for number, raw in _read_jsonl(path):
            data = _validate(rtype, raw, f"{path}:{number}")
            if record_type(str(data["id"])) != rtype:
                raise ReviewError(f"{path}:{number}: id {data['id']} is not a {rtype} id")
            records.append((rtype, data))
    return records


class Store:
    """The review database: ``OUT/review.sqlite``, or a shared PostgreSQL database."""

    def __init__(self, target: Path | str) -> None:
        """Open (and create or migrate) the store at ``target``: a SQLite file path, or a
        ``postgresql://`` URL (see :func:`pipeline.review.dialect.connect`)."""
        self._conn: Database = connect(target)
        self.location = self._conn.location
        self.path: Path | None = self._conn.path if isinstance(self._conn, SqliteDatabase) else None
        """The SQLite file; None for a store on a database server."""
        try:
            self._open()
        except BaseException:
            self._conn.close()
            raise

    def _open(self) -> None:
        db = self._conn
        if isinstance(db, SqliteDatabase):
            upgraded = self._upgrade_record_types(db)
            db.create(_SCHEMA + _DECISIONS, db.search_ddl + db.append_only_ddl)
            self._migrate(db)
            if upgraded:
                self._backfill_keys()
        elif isinstance(db, PostgresDatabase):
            self._create_postgres(db)

    @staticmethod
    def _create_postgres(db: PostgresDatabase) -> None:
        """Create what a PostgreSQL store lacks; nothing at all when its DDL is current."""
        extra = db.search_ddl + db.append_only_ddl
        digest = _sha256(db.ddl(_SCHEMA + _DECISIONS) + extra)
        if db.meta("ddl") == digest:
            return  # every desk page opens the store: no DDL (and no catalog lock) then
        # a new database, or one made before a table was added: every statement is
        # IF NOT EXISTS or OR REPLACE, so running them all again adds what is missing
        db.create(_SCHEMA + _DECISIONS, extra)
        db.set_user_version(SCHEMA_VERSION)
        db.set_meta("ddl", digest)

    @property
    def kind(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._conn.kind

    @property
    def shared(self) -> bool:
        """Whether several machines may feed this store (a server, not a file of OUT)."""
        return not isinstance(self._conn, SqliteDatabase)

    def _migrate(self, db: SqliteDatabase) -> None:
        """Bring a SQLite store of an older schema to :data:`SCHEMA_VERSION`, in one
        transaction (PostgreSQL stores were always made at version 2 or later).

        Version 2: ``undo`` joins the actions of the decision log (the table is copied
        row for row into one with the new CHECK; no decision changes), records get
        their stable key, the queue index is built on first use. Version 3: the queue
        index, whose event clusters became one row each, is built again on first use.
        """
        conn = db.raw
        version = db.user_version()
        if version >= SCHEMA_VERSION:
            return
        row = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'decisions'"
        ).fetchone()
        columns = {r["name"] for r in conn.execute("PRAGMA table_info(records)")}
        script = ["BEGIN IMMEDIATE;"]
        if "stable_key" not in columns:
            script.append("ALTER TABLE records ADD COLUMN stable_key TEXT;")
        if row is not None and "'undo'" not in row["sql"]:
            script += [
                _DECISIONS.replace("EXISTS decisions", "EXISTS decisions_v2", 1).split(";")[0]
                + ";",
                "INSERT INTO decisions_v2 SELECT * FROM decisions;",
                "DROP TABLE decisions;",
                "ALTER TABLE decisions_v2 RENAME TO decisions;",
            ]
        # the queue index is a cache of an older shape (one row per event): built again
        script += [
            "DELETE FROM queue_state;",
            _DECISIONS,
            db.append_only_ddl,
            f"PRAGMA user_version = {SCHEMA_VERSION};",
            "COMMIT;",
        ]
        try:
            conn.executescript("\n".join(script))
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._backfill_keys()
        log.info("%s: review store migrated to schema %s", self.location, SCHEMA_VERSION)

    def _backfill_keys(self) -> None:
        """Stable keys for records stored before keys existed."""
        rows = self._conn.execute(
            "SELECT id, type, json FROM records WHERE stable_key IS NULL"
        ).fetchall()
        if not rows:
            return
        locations = {
            r["id"]: r["location"] or r["id"]
            for r in self._conn.execute("SELECT id, location FROM documents")
        }
        keys = stable_keys(
            [(r["type"], {"id": r["id"], **json.loads(r["json"])}) for r in rows], locations
        )
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE records SET stable_key = ? WHERE id = ?",
                [(key, rid) for rid, key in keys.items()],
            )

    def _upgrade_record_types(self, db: SqliteDatabase) -> bool:
        """A SQLite store made before a record type existed (organisations, deals) takes it:
        SQLite cannot change a CHECK constraint, so the records table is rebuilt, rows and
        ids unchanged. True when it was rebuilt."""
        conn = db.raw
        row = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type='table' AND name='records'"
        ).fetchone()
        if row is None or _RECORD_TYPES_CHECK in row["sql"]:
            return False
        log.info("%s: records table takes the record types %s", self.location, list(RECORD_FILES))
        # foreign keys off while the table is swapped: mentions must not cascade away
        conn.execute("PRAGMA foreign_keys=OFF")
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                # SQLite's recipe: a new table, copied, the old dropped, the new renamed
                conn.execute(_RECORDS_TABLE.format(name="records_new"))
                # by name: the old table may lack columns added since (stable_key)
                old = [r["name"] for r in conn.execute("PRAGMA table_info(records)")]
                new = {r["name"] for r in conn.execute("PRAGMA table_info(records_new)")}
                columns = ", ".join(f'"{c}"' for c in old if c in new)
                conn.execute(f"INSERT INTO records_new ({columns}) SELECT {columns} FROM records")
                conn.execute("DROP TABLE records")
                conn.execute("ALTER TABLE records_new RENAME TO records")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        finally:
            conn.execute("PRAGMA foreign_keys=ON")
        return True

    # -- plumbing -----------------------------------------------------------------
    def size_bytes(self) -> int:
        """The store's size on disk (the SQLite file, or the PostgreSQL database)."""
        return self._conn.size_bytes()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, params: Iterable[object] = ()) -> list[Row]:
        """The rows of one read statement, for modules beside the store (users)."""
        return self._conn.execute(sql, tuple(params)).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """One write transaction: committed on success, rolled back on any error; it holds
        the store's write lock, so writers take turns."""
        with self._conn.transaction() as conn:
            yield conn

    # -- runs -----------------------------------------------------------------------
    def runs(self) -> list[Run]:
        rows = self._conn.execute("SELECT * FROM runs ORDER BY seq").fetchall()
        return [
            Run(
                id=r["id"],
                seq=r["seq"],
                started=r["started"],
                finished=r["finished"],
                counts=json.loads(r["counts"]),
                fingerprint=r["fingerprint"],
            )
            for r in rows
        ]

    def latest_run(self) -> Run | None:
        runs = self.runs()
        return runs[-1] if runs else None

    def ingest_output(self, out_dir: Path, run_id: str) -> Run:
        """Load the raw extraction of one run's output dir, in one transaction.

        Only the pipeline's own files are read (``OUT/documents/*.json`` and
        ``OUT/people|weapons|events.jsonl``); what publish writes lives in
        ``OUT/reviewed/`` and is never read back as raw records.
        """
        out_dir = Path(out_dir)
        if not out_dir.is_dir():
            raise ReviewError(f"{out_dir}: output dir not found")
        started = _utcnow()
        fingerprint = output_fingerprint(out_dir)
        documents = _read_documents(out_dir)
        records = _read_records(out_dir)
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone():
                raise ReviewError(f"run {run_id}: already ingested")
            previous = conn.execute("SELECT seq FROM runs ORDER BY seq DESC LIMIT 1").fetchone()
            conn.execute(
                "INSERT INTO runs (id, seq, started, fingerprint) VALUES (?, ?, ?, ?)",
                (run_id, (previous["seq"] + 1) if previous else 1, started, fingerprint),
            )
            self._upsert_documents(conn, documents, run_id)
            locations = {
                r["id"]: r["location"] or r["id"]
                for r in conn.execute("SELECT id, location FROM documents")
            }
            keys = stable_keys(records, locations)
            self._upsert_records(conn, records, run_id, keys)
            counts = self._counts(conn, run_id, len(documents))
            conn.execute(
                "UPDATE runs SET finished = ?, counts = ? WHERE id = ?",
                (_utcnow(), _canonical_json(counts), run_id),
            )
        log.info("ingested run %s from %s: %s", run_id, out_dir, counts)
        run = self.latest_run()
        assert run is not None
        return run

    def set_fingerprint(self, run_id: str, fingerprint: str) -> None:
        """Record that ``run_id``'s files now have ``fingerprint`` (same records, new bytes)."""
        with self.transaction() as conn:
            conn.execute("UPDATE runs SET fingerprint = ? WHERE id = ?", (fingerprint, run_id))

    @staticmethod
    def _counts(conn: Database, run_id: str, documents: int) -> dict[str, int]:
        counts = {"documents": documents}
        for rtype in RECORD_FILES:
            row = conn.execute(
                "SELECT COUNT(*) FROM records WHERE type = ? AND last_seen_run = ?",
                (rtype, run_id),
            ).fetchone()
            counts[rtype] = int(row[0])
        return counts

    @staticmethod
    def _upsert_documents(conn: Database, documents: list[dict[str, Any]], run_id: str) -> None:
        conn.executemany(
            "INSERT INTO documents (id, json, language, location, site, published,"
            " first_seen_run, last_seen_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET json=excluded.json,"
            " language=excluded.language, location=excluded.location,"
            " site=excluded.site, published=excluded.published,"
            " last_seen_run=excluded.last_seen_run",
            [
                (
                    doc["id"],
                    _canonical_json(doc),
                    doc["language"],
                    doc["source"].get("final_url") or doc["source"]["location"],
                    doc.get("site"),
                    doc.get("published"),
                    run_id,
                    run_id,
                )
                for doc in documents
            ],
        )

    @staticmethod
    def _upsert_records(
        conn: Database,
        records: list[tuple[str, dict[str, Any]]],
        run_id: str,
        keys: dict[str, str],
    ) -> None:
        """Each statement once for all records (one round trip per batch on a server)."""
        rows = [
            (str(data["id"]), rtype, data, evidence_hash(rtype, data)) for rtype, data in records
        ]
        # the evidence a decision was made on stays readable after the record changes
        conn.executemany(
            "INSERT INTO record_versions (record_id, evidence_hash, json)"
            " SELECT id, evidence_hash, json FROM records WHERE id = ? AND evidence_hash != ?"
            " ON CONFLICT DO NOTHING",
            [(rid, digest) for rid, _, _, digest in rows],
        )
        conn.executemany(
            "INSERT INTO records (id, type, json, evidence_hash, first_seen_run, last_seen_run,"
            " stable_key) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
            " json=excluded.json, evidence_hash=excluded.evidence_hash,"
            " last_seen_run=excluded.last_seen_run, stable_key=excluded.stable_key",
            [
                (rid, rtype, _canonical_json(data), digest, run_id, run_id, keys[rid])
                for rid, rtype, data, digest in rows
            ],
        )
        conn.executemany(
            "DELETE FROM mentions WHERE record_id = ?", [(rid,) for rid, _, _, _ in rows]
        )
        conn.executemany(
            'INSERT INTO mentions (record_id, document_id, start, "end", text,'
            " language, quantity) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [
                (
                    rid,
                    m["document_id"],
                    m["start"],
                    m["end"],
                    m["text"],
                    m["language"],
                    m.get("quantity"),
                )
                for rid, _, data, _ in rows
                for m in data.get("mentions", [])
            ],
        )

    # -- reads --------------------------------------------------------------------------
    @staticmethod
    def _record(row: Row) -> StoredRecord:
        return StoredRecord(
            id=row["id"],
            type=row["type"],
            data=json.loads(row["json"]),
            evidence_hash=row["evidence_hash"],
            first_seen_run=row["first_seen_run"],
            last_seen_run=row["last_seen_run"],
        )

    def records(
        self,
        rtype: str | None = None,
        *,
        current: bool = True,
        ids: Iterable[str] | None = None,
    ) -> list[StoredRecord]:
        """Records (of one type, or with these ids), by default only those of the latest run."""
        sql = "SELECT * FROM records"
        where: list[str] = []
        args: list[object] = []
        if ids is not None:
            wanted = sorted(set(ids))
            if not wanted:
                return []
            where.append(f"id IN ({','.join('?' * len(wanted))})")
            args.extend(wanted)
        if rtype is not None:
            where.append("type = ?")
            args.append(rtype)
        if current:
            run = self.latest_run()
            if run is None:
                return []
            where.append("last_seen_run = ?")
            args.append(run.id)
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        return [self._record(r) for r in rows]

    def record(self, record_id: str) -> StoredRecord | None:
        row = self._conn.execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
        return self._record(row) if row else None

    def documents(self) -> dict[str, dict[str, Any]]:
        rows = self._conn.execute("SELECT id, json FROM documents ORDER BY id").fetchall()
        return {r["id"]: json.loads(r["json"]) for r in rows}

    def document_sources(self, ids: Iterable[str] | None = None) -> dict[str, str]:
        """Site and location of every document (or of these), by id (what the source
        filter reads)."""
        sql, args = "SELECT id, site, location FROM documents", sorted(set(ids or ()))
        if ids is not None:
            sql += f" WHERE id IN ({','.join('?' * len(args))})"
        rows = self._conn.execute(sql, args).fetchall() if ids is None or args else []
        return {r["id"]: f"{r['site'] or ''} {r['location'] or ''}".strip() for r in rows}

    def documents_by_id(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The documents with these ids (those that exist)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self._conn.execute(
            f"SELECT id, json FROM documents WHERE id IN ({marks})", wanted
        ).fetchall()
        return {r["id"]: json.loads(r["json"]) for r in rows}

    def document(self, document_id: str) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT json FROM documents WHERE id = ?", (document_id,)
        ).fetchone()
        return json.loads(row["json"]) if row else None

    def mentions_of(self, record_id: str) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            'SELECT document_id, start, "end", text, language, quantity FROM mentions'
            " WHERE record_id = ? ORDER BY document_id, start",
            (record_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def evidence_version(self, record_id: str, digest: str) -> dict[str, Any] | None:
        """The record as it was when its evidence hash was ``digest`` (None if never seen)."""
        row = self._conn.execute(
            "SELECT json FROM record_versions WHERE record_id = ? AND evidence_hash = ?"
            " UNION ALL SELECT json FROM records WHERE id = ? AND evidence_hash = ? LIMIT 1",
            (record_id, digest, record_id, digest),
        ).fetchone()
        return json.loads(row["json"]) if row else None

    def successors(self, record_ids: Iterable[str]) -> dict[str, str]:
        """For ids missing from the latest run: the record of that run with the same stable
        key (the same event, its evidence changed), by old id."""
        run = self.latest_run()
        wanted = sorted(set(record_ids))
        if run is None or not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self._conn.execute(
            f"SELECT old.id AS old_id, new.id AS new_id FROM records AS old"
            f" JOIN records AS new ON new.stable_key = old.stable_key"
            f" AND new.last_seen_run = ? AND new.id != old.id"
            f" WHERE old.id IN ({marks}) AND old.last_seen_run != ?",
            [run.id, *wanted, run.id],
        ).fetchall()
        return {r["old_id"]: r["new_id"] for r in rows}

    def stable_keys_of(self, rtype: str) -> dict[str, str]:
        """Stable key of every record of ``rtype`` in the latest run, by id."""
        run = self.latest_run()
        if run is None:
            return {}
        rows = self._conn.execute(
            "SELECT id, stable_key FROM records WHERE type = ? AND last_seen_run = ?",
            (rtype, run.id),
        ).fetchall()
        return {r[0]: r[1] or r[0] for r in rows}

    # -- the cluster index --------------------------------------------------------------
    def cluster_state(self) -> tuple[str, int] | None:
        """(run id, last merge or split seq) the cluster index was built for."""
        row = self._conn.execute(
            "SELECT run_id, last_seq FROM cluster_state WHERE id = 1"
        ).fetchone()
        return (row[0], int(row[1])) if row else None

    def write_cluster_index(self, rows: list[ClusterMember], *, run_id: str, last_seq: int) -> None:
        """Replace the cluster index, in one transaction."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM cluster_index")
            conn.executemany(
                "INSERT INTO cluster_index (event_id, cluster_id, stable_key, document_id, start,"
                ' "end", language) VALUES (?, ?, ?, ?, ?, ?, ?)',
                [
                    (
                        m.event_id,
                        m.cluster_id,
                        m.stable_key,
                        m.document_id,
                        m.start,
                        m.end,
                        m.language,
                    )
                    for m in rows
                ],
            )
            conn.execute(
                "INSERT INTO cluster_state (id, run_id, last_seq) VALUES (1, ?, ?)"
                " ON CONFLICT(id) DO UPDATE SET run_id = excluded.run_id,"
                " last_seq = excluded.last_seq",
                (run_id, last_seq),
            )

    def cluster_members(
        self,
        *,
        events: Iterable[str] | None = None,
        clusters: Iterable[str] | None = None,
        keys: Iterable[str] | None = None,
    ) -> list[ClusterMember]:
        """Rows of the cluster index: every member of the clusters of these events, of
        these clusters, or of the clusters holding these stable keys (all rows with none)."""
        sql = (
            'SELECT event_id, cluster_id, stable_key, document_id, start, "end", language'
            " FROM cluster_index"
        )
        args: list[str] = []
        for column, wanted in (
            ("event_id", events),
            ("cluster_id", clusters),
            ("stable_key", keys),
        ):
            if wanted is None:
                continue
            args = sorted(set(wanted))
            if not args:
                return []
            marks = ",".join("?" * len(args))
            sql += (
                f" WHERE cluster_id IN (SELECT cluster_id FROM cluster_index"
                f" WHERE {column} IN ({marks}))"
            )
            break
        rows = self._conn.execute(sql + " ORDER BY cluster_id, document_id, start, event_id", args)
        return [ClusterMember(*r) for r in rows.fetchall()]

    # -- the queue index ----------------------------------------------------------------
    def queue_state(self) -> tuple[str, int, list[int]] | None:
        """(run id, last decision seq, orphaned decision seqs) the index was built for."""
        row = self._conn.execute("SELECT * FROM queue_state WHERE id = 1").fetchone()
        if row is None:
            return None
        return row["run_id"], int(row["last_seq"]), list(json.loads(row["orphaned"]))

    def last_seq(self) -> int:
        row = self._conn.execute("SELECT MAX(seq) FROM decisions").fetchone()
        return int(row[0] or 0)

    def write_queue(
        self,
        rows: list[QueueRow],
        *,
        run_id: str,
        last_seq: int,
        orphaned: list[int] | None = None,
        remove: Iterable[str] = (),
        replace_all: bool = False,
    ) -> None:
        """Write index rows (all of them, or an update of some), in one transaction."""
        with self.transaction() as conn:
            if replace_all:
                for table in _QUEUE_TABLES:
                    conn.execute(f"DELETE FROM {table}")
            if not replace_all:
                self._drop_queue_rows(conn, {*remove, *(r.record_id for r in rows)})
            conn.executemany(
                "INSERT INTO queue (record_id, type, status, status_rank, name, languages,"
                " sources, date_sort, date_earliest, date_latest)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.record_id,
                        r.type,
                        r.status,
                        r.status_rank,
                        r.name,
                        "," + ",".join(r.languages) + ",",
                        r.sources,
                        r.date_sort,
                        r.date_earliest,
                        r.date_latest,
                    )
                    for r in rows
                ],
            )
            numbers = self._queue_rowids(conn, None if replace_all else [r.record_id for r in rows])
            conn.executemany(
                "INSERT INTO queue_text (rowid, text) VALUES (?, ?)",
                [(numbers[r.record_id], r.text) for r in rows],
            )
            conn.executemany(
                "INSERT INTO queue_words (rowid, text) VALUES (?, ?)",
                [(numbers[r.record_id], conn.words_text(r.text)) for r in rows],
            )
            conn.executemany(
                "INSERT INTO queue_lang (language, row) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(code, numbers[r.record_id]) for r in rows for code in dict.fromkeys(r.languages)],
            )
            previous = conn.execute(
                "SELECT orphaned, languages FROM queue_state WHERE id = 1"
            ).fetchone()
            kept = (
                orphaned if orphaned is not None else json.loads(previous[0] if previous else "[]")
            )
            if replace_all or previous is None:
                languages = [
                    r[0]
                    for r in conn.execute("SELECT DISTINCT language FROM queue_lang ORDER BY 1")
                ]
            else:  # an update adds languages, it never reads the whole table again
                new = {code for r in rows for code in r.languages}
                languages = sorted(set(json.loads(previous[1])) | new)
            conn.execute(
                "INSERT INTO queue_state (id, run_id, last_seq, orphaned, languages)"
                " VALUES (1, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET run_id = excluded.run_id,"
                " last_seq = excluded.last_seq, orphaned = excluded.orphaned,"
                " languages = excluded.languages",
                (run_id, last_seq, _canonical_json(kept), _canonical_json(languages)),
            )
        if replace_all:  # every row is new: the planner's statistics are stale
            self._conn.refresh_statistics(_QUEUE_TABLES)

    @staticmethod
    def _drop_queue_rows(conn: Database, record_ids: Iterable[str]) -> None:
        """Remove these records' rows from the queue and its search tables."""
        for rid in record_ids:
            found = conn.execute("SELECT rowid FROM queue WHERE record_id = ?", (rid,)).fetchone()
            if found is None:
                continue
            for table in ("queue_text", "queue_words"):
                conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (found[0],))
            conn.execute("DELETE FROM queue_lang WHERE row = ?", (found[0],))
            conn.execute("DELETE FROM queue WHERE rowid = ?", (found[0],))

    @staticmethod
    def _queue_rowids(conn: Database, record_ids: list[str] | None) -> dict[str, int]:
        """The queue's row numbers of these records (of all, with None), by record id."""
        if record_ids is None:
            return {r[0]: int(r[1]) for r in conn.execute("SELECT record_id, rowid FROM queue")}
        found: dict[str, int] = {}
        for start in range(0, len(record_ids), _CHUNK):
            chunk = record_ids[start : start + _CHUNK]
            rows = conn.execute(
                f"SELECT record_id, rowid FROM queue WHERE record_id IN ({_marks(chunk)})", chunk
            )
            found.update({r[0]: int(r[1]) for r in rows})
        return found

    def queue_page(self, query: QueueQuery, *, limit: int, offset: int) -> tuple[list[str], int]:
        """One page of record ids in queue order, and how many match in all.

        Order: changed, pending, accepted, rejected; then type, date (undated first),
        id — a total order, so pages never overlap or skip.
        """
        source, args = _queue_where(self._conn, query)
        built = self._conn.execute("SELECT run_id, last_seq FROM queue_state WHERE id = 1")
        key = (self.location, tuple(built.fetchone() or ()), query)
        total = _COUNTS.get(key)
        if total is None:
            total = int(self._conn.execute(f"SELECT COUNT(*) FROM {source}", args).fetchone()[0])
            _COUNTS[key] = total
            while len(_COUNTS) > COUNT_CACHE:
                _COUNTS.popitem(last=False)
        else:
            _COUNTS.move_to_end(key)
        rows = self._conn.execute(
            f"SELECT q.record_id FROM {source} ORDER BY q.status_rank, q.type,"
            " q.date_sort NULLS FIRST, q.record_id LIMIT ? OFFSET ?",  # undated first
            [*args, limit, offset],
        ).fetchall()
        return [r[0] for r in rows], total

    def queue_names(
        self, rtype: str | None = None, ids: Iterable[str] | None = None
    ) -> dict[str, str]:
        """Display names of the indexed records (of one type, or with these ids), by id."""
        where: list[str] = []
        args: list[object] = []
        if rtype is not None:
            where.append("type = ?")
            args.append(rtype)
        if ids is not None:
            wanted = sorted(set(ids))
            if not wanted:
                return {}
            where.append(f"record_id IN ({_marks(wanted)})")
            args.extend(wanted)
        sql = "SELECT record_id, name FROM queue" + (
            " WHERE " + " AND ".join(where) if where else ""
        )
        rows = self._conn.execute(sql + " ORDER BY record_id", args).fetchall()
        return {r[0]: r[1] for r in rows}

    def queue_languages(self) -> list[str]:
        """Languages of the indexed records (for the filter list)."""
        row = self._conn.execute("SELECT languages FROM queue_state WHERE id = 1").fetchone()
        return list(json.loads(row[0])) if row else []

    @staticmethod
    def _decision(row: Row) -> Decision:
        return Decision(
            seq=row["seq"],
            record_id=row["record_id"],
            action=row["action"],
            payload=json.loads(row["payload"]),
            reviewer=row["reviewer"],
            at=row["at"],
            evidence_hash=row["evidence_hash"],
            note=row["note"],
            base_version=row["base_version"],
        )

    def decisions(self, record_id: str | None = None) -> list[Decision]:
        """The decision log in order; with ``record_id`` only those concerning it."""
        if record_id is None:
            rows = self._conn.execute("SELECT * FROM decisions ORDER BY seq").fetchall()
            return [self._decision(r) for r in rows]
        rows = self._conn.execute(
            "SELECT * FROM decisions WHERE record_id = ? OR action = 'merge' ORDER BY seq",
            (record_id,),
        ).fetchall()
        return [d for d in map(self._decision, rows) if record_id in d.subjects()]

    def version(self, record_id: str) -> int:
        """The record's version: how many decisions concern it so far."""
        return len(self.decisions(record_id))

    # -- writes -------------------------------------------------------------------------
    def _checked_insert(
        self,
        conn: Database,
        record_id: str,
        action: str,
        payload: dict[str, Any],
        *,
        reviewer: str,
        note: str,
        evidence_hash: str,
        base_version: int,
    ) -> Decision:
        """Inside a write transaction: refuse a stale ``base_version``, else append."""
        if action not in ACTIONS:
            raise ReviewError(f"{record_id}: unknown action {action!r} (one of {ACTIONS})")
        rows = conn.execute(
            "SELECT * FROM decisions WHERE record_id = ? OR action = 'merge'", (record_id,)
        ).fetchall()
        current = sum(1 for row in rows if record_id in self._decision(row).subjects())
        if base_version != current:
            raise ConflictError(
                f"{record_id}: changed since you loaded it (version {current}, you saw"
                f" {base_version}); reload to see the other decision"
            )
        row = conn.execute(
            "INSERT INTO decisions (record_id, action, payload, reviewer, at,"
            " evidence_hash, note, base_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (
                record_id,
                action,
                _canonical_json(payload),
                reviewer,
                _utcnow(),
                evidence_hash,
                note,
                base_version,
            ),
        ).fetchone()
        return self._decision(row)

    def append_decision(
        self,
        record_id: str,
        action: str,
        payload: dict[str, Any],
        *,
        reviewer: str,
        note: str,
        evidence_hash: str,
        base_version: int,
    ) -> Decision:
        """Append one decision; ConflictError when ``base_version`` is stale.

        The version check and the insert happen in the same write transaction (which
        holds the store's write lock), so two reviewers cannot both win.
        """
        with self.transaction() as conn:
            decision = self._checked_insert(
                conn,
                record_id,
                action,
                payload,
                reviewer=reviewer,
                note=note,
                evidence_hash=evidence_hash,
                base_version=base_version,
            )
        log.info("decision %s: %s %s by %s", decision.seq, action, record_id, reviewer)
        return decision

    def append_decisions(self, entries: list[dict[str, Any]], *, reviewer: str) -> list[Decision]:
        """Append several decisions in one transaction (a bulk action): all or none.

        Each entry has ``record_id``, ``action``, ``payload``, ``note``, ``evidence_hash``
        and ``base_version``; a stale version of any record refuses the whole batch.
        """
        with self.transaction() as conn:
            decisions = [
                self._checked_insert(
                    conn,
                    str(e["record_id"]),
                    str(e["action"]),
                    e.get("payload") or {},
                    reviewer=reviewer,
                    note=e.get("note", ""),
                    evidence_hash=e["evidence_hash"],
                    base_version=int(e["base_version"]),
                )
                for e in entries
            ]
        seqs = [d.seq for d in decisions]
        log.info("%s decisions #%s-#%s by %s", len(seqs), seqs[:1], seqs[-1:], reviewer)
        return decisions
