"""SQLite store for the review desk: runs, raw records, mentions and decisions.

The store keeps the *raw* extraction of every run (so decisions can be
re-applied idempotently) and an append-only log of review decisions. It uses
the standard library ``sqlite3`` in WAL mode with foreign keys on; every write
is one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``), so a process killed in
the middle of a write leaves the database as it was before that write.

Record ids come from the pipeline and are stable across runs; a record seen
again in a later run keeps its row and only its ``last_seen_run`` moves on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from pipeline.errors import ConflictError, ReviewError
from pipeline.review.layout import DOCUMENTS_DIR, RECORD_FILES, raw_file
from schemas.records import RECORD_MODELS

log = logging.getLogger(__name__)

Action = Literal["accept", "reject", "edit", "merge", "split", "alias", "undo"]
ACTIONS: tuple[str, ...] = ("accept", "reject", "edit", "merge", "split", "alias", "undo")
Role = Literal["reviewer", "viewer"]
ROLES: tuple[str, ...] = ("reviewer", "viewer")
"""Roles of the desk's users (:mod:`pipeline.review.users`): viewers read, reviewers decide."""
SCHEMA_VERSION = 2
"""``PRAGMA user_version`` of the current schema: 2 added ``undo``, stable keys, evidence
versions and the queue index (a store of version 0/1 is migrated on open)."""

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
-- one row per queue row, same rowid: trigrams for terms of three characters or more;
-- words (wide-script characters one word each) for shorter terms
CREATE VIRTUAL TABLE IF NOT EXISTS queue_text USING fts5(text, tokenize = 'trigram');
CREATE VIRTUAL TABLE IF NOT EXISTS queue_words USING fts5(
    text, tokenize = "unicode61 remove_diacritics 0"
);
CREATE TABLE IF NOT EXISTS queue_lang (
    language TEXT NOT NULL,
    row INTEGER NOT NULL,
    PRIMARY KEY (language, row)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    run_id TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    orphaned TEXT NOT NULL DEFAULT '[]',
    languages TEXT NOT NULL DEFAULT '[]'
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
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
"""


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


MIN_TRIGRAM = 3  # FTS5's trigram tokenizer matches substrings of at least three characters


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def words_text(text: str) -> str:
    """``text`` for the word index: every wide-script character a word of its own."""
    return "".join(f" {c} " if _is_wide(c) else c for c in text)


def _word_query(term: str) -> str:
    if any(_is_wide(c) for c in term):
        return '"' + " ".join(words_text(term).split()).replace('"', '""') + '"'
    return '"' + term.replace('"', '""') + '"*'


def _queue_where(query: QueueQuery) -> tuple[str, list[object]]:
    """The WHERE clause of a queue query and its arguments."""
    where: list[str] = []
    args: list[object] = []
    for column, value in (("status", query.status), ("type", query.type)):
        if value:
            where.append(f"q.{column} = ?")
            args.append(value)
    if query.language:
        where.append("q.rowid IN (SELECT row FROM queue_lang WHERE language = ?)")
        args.append(query.language)
    if query.source:
        where.append("q.sources LIKE ? ESCAPE '\\'")
        args.append(_like(query.source.lower()))
    if query.date_earliest:
        where.append("q.date_earliest >= ? AND q.date_latest <= ?")
        args.extend([query.date_earliest, query.date_latest])
    long_terms = [t for t in query.terms if len(t) >= MIN_TRIGRAM]
    if long_terms:
        where.append("q.rowid IN (SELECT rowid FROM queue_text WHERE queue_text MATCH ?)")
        args.append(" AND ".join('"' + t.replace('"', '""') + '"' for t in long_terms))
    short = [t for t in query.terms if len(t) < MIN_TRIGRAM]
    if short:
        # too short for trigrams: as a run of wide characters (a two-character Chinese
        # name, one word per character) or as the start of a word
        where.append("q.rowid IN (SELECT rowid FROM queue_words WHERE queue_words MATCH ?)")
        args.append(" AND ".join(_word_query(t) for t in short))
    return (" WHERE " + " AND ".join(where)) if where else "", args


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
    """The review database of one output dir (``OUT/review.sqlite``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE … COMMIT)
        self._conn = sqlite3.connect(str(path), isolation_level=None, timeout=10.0)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        upgraded = self._upgrade_record_types()
        self._conn.executescript(_SCHEMA)
        self._migrate()
        if upgraded:
            self._backfill_keys()

    def _migrate(self) -> None:
        """Bring a store of an older schema to :data:`SCHEMA_VERSION`, in one transaction.

        Version 2: ``undo`` joins the actions of the decision log (the table is copied
        row for row into one with the new CHECK; no decision changes), records get
        their stable key, the queue index is built on first use.
        """
        version = int(self._conn.execute("PRAGMA user_version").fetchone()[0])
        if version >= SCHEMA_VERSION:
            return
        row = self._conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'decisions'"
        ).fetchone()
        columns = {r["name"] for r in self._conn.execute("PRAGMA table_info(records)")}
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
        script += [_DECISIONS, f"PRAGMA user_version = {SCHEMA_VERSION};", "COMMIT;"]
        try:
            self._conn.executescript("\n".join(script))
        except sqlite3.Error:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        self._backfill_keys()
        log.info("%s: review store migrated to schema %s", self.path, SCHEMA_VERSION)

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

    def _upgrade_record_types(self) -> bool:
        """A store made before a record type existed (organisations, deals) takes it: SQLite
        cannot change a CHECK constraint, so the records table is rebuilt, rows and ids
        unchanged. True when it was rebuilt."""
        row = self._conn.execute(
            "SELECT sql FROM sqlite_master WHERE type='table' AND name='records'"
        ).fetchone()
        if row is None or _RECORD_TYPES_CHECK in row["sql"]:
            return False
        log.info("%s: records table takes the record types %s", self.path, list(RECORD_FILES))
        # foreign keys off while the table is swapped: mentions must not cascade away
        self._conn.execute("PRAGMA foreign_keys=OFF")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                # SQLite's recipe: a new table, copied, the old dropped, the new renamed
                self._conn.execute(_RECORDS_TABLE.format(name="records_new"))
                # by name: the old table may lack columns added since (stable_key)
                old = [r["name"] for r in self._conn.execute("PRAGMA table_info(records)")]
                new = {r["name"] for r in self._conn.execute("PRAGMA table_info(records_new)")}
                columns = ", ".join(f'"{c}"' for c in old if c in new)
                self._conn.execute(
                    f"INSERT INTO records_new ({columns}) SELECT {columns} FROM records"
                )
                self._conn.execute("DROP TABLE records")
                self._conn.execute("ALTER TABLE records_new RENAME TO records")
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        finally:
            self._conn.execute("PRAGMA foreign_keys=ON")
        return True

    # -- plumbing -----------------------------------------------------------------
    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, params: Iterable[object] = ()) -> list[sqlite3.Row]:
        """The rows of one read statement, for modules beside the store (users)."""
        return self._conn.execute(sql, tuple(params)).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed on success, rolled back on any error."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

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
            for doc in documents:
                self._upsert_document(conn, doc, run_id)
            locations = {
                r["id"]: r["location"] or r["id"]
                for r in conn.execute("SELECT id, location FROM documents")
            }
            keys = stable_keys(records, locations)
            for rtype, data in records:
                self._upsert_record(conn, rtype, data, run_id, keys[str(data["id"])])
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
    def _counts(conn: sqlite3.Connection, run_id: str, documents: int) -> dict[str, int]:
        counts = {"documents": documents}
        for rtype in RECORD_FILES:
            row = conn.execute(
                "SELECT COUNT(*) FROM records WHERE type = ? AND last_seen_run = ?",
                (rtype, run_id),
            ).fetchone()
            counts[rtype] = int(row[0])
        return counts

    @staticmethod
    def _upsert_document(conn: sqlite3.Connection, doc: dict[str, Any], run_id: str) -> None:
        source = doc["source"]
        conn.execute(
            "INSERT INTO documents (id, json, language, location, site, published,"
            " first_seen_run, last_seen_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET json=excluded.json,"
            " language=excluded.language, location=excluded.location,"
            " site=excluded.site, published=excluded.published,"
            " last_seen_run=excluded.last_seen_run",
            (
                doc["id"],
                _canonical_json(doc),
                doc["language"],
                source.get("final_url") or source["location"],
                doc.get("site"),
                doc.get("published"),
                run_id,
                run_id,
            ),
        )

    @staticmethod
    def _upsert_record(
        conn: sqlite3.Connection, rtype: str, data: dict[str, Any], run_id: str, key: str
    ) -> None:
        rid = str(data["id"])
        digest = evidence_hash(rtype, data)
        # the evidence a decision was made on stays readable after the record changes
        conn.execute(
            "INSERT OR IGNORE INTO record_versions (record_id, evidence_hash, json)"
            " SELECT id, evidence_hash, json FROM records WHERE id = ? AND evidence_hash != ?",
            (rid, digest),
        )
        conn.execute(
            "INSERT INTO records (id, type, json, evidence_hash, first_seen_run, last_seen_run,"
            " stable_key) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
            " json=excluded.json, evidence_hash=excluded.evidence_hash,"
            " last_seen_run=excluded.last_seen_run, stable_key=excluded.stable_key",
            (rid, rtype, _canonical_json(data), digest, run_id, run_id, key),
        )
        conn.execute("DELETE FROM mentions WHERE record_id = ?", (rid,))
        for m in data.get("mentions", []):
            conn.execute(
                'INSERT OR IGNORE INTO mentions (record_id, document_id, start, "end", text,'
                " language, quantity) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    rid,
                    m["document_id"],
                    m["start"],
                    m["end"],
                    m["text"],
                    m["language"],
                    m.get("quantity"),
                ),
            )

    # -- reads --------------------------------------------------------------------------
    @staticmethod
    def _record(row: sqlite3.Row) -> StoredRecord:
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

    def document_sources(self) -> dict[str, str]:
        """Site and location of every document, by id (what the source filter reads)."""
        rows = self._conn.execute("SELECT id, site, location FROM documents").fetchall()
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
                for table in ("queue", "queue_text", "queue_words", "queue_lang"):
                    conn.execute(f"DELETE FROM {table}")
            if not replace_all:
                for rid in {*remove, *(r.record_id for r in rows)}:
                    found = conn.execute(
                        "SELECT rowid FROM queue WHERE record_id = ?", (rid,)
                    ).fetchone()
                    if found is None:
                        continue
                    for table in ("queue_text", "queue_words"):
                        conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (found[0],))
                    conn.execute("DELETE FROM queue_lang WHERE row = ?", (found[0],))
                    conn.execute("DELETE FROM queue WHERE rowid = ?", (found[0],))
            for r in rows:
                cursor = conn.execute(
                    "INSERT INTO queue (record_id, type, status, status_rank, name, languages,"
                    " sources, date_sort, date_earliest, date_latest)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    ),
                )
                row = cursor.lastrowid
                conn.execute("INSERT INTO queue_text (rowid, text) VALUES (?, ?)", (row, r.text))
                conn.execute(
                    "INSERT INTO queue_words (rowid, text) VALUES (?, ?)", (row, words_text(r.text))
                )
                conn.executemany(
                    "INSERT OR IGNORE INTO queue_lang (language, row) VALUES (?, ?)",
                    [(code, row) for code in r.languages],
                )
            previous = conn.execute("SELECT orphaned FROM queue_state WHERE id = 1").fetchone()
            kept = (
                orphaned if orphaned is not None else json.loads(previous[0] if previous else "[]")
            )
            languages = [
                r[0] for r in conn.execute("SELECT DISTINCT language FROM queue_lang ORDER BY 1")
            ]
            conn.execute(
                "INSERT INTO queue_state (id, run_id, last_seq, orphaned, languages)"
                " VALUES (1, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET run_id = excluded.run_id,"
                " last_seq = excluded.last_seq, orphaned = excluded.orphaned,"
                " languages = excluded.languages",
                (run_id, last_seq, _canonical_json(kept), _canonical_json(languages)),
            )

    def queue_page(self, query: QueueQuery, *, limit: int, offset: int) -> tuple[list[str], int]:
        """One page of record ids in queue order, and how many match in all.

        Order: changed, pending, accepted, rejected; then type, date (undated first),
        id — a total order, so pages never overlap or skip.
        """
        where, args = _queue_where(query)
        total = int(
            self._conn.execute(f"SELECT COUNT(*) FROM queue AS q{where}", args).fetchone()[0]
        )
        rows = self._conn.execute(
            f"SELECT q.record_id FROM queue AS q{where} ORDER BY q.status_rank, q.type,"
            " q.date_sort, q.record_id LIMIT ? OFFSET ?",  # NULL (undated) sorts first
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
            where.append(f"record_id IN ({','.join('?' * len(wanted))})")
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
    def _decision(row: sqlite3.Row) -> Decision:
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

        The version check and the insert happen in the same IMMEDIATE
        transaction, so two reviewers cannot both win.
        """
        if action not in ACTIONS:
            raise ReviewError(f"{record_id}: unknown action {action!r} (one of {ACTIONS})")
        with self.transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM decisions WHERE record_id = ? OR action = 'merge'", (record_id,)
            ).fetchall()
            current = sum(1 for row in rows if record_id in self._decision(row).subjects())
            if base_version != current:
                raise ConflictError(
                    f"{record_id}: changed since you loaded it (version {current}, you saw"
                    f" {base_version}); reload to see the other decision"
                )
            cursor = conn.execute(
                "INSERT INTO decisions (record_id, action, payload, reviewer, at,"
                " evidence_hash, note, base_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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
            )
            seq = cursor.lastrowid
            row = conn.execute("SELECT * FROM decisions WHERE seq = ?", (seq,)).fetchone()
        decision = self._decision(row)
        log.info("decision %s: %s %s by %s", decision.seq, action, record_id, reviewer)
        return decision

    def append_decisions(self, entries: list[dict[str, Any]], *, reviewer: str) -> list[Decision]:
        """Append several decisions in one transaction (a bulk action): all or none.

        Each entry has ``record_id``, ``action``, ``payload``, ``note``, ``evidence_hash``
        and ``base_version``; a stale version of any record refuses the whole batch.
        """
        seqs: list[int] = []
        with self.transaction() as conn:
            for e in entries:
                rid = str(e["record_id"])
                if e["action"] not in ACTIONS:
                    raise ReviewError(f"{rid}: unknown action {e['action']!r}")
                rows = conn.execute(
                    "SELECT * FROM decisions WHERE record_id = ? OR action = 'merge'", (rid,)
                ).fetchall()
                current = sum(1 for row in rows if rid in self._decision(row).subjects())
                if int(e["base_version"]) != current:
                    raise ConflictError(
                        f"{rid}: changed since you loaded it (version {current}, you saw"
                        f" {e['base_version']}); reload to see the other decision"
                    )
                cursor = conn.execute(
                    "INSERT INTO decisions (record_id, action, payload, reviewer, at,"
                    " evidence_hash, note, base_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        rid,
                        e["action"],
                        _canonical_json(e.get("payload") or {}),
                        reviewer,
                        _utcnow(),
                        e["evidence_hash"],
                        e.get("note", ""),
                        int(e["base_version"]),
                    ),
                )
                seqs.append(int(cursor.lastrowid or 0))
        log.info("%s decisions #%s-#%s by %s", len(seqs), seqs[:1], seqs[-1:], reviewer)
        marks = ",".join("?" * len(seqs))
        rows = self._conn.execute(
            f"SELECT * FROM decisions WHERE seq IN ({marks}) ORDER BY seq", seqs
        ).fetchall()
        return [self._decision(r) for r in rows]
