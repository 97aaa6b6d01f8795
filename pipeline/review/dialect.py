"""The review store's one dialect layer: embedded SQLite (the default) or PostgreSQL.

The store (:mod:`pipeline.review.store`) writes every query once, in the SQL both
engines share: ``?`` placeholders, ``INSERT … ON CONFLICT … DO UPDATE/NOTHING``,
``RETURNING``, ``NULLS FIRST``. A :class:`Database` runs it on one connection and
supplies what the engines do differently:

- **placeholders**: psycopg takes ``%s``; ``?`` is rewritten (and a literal ``%``
  doubled) once per statement text;
- **DDL**: the shared schema is written in SQLite's types; on PostgreSQL every
  ``TEXT`` is ``TEXT COLLATE "C"`` (byte order, as SQLite sorts, whatever the
  database's locale), ``INTEGER`` is ``BIGINT`` and the autoincrement key an
  identity column; :data:`ROWID_MARK` (a comment to SQLite) gives a table the
  explicit ``rowid`` column that SQLite has implicitly;
- **write transactions**: SQLite's ``BEGIN IMMEDIATE`` takes the write lock; on
  PostgreSQL a transaction-scoped advisory lock does the same, so a version check
  and the insert after it are never interleaved with another writer;
- **the append-only decision log**: SQLite triggers ``RAISE(ABORT)``; PostgreSQL row
  triggers on UPDATE and DELETE and a statement trigger on TRUNCATE raise;
- **search**: FTS5 (trigram and word tables) on SQLite; plain tables with GIN
  trigram indexes (``pg_trgm``) queried with ``LIKE`` on PostgreSQL — the same
  substring and word-prefix semantics over the same folded text;
- **errors**: a refused statement (constraint, trigger) is a
  :class:`~pipeline.errors.StoreIntegrityError`, an unreachable server a
  :class:`~pipeline.errors.StoreError`, whichever the engine.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from pipeline.errors import StoreError, StoreIntegrityError

ROWID_MARK = "/* rowid */"
"""In a shared CREATE TABLE: where PostgreSQL adds the ``rowid`` SQLite has implicitly."""
URL_SCHEMES = ("postgresql", "postgres")
"""What a store URL starts with (``postgresql://user@host:port/dbname``)."""


class Row(Protocol):
    """A result row: by column name or by position (``sqlite3.Row`` and :class:`PgRow`)."""

    def __getitem__(self, key: int | str) -> Any: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


def is_url(target: Path | str) -> bool:
    """Whether ``target`` names a PostgreSQL server rather than a SQLite file."""
    return isinstance(target, str) and urlsplit(target).scheme in URL_SCHEMES


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def like_pattern(term: str) -> str:
    """A LIKE pattern (escape ``\\``) that matches ``term`` anywhere."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Database(ABC):
    """One connection to the store's database, and what its engine does its own way."""

    kind: str
    location: str
    """The file or the URL (password hidden), for messages."""

    # -- running SQL ---------------------------------------------------------------
    @abstractmethod
    def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor: ...

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Database]:
        """One write transaction, committed on success, rolled back on any error; one
        writer at a time."""

    @abstractmethod
    def close(self) -> None: ...

    # -- schema ----------------------------------------------------------------------
    append_only_ddl: str
    """Triggers that refuse any change to the decision log."""

    @abstractmethod
    def create(self, shared_ddl: str, extra_ddl: str) -> None:
        """Create what is missing: the shared tables (SQLite types, see :meth:`ddl`), then
        this engine's own statements (search tables, triggers)."""

    @abstractmethod
    def ddl(self, template: str) -> str:
        """The shared schema, written in SQLite's types, in this engine's."""

    @abstractmethod
    def user_version(self) -> int: ...

    @abstractmethod
    def size_bytes(self) -> int: ...

    @abstractmethod
    def refresh_statistics(self, tables: Sequence[str]) -> None:
        """After rewriting ``tables`` whole (outside a transaction): what the engine needs
        to plan queries over them well again."""

    @abstractmethod
    def set_user_version(self, version: int) -> None: ...

    # -- search ----------------------------------------------------------------------
    search_ddl: str
    """The queue's search tables: ``queue_text``, ``queue_words``, ``queue_lang``."""

    @abstractmethod
    def words_text(self, text: str) -> str:
        """``text`` as stored in the word table (``queue_words``)."""

    @abstractmethod
    def substring_rows(self, terms: Sequence[str]) -> tuple[str, list[Any]]:
        """A query (``SELECT rowid AS r …``) of the queue rows whose text contains every
        term (of three characters or more), and its arguments."""

    @abstractmethod
    def word_rows(self, terms: Sequence[str]) -> tuple[str, list[Any]]:
        """A query of the queue rows with, for every (short) term, a word that starts with
        it or, for wide-script characters, the run of those characters as words."""


# -- SQLite ------------------------------------------------------------------------------

_SQLITE_SEARCH = """
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
"""

_SQLITE_APPEND_ONLY = """
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
"""


def sqlite_words_text(text: str) -> str:
    """``text`` for the FTS5 word table: every wide-script character a word of its own."""
    return "".join(f" {c} " if _is_wide(c) else c for c in text)


def _fts_word_query(term: str) -> str:
    if any(_is_wide(c) for c in term):
        return '"' + " ".join(sqlite_words_text(term).split()).replace('"', '""') + '"'
    return '"' + term.replace('"', '""') + '"*'


class SqliteDatabase(Database):
    """The embedded store: one file, WAL mode, foreign keys on."""

    kind = "sqlite"
    search_ddl = _SQLITE_SEARCH
    append_only_ddl = _SQLITE_APPEND_ONLY

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE … COMMIT)
        self.raw = sqlite3.connect(str(path), isolation_level=None, timeout=10.0)
        self.raw.row_factory = sqlite3.Row
        self.raw.execute("PRAGMA journal_mode=WAL")
        self.raw.execute("PRAGMA foreign_keys=ON")
        self.raw.execute("PRAGMA synchronous=NORMAL")

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        try:
            return self.raw.execute(sql, args)
        except sqlite3.IntegrityError as exc:
            raise StoreIntegrityError(f"{self.location}: {exc}") from exc

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self.raw.executemany(sql, rows)
        except sqlite3.IntegrityError as exc:
            raise StoreIntegrityError(f"{self.location}: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[SqliteDatabase]:
        self.raw.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")

    def close(self) -> None:
        self.raw.close()

    def create(self, shared_ddl: str, extra_ddl: str) -> None:
        # executescript commits as it goes; every statement is IF NOT EXISTS
        self.raw.executescript(self.ddl(shared_ddl) + extra_ddl)

    def ddl(self, template: str) -> str:
        return template

    def user_version(self) -> int:
        return int(self.raw.execute("PRAGMA user_version").fetchone()[0])

    def refresh_statistics(self, tables: Sequence[str]) -> None:
        pass  # SQLite plans these queries from the indexes alone

    def size_bytes(self) -> int:
        pages = self.raw.execute("PRAGMA page_count").fetchone()[0]
        return int(pages) * int(self.raw.execute("PRAGMA page_size").fetchone()[0])

    def set_user_version(self, version: int) -> None:
        self.raw.execute(f"PRAGMA user_version = {int(version)}")

    def words_text(self, text: str) -> str:
        return sqlite_words_text(text)

    def substring_rows(self, terms: Sequence[str]) -> tuple[str, list[Any]]:
        query = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
        return "SELECT rowid AS r FROM queue_text WHERE queue_text MATCH ?", [query]

    def word_rows(self, terms: Sequence[str]) -> tuple[str, list[Any]]:
        query = " AND ".join(_fts_word_query(t) for t in terms)
        return "SELECT rowid AS r FROM queue_words WHERE queue_words MATCH ?", [query]


# -- PostgreSQL --------------------------------------------------------------------------

_PG_SEARCH = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- the queue's order (PostgreSQL sorts NULL last unless told): pages read off this index
CREATE INDEX IF NOT EXISTS queue_page_order
    ON queue(status_rank, type, date_sort NULLS FIRST, record_id);
CREATE TABLE IF NOT EXISTS queue_text (
    rowid BIGINT PRIMARY KEY,
    text TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_text_trgm ON queue_text USING gin (text gin_trgm_ops);
CREATE TABLE IF NOT EXISTS queue_words (
    rowid BIGINT PRIMARY KEY,
    text TEXT COLLATE "C" NOT NULL
);
CREATE INDEX IF NOT EXISTS queue_words_trgm ON queue_words USING gin (text gin_trgm_ops);
CREATE TABLE IF NOT EXISTS queue_lang (
    language TEXT COLLATE "C" NOT NULL,
    row BIGINT NOT NULL,
    PRIMARY KEY (language, row)
);
"""

_PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION osintdesk_decisions_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'decisions are append-only' USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE OR REPLACE TRIGGER decisions_no_change BEFORE UPDATE OR DELETE ON decisions
FOR EACH ROW EXECUTE FUNCTION osintdesk_decisions_append_only();
CREATE OR REPLACE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
FOR EACH STATEMENT EXECUTE FUNCTION osintdesk_decisions_append_only();
"""

_PG_META = """
CREATE TABLE IF NOT EXISTS store_meta (
    key TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);
"""

_WRITE_LOCK = 0x6F73696E74  # the store's one advisory lock key ("osint"): one writer at a time

_AUTOINCREMENT = re.compile(r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b")
_INTEGER = re.compile(r"\bINTEGER\b")
_TEXT = re.compile(r"\bTEXT\b")
_WORD_BREAK = re.compile(r"[\W_]+")


def pg_words_text(text: str) -> str:
    """``text`` for the PostgreSQL word table: its words as FTS5's ``unicode61`` sees them
    (runs of letters and digits; every wide-script character a word of its own), one
    space apart, with a space before the first and after the last."""
    words = _WORD_BREAK.sub(" ", sqlite_words_text(text)).split()
    return f" {' '.join(words)} " if words else " "


@lru_cache(maxsize=512)
def _pg_sql(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgRow:
    """A PostgreSQL result row with sqlite3.Row's access: by name, by position, ``keys()``."""

    __slots__ = ("_names", "_values")

    def __init__(self, values: Sequence[Any], names: dict[str, int]) -> None:
        self._values = tuple(values)
        self._names = names

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            return self._values[self._names[key]]
        return self._values[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        return list(self._names)


def _pg_row_factory(cursor: Any) -> Any:
    names = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: PgRow(values, names)


class PostgresDatabase(Database):
    """A shared store on a PostgreSQL server (``postgresql://user@host:port/dbname``)."""

    kind = "postgresql"
    search_ddl = _PG_SEARCH
    append_only_ddl = _PG_APPEND_ONLY

    def __init__(self, url: str) -> None:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        self._psycopg = psycopg
        self.location = redacted(url)
        try:
            given = conninfo_to_dict(url)
            # what the URL does not say: a bounded wait for an unreachable server, and a
            # name the server's administrator sees in pg_stat_activity
            defaults = {"connect_timeout": "10", "application_name": "osintdesk"}
            extra = {k: v for k, v in defaults.items() if k not in given}
            conninfo = make_conninfo(url, **extra)
            self.raw = psycopg.connect(conninfo, autocommit=True, row_factory=_pg_row_factory)
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise StoreError(f"{self.location}: cannot open the review store: {reason}") from exc

    def _refused(self, exc: Exception) -> StoreError:
        reason = " ".join(str(exc).split())
        if isinstance(exc, self._psycopg.IntegrityError):
            return StoreIntegrityError(f"{self.location}: {reason}")
        return StoreError(f"{self.location}: {reason}")

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        try:
            cursor: Cursor = self.raw.execute(_pg_sql(sql), tuple(args))
        except (self._psycopg.IntegrityError, self._psycopg.OperationalError) as exc:
            raise self._refused(exc) from exc
        return cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [tuple(r) for r in rows]
        if not rows:
            return
        try:
            with self.raw.cursor() as cursor:
                cursor.executemany(_pg_sql(sql), rows)
        except (self._psycopg.IntegrityError, self._psycopg.OperationalError) as exc:
            raise self._refused(exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[PostgresDatabase]:
        # psycopg's transaction block: COMMIT on success, ROLLBACK on any error
        with self.raw.transaction():
            self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            yield self

    def close(self) -> None:
        self.raw.close()

    def create(self, shared_ddl: str, extra_ddl: str) -> None:
        # DDL is transactional on PostgreSQL: several machines opening a new store at
        # once take turns, and each finds either nothing or everything
        with self.transaction():
            self.raw.execute(_PG_META + self.ddl(shared_ddl) + extra_ddl)

    def ddl(self, template: str) -> str:
        text = _AUTOINCREMENT.sub("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", template)
        text = _INTEGER.sub("BIGINT", text)
        text = _TEXT.sub('TEXT COLLATE "C"', text)
        return text.replace(ROWID_MARK, "rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,")

    def meta(self, key: str) -> str | None:
        """A value of the store's ``store_meta`` table (None in a new database)."""
        if self.execute("SELECT to_regclass('store_meta')").fetchone()[0] is None:
            return None
        row = self.execute("SELECT value FROM store_meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.execute(
            "INSERT INTO store_meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def user_version(self) -> int:
        return int(self.meta("schema") or 0)

    def refresh_statistics(self, tables: Sequence[str]) -> None:
        # fresh statistics for the planner, and the visibility map that lets the queue's
        # pages be read from its indexes alone (index-only scans)
        self.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")

    def size_bytes(self) -> int:
        row = self.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0])

    def set_user_version(self, version: int) -> None:
        self.set_meta("schema", str(int(version)))

    def words_text(self, text: str) -> str:
        return pg_words_text(text)

    def substring_rows(self, terms: Sequence[str]) -> tuple[str, list[Any]]:
        where = " AND ".join("text LIKE ? ESCAPE '\\'" for _ in terms)
        return f"SELECT rowid AS r FROM queue_text WHERE {where}", [like_pattern(t) for t in terms]

    def word_rows(self, terms: Sequence[str]) -> tuple[str, list[Any]]:
        patterns: list[str] = []
        for term in terms:
            words = pg_words_text(term).split()
            if not words:  # punctuation only: FTS5's empty phrase matches nothing
                return "SELECT rowid AS r FROM queue_words WHERE 1 = 0", []
            phrase = " ".join(words)
            wide = any(_is_wide(c) for c in term)
            patterns.append(like_pattern(f" {phrase} ") if wide else like_pattern(f" {phrase}"))
        where = " AND ".join("text LIKE ? ESCAPE '\\'" for _ in patterns)
        return f"SELECT rowid AS r FROM queue_words WHERE {where}", patterns


def connect(target: Path | str) -> Database:
    """The store's database: a PostgreSQL URL, else a SQLite file path."""
    if is_url(target):
        return PostgresDatabase(str(target))
    return SqliteDatabase(Path(target))
