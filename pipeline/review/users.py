"""The desk's users: names, roles and argon2 password hashes in the store's ``users`` table.

A password is never stored or logged, only its argon2id hash (argon2-cffi's
``PasswordHasher`` with its default, RFC 9106 low-memory parameters). Checking a
name that does not exist costs one hash check too, so timing does not tell which
names exist. A hash made with weaker parameters than today's is replaced on the
next good login.

A login of the web desk is a row of ``sessions``: the cookie holds a random id,
the store its SHA-256, the user and when it expires. Logging out deletes the row;
a new password or removing the user deletes all of theirs, so a copied cookie is
worth nothing after that.

Queries are plain SQL that any SQL database takes; the tables themselves are part
of the store's schema (:mod:`pipeline.review.store`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
import sqlite3
import stat
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from pipeline.errors import UserError
from pipeline.review.store import ROLES, Role

if TYPE_CHECKING:
    from pipeline.review.store import Store

log = logging.getLogger(__name__)

MIN_PASSWORD = 10
"""Shortest password accepted (characters)."""
MAX_PASSWORD = 1024
"""Longest password accepted: argon2 takes any length, a login form need not."""
_NAME = re.compile(r"[^\W_][\w.@-]{0,63}")
_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash of a password nobody has: checked against when the name is unknown."""
    return _HASHER.hash("osintdesk: no such user")


@dataclass(frozen=True)
class User:
    """One user of the desk. ``password_hash`` stays out of ``repr``."""

    name: str
    role: Role
    created: str
    password_hash: str = field(repr=False)

    @property
    def can_decide(self) -> bool:
        return self.role == "reviewer"


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a user name, or None."""
    if not _NAME.fullmatch(name):
        return "user names are 1-64 letters, digits and . _ @ -, starting with a letter or digit"
    return None


def password_problem(password: str) -> str | None:
    """Why ``password`` is refused, or None."""
    if len(password) < MIN_PASSWORD:
        return f"passwords need at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"passwords have at most {MAX_PASSWORD} characters"
    return None


def _role(value: str) -> Role:
    if value not in ROLES:
        raise UserError(f"role {value!r}: use one of {', '.join(ROLES)}")
    return cast(Role, value)


def _user(row: sqlite3.Row) -> User:
    return User(
        name=str(row["name"]),
        role=_role(str(row["role"])),
        created=str(row["created"]),
        password_hash=str(row["password_hash"]),
    )


def keep_private(store: Store) -> None:
    """The store holds password hashes: only its owner may read it (and its WAL files),
    whatever the umask gave it. A store that is no file (a database server) is left alone."""
    path = getattr(store, "path", None)
    if not isinstance(path, Path):
        return
    for file in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            file.chmod(mode & 0o700)
            log.info("%s: mode %o, as it holds password hashes", file, mode & 0o700)


def add_user(store: Store, name: str, role: str, password: str, *, replace: bool = False) -> User:
    """Add ``name`` with ``role`` and a hash of ``password``; with ``replace`` an existing
    user gets the new role and password (their open sessions end)."""
    problem = name_problem(name) or password_problem(password)
    if problem:
        raise UserError(f"user {name!r}: {problem}")
    user = User(
        name=name,
        role=_role(role),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        password_hash=_HASHER.hash(password),
    )
    with store.transaction() as conn:
        exists = conn.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone()
        if exists and not replace:
            raise UserError(f"user {name!r} exists already (add --replace to change it)")
        if exists:
            conn.execute(
                "UPDATE users SET role = ?, password_hash = ? WHERE name = ?",
                (user.role, user.password_hash, name),
            )
            conn.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
        else:
            conn.execute(
                "INSERT INTO users (name, role, password_hash, created) VALUES (?, ?, ?, ?)",
                (user.name, user.role, user.password_hash, user.created),
            )
    keep_private(store)
    log.info("user %s %s as %s", name, "changed" if exists else "added", user.role)
    return user


def remove_user(store: Store, name: str) -> None:
    """Remove ``name``; their open sessions end. Their decisions stay in the log."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
        gone = conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount
    if not gone:
        raise UserError(f"user {name!r}: no such user")
    log.info("user %s removed", name)


def list_users(store: Store) -> list[User]:
    return [_user(r) for r in store.query("SELECT * FROM users ORDER BY name")]


def get_user(store: Store, name: str) -> User | None:
    rows = store.query("SELECT * FROM users WHERE name = ?", (name,))
    return _user(rows[0]) if rows else None


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The user when ``password`` is theirs, else None (unknown name or wrong password)."""
    if len(password) > MAX_PASSWORD:
        return None
    user = get_user(store, name) if name_problem(name) is None else None
    try:
        _HASHER.verify(user.password_hash if user else _dummy_hash(), password)
    except VerifyMismatchError:
        return None
    except (VerificationError, InvalidHashError):
        log.warning("user %s: stored password hash is damaged; add the user again", name)
        return None
    if user is None:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        fresh = _HASHER.hash(password)
        with store.transaction() as conn:
            conn.execute(
                "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?",
                (fresh, name, user.password_hash),
            )
        user = User(user.name, user.role, user.created, fresh)
    return user


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    """UTC, one fixed width: stamps compare as strings in any database."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(store: Store, user: User, hours: float) -> str:
    """A new login of ``user`` lasting ``hours``: its id (for the cookie; the store keeps a
    digest). Logins that expired are swept at the same time."""
    session_id = secrets.token_urlsafe(32)
    now = _now()
    with store.transaction() as conn:
        conn.execute("DELETE FROM sessions WHERE expires <= ?", (_stamp(now),))
        conn.execute(
            "INSERT INTO sessions (id, user_name, created, expires) VALUES (?, ?, ?, ?)",
            (
                _digest(session_id),
                user.name,
                _stamp(now),
                _stamp(now + dt.timedelta(hours=hours)),
            ),
        )
    return session_id


def session_user(store: Store, session_id: str) -> User | None:
    """The user of an open, unexpired login, else None."""
    rows = store.query(
        "SELECT users.* FROM sessions JOIN users ON users.name = sessions.user_name"
        " WHERE sessions.id = ? AND sessions.expires > ?",
        (_digest(session_id), _stamp(_now())),
    )
    return _user(rows[0]) if rows else None


def close_session(store: Store, session_id: str) -> None:
    """Log out: the login ends here, whoever holds a copy of its cookie."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM sessions WHERE id = ?", (_digest(session_id),))
