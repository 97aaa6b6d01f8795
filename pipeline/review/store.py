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

Action = Literal["accept", "reject", "edit", "merge", "split", "alias"]
ACTIONS: tuple[str, ...] = ("accept", "reject", "edit", "merge", "split", "alias")

_RECORD_TYPES_CHECK = "CHECK (type IN ({}))".format(", ".join(f"'{t}'" for t in RECORD_FILES))
_RECORDS_TABLE = f"""
CREATE TABLE IF NOT EXISTS {{name}} (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL {_RECORD_TYPES_CHECK},
    json TEXT NOT NULL,
    evidence_hash TEXT NOT NULL,
    first_seen_run TEXT NOT NULL REFERENCES runs(id),
    last_seen_run TEXT NOT NULL REFERENCES runs(id)
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
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    action TEXT NOT NULL
        CHECK (action IN ('accept', 'reject', 'edit', 'merge', 'split', 'alias')),
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
        self._upgrade_record_types()
        self._conn.executescript(_SCHEMA)

    def _upgrade_record_types(self) -> None:
        """A store made before a record type existed (deals) takes it: SQLite cannot change
        a CHECK constraint, so the records table is rebuilt, rows and ids unchanged."""
        row = self._conn.execute(
            "SELECT sql FROM sqlite_master WHERE type='table' AND name='records'"
        ).fetchone()
        if row is None or _RECORD_TYPES_CHECK in row["sql"]:
            return
        log.info("%s: records table takes the record types %s", self.path, list(RECORD_FILES))
        # foreign keys off while the table is swapped: mentions must not cascade away
        self._conn.execute("PRAGMA foreign_keys=OFF")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                # SQLite's recipe: a new table, copied, the old dropped, the new renamed
                self._conn.execute(_RECORDS_TABLE.format(name="records_new"))
                self._conn.execute("INSERT INTO records_new SELECT * FROM records")
                self._conn.execute("DROP TABLE records")
                self._conn.execute("ALTER TABLE records_new RENAME TO records")
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        finally:
            self._conn.execute("PRAGMA foreign_keys=ON")

    # -- plumbing -----------------------------------------------------------------
    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
            for rtype, data in records:
                self._upsert_record(conn, rtype, data, run_id)
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
        conn: sqlite3.Connection, rtype: str, data: dict[str, Any], run_id: str
    ) -> None:
        rid = str(data["id"])
        conn.execute(
            "INSERT INTO records (id, type, json, evidence_hash, first_seen_run, last_seen_run)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET json=excluded.json,"
            " evidence_hash=excluded.evidence_hash, last_seen_run=excluded.last_seen_run",
            (rid, rtype, _canonical_json(data), evidence_hash(rtype, data), run_id, run_id),
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
