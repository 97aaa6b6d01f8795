"""Users of the review desk: argon2 hashes in the store, roles, and the `users` commands."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from pipeline.errors import UserError
from pipeline.review import open_store
from pipeline.review.users import (
    add_user,
    authenticate,
    close_session,
    get_user,
    list_users,
    open_session,
    remove_user,
    session_user,
)

PASSWORD = "correct horse battery"
runner = CliRunner()


@pytest.fixture()
def out_dir(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    return out


def test_password_is_stored_as_an_argon2_hash_and_checked(out_dir: Path) -> None:
    with open_store(out_dir) as store:
        add_user(store, "anna", "reviewer", PASSWORD)
        user = get_user(store, "anna")
        assert user is not None and user.role == "reviewer" and user.can_decide
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash and PASSWORD not in repr(user)
        assert authenticate(store, "anna", PASSWORD) == user
        assert authenticate(store, "anna", PASSWORD + "x") is None
        assert authenticate(store, "anna", PASSWORD.upper()) is None
        assert authenticate(store, "nobody", PASSWORD) is None
        assert authenticate(store, "../etc", PASSWORD) is None
    raw = (out_dir / "review.sqlite").read_bytes()
    assert PASSWORD.encode() not in raw


def test_roles_names_and_passwords_are_checked(out_dir: Path) -> None:
    with open_store(out_dir) as store:
        with pytest.raises(UserError, match="role 'admin'"):
            add_user(store, "anna", "admin", PASSWORD)
        with pytest.raises(UserError, match="at least 10"):
            add_user(store, "anna", "viewer", "short")
        for bad in ("", " anna", "an na", "a/b", "_x", "x" * 65, "<script>"):
            with pytest.raises(UserError, match="user names"):
                add_user(store, bad, "viewer", PASSWORD)
        add_user(store, "Анна.К", "viewer", PASSWORD)  # letters of any script
        viewer = get_user(store, "Анна.К")
        assert viewer is not None and viewer.role == "viewer" and not viewer.can_decide
        assert [u.name for u in list_users(store)] == ["Анна.К"]


def test_add_again_needs_replace_and_ends_old_sessions(out_dir: Path) -> None:
    with open_store(out_dir) as store:
        first = add_user(store, "anna", "viewer", PASSWORD)
        login = open_session(store, first, hours=1)
        assert session_user(store, login) == first
        with pytest.raises(UserError, match="exists already"):
            add_user(store, "anna", "reviewer", "another password")
        assert session_user(store, login) == first
        add_user(store, "anna", "reviewer", "another password", replace=True)
        assert session_user(store, login) is None  # a new password ends every login
        assert authenticate(store, "anna", PASSWORD) is None
        found = authenticate(store, "anna", "another password")
        assert found is not None and found.role == "reviewer"
        again = open_session(store, found, hours=1)
        remove_user(store, "anna")
        assert get_user(store, "anna") is None and session_user(store, again) is None
        with pytest.raises(UserError, match="no such user"):
            remove_user(store, "anna")


def test_sessions_end_on_logout_and_expiry_and_keep_only_a_digest(out_dir: Path) -> None:
    with open_store(out_dir) as store:
        anna = add_user(store, "anna", "reviewer", PASSWORD)
        kept = open_session(store, anna, hours=1)
        closed = open_session(store, anna, hours=1)
        expired = open_session(store, anna, hours=1e-9)
        assert kept != closed and len(kept) >= 40
        close_session(store, closed)
        assert session_user(store, kept) == anna
        assert session_user(store, closed) is None
        assert session_user(store, expired) is None
        assert session_user(store, "made-up") is None
        open_session(store, anna, hours=1)  # sweeps the expired one
        stored = {r["id"] for r in store.query("SELECT id FROM sessions")}
        assert len(stored) == 2 and kept not in stored and closed not in stored


def test_users_table_is_in_the_schema_with_a_role_check(out_dir: Path) -> None:
    open_store(out_dir).close()
    conn = sqlite3.connect(out_dir / "review.sqlite")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO users (name, role, password_hash, created) VALUES ('x', 'root', 'h', 't')"
        )
    conn.close()


def test_users_commands_read_the_password_from_stdin_never_argv(out_dir: Path) -> None:
    opts = ["--out-dir", str(out_dir)]
    result = runner.invoke(
        app, ["users", "add", "anna", "--role", "reviewer", *opts], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["users", "add", "boris", "--role", "viewer", *opts], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["users", "list", *opts])
    rows = [line.split("\t")[:2] for line in listed.stdout.splitlines()]
    assert rows == [["anna", "reviewer"], ["boris", "viewer"]]
    assert PASSWORD not in listed.output
    with open_store(out_dir) as store:
        assert authenticate(store, "boris", PASSWORD) is not None
    # no password option exists at all
    result = runner.invoke(app, ["users", "add", "c", "--role", "viewer", "--password", "x"])
    assert result.exit_code != 0
    # errors are one line
    result = runner.invoke(app, ["users", "add", "anna", "--role", "viewer", *opts], input="pw\n")
    assert result.exit_code == 1 and result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    result = runner.invoke(app, ["users", "add", "dora", "--role", "viewer", *opts], input="")
    assert result.exit_code == 1 and "no password on stdin" in result.stderr
    assert runner.invoke(app, ["users", "remove", "boris", *opts]).exit_code == 0
    result = runner.invoke(app, ["users", "remove", "boris", *opts])
    assert result.exit_code == 1 and "no such user" in result.stderr


def test_store_with_password_hashes_is_private_whatever_the_umask(out_dir: Path) -> None:
    import os
    import stat

    old = os.umask(0o022)
    try:
        with open_store(out_dir) as store:
            db = out_dir / "review.sqlite"
            assert stat.S_IMODE(db.stat().st_mode) == 0o644
            add_user(store, "anna", "reviewer", PASSWORD)
            files = [db, *out_dir.glob("review.sqlite-*")]
            assert len(files) == 3  # the WAL and its index too
            for file in files:
                assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    finally:
        os.umask(old)
