"""The review store: ingest, stable ids across runs, append-only log, crash safety.

Every test that takes ``out`` runs twice: on the embedded SQLite file and on a
PostgreSQL database (``store_url`` in conftest.py).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fixtures.review.builder import build

from pipeline.errors import (
    ConfigError,
    ConflictError,
    ReviewError,
    StoreError,
    StoreIntegrityError,
)
from pipeline.review import Store, evidence_hash

REPO = Path(__file__).resolve().parents[1]


Out = tuple[Path, dict[str, str], "Path | str"]


@pytest.fixture()
def out(tmp_path: Path, store_url: str | None) -> Out:
    """(output dir, ids of the built records, where the store is: file or URL)."""
    out_dir = tmp_path / "out"
    return out_dir, build(out_dir), store_url or out_dir / "review.sqlite"


def test_ingest_loads_records_documents_and_mentions(out: Out) -> None:
    out_dir, ids, target = out
    with Store(target) as store:
        run = store.ingest_output(out_dir, "run-1")
        assert run.counts == {
            "documents": 3,
            "event": 6,
            "person": 3,
            "organisation": 0,
            "weapon": 2,
            "deal": 2,
        }
        assert {r.type for r in store.records()} == {"event", "person", "weapon", "deal"}
        assert store.document(ids["ar_doc"])["language"] == "ar"
        mentions = store.mentions_of("weapon:project-636-1")
        assert {m["language"] for m in mentions} == {"en", "ar"}
        assert store.record("person:nobody") is None
        if store.kind == "sqlite":
            mode = store._conn.execute("PRAGMA journal_mode").fetchone()[0]
            assert mode == "wal"
            assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        else:
            assert store.kind == "postgresql" and target == store.location


def test_same_output_gives_same_ids_and_keeps_first_seen(out: Out) -> None:
    out_dir, _, target = out
    with Store(target) as store:
        store.ingest_output(out_dir, "run-1")
        first = {r.id: r.evidence_hash for r in store.records()}
        build(out_dir)  # the pipeline runs again over the same bytes
        store.ingest_output(out_dir, "run-2")
        second = store.records()
        assert {r.id: r.evidence_hash for r in second} == first
        assert {r.first_seen_run for r in second} == {"run-1"}
        assert {r.last_seen_run for r in second} == {"run-2"}
        with pytest.raises(ReviewError, match="already ingested"):
            store.ingest_output(out_dir, "run-2")


def test_record_missing_from_a_run_is_not_current(out: Out) -> None:
    out_dir, ids, target = out
    with Store(target) as store:
        store.ingest_output(out_dir, "run-1")
        build(out_dir, drop_gepard=True)
        store.ingest_output(out_dir, "run-2")
        current = {r.id for r in store.records()}
        assert "weapon:gepard-3-9" not in current
        assert ids["ru_delivery"] not in current
        assert store.record("weapon:gepard-3-9") is not None  # history is kept


def test_evidence_hash_depends_on_evidence_only(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    ids = build(out_dir)
    events = {
        e["id"]: e
        for e in map(json.loads, (out_dir / "events.jsonl").read_text("utf-8").splitlines())
    }
    event = events[ids["en_delivery"]]
    base = evidence_hash("event", event)
    assert evidence_hash("event", {**event, "confidence": 0.1, "type": "other"}) == base
    changed = {**event, "date": {**event["date"], "text": "the start of 2014"}}
    assert evidence_hash("event", changed) != base
    one = {"document_id": "d", "start": 1, "end": 3, "text": "ab", "language": "en"}
    two = {"document_id": "e", "start": 0, "end": 2, "text": "cd", "language": "ru"}
    assert evidence_hash("person", {"mentions": [one, two]}) == evidence_hash(
        "person", {"mentions": [two, one], "name": "other name"}
    )
    assert evidence_hash("person", {"mentions": [one]}) != evidence_hash(
        "person", {"mentions": [one, two]}
    )


def test_invalid_record_is_refused_with_its_line(out: Out) -> None:
    out_dir, _, target = out
    with (out_dir / "people.jsonl").open("a", encoding="utf-8") as handle:
        handle.write('{"id": "person:x", "name": "X", "unexpected": 1}\n')
    with Store(target) as store:
        with pytest.raises(ReviewError, match=r"people\.jsonl:4: invalid person record"):
            store.ingest_output(out_dir, "run-1")
        assert store.runs() == []  # nothing half-loaded


def test_decisions_are_append_only_and_versioned(out: Out) -> None:
    out_dir, ids, target = out
    with Store(target) as store:
        store.ingest_output(out_dir, "run-1")
        rid = ids["en_order"]
        kwargs = {"reviewer": "a", "note": "", "evidence_hash": "h"}
        store.append_decision(rid, "accept", {}, base_version=0, **kwargs)
        with pytest.raises(ConflictError, match="version 1, you saw 0"):
            store.append_decision(rid, "reject", {}, base_version=0, **kwargs)
        assert store.version(rid) == 1
        with pytest.raises(StoreIntegrityError, match="append-only"):
            store._conn.execute("UPDATE decisions SET action = 'reject'")
        with pytest.raises(StoreIntegrityError, match="append-only"):
            store._conn.execute("DELETE FROM decisions")
        if store.kind == "postgresql":  # TRUNCATE skips row triggers: its own trigger
            with pytest.raises(StoreIntegrityError, match="append-only"):
                store._conn.execute("TRUNCATE decisions")
        with pytest.raises(StoreIntegrityError, match="append-only"), store.transaction() as tx:
            tx.execute("DELETE FROM decisions WHERE record_id = ?", (rid,))
        assert [d.action for d in store.decisions(rid)] == ["accept"]


def test_killed_mid_write_leaves_earlier_decisions_intact(
    out: Out,
) -> None:
    out_dir, ids, target = out
    with Store(target) as store:
        store.ingest_output(out_dir, "run-1")
        store.append_decision(
            ids["en_order"], "accept", {}, reviewer="a", note="", evidence_hash="h", base_version=0
        )
    child = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from pipeline.review.store import Store
        store = Store({str(target)!r})
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO decisions (record_id, action, payload, reviewer, at, evidence_hash,"
                " note, base_version) VALUES ('{ids["ru_visit"]}', 'reject', '{{}}', 'b', 'now',"
                " 'h', 'half', 0)"
            )
            conn.execute("UPDATE records SET json = '{{}}'")
            print("IN-TRANSACTION", flush=True)
            time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", child], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "IN-TRANSACTION"
        proc.kill()  # SIGKILL in the middle of the write transaction
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -9
    with Store(target) as store:
        decisions = store.decisions()
        assert [(d.record_id, d.action) for d in decisions] == [(ids["en_order"], "accept")]
        assert store.record(ids["ru_visit"]).data["type"] == "diplomatic_visit"
        if store.kind == "sqlite":
            assert store._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # and the store takes new writes
        store.append_decision(
            ids["ru_visit"], "accept", {}, reviewer="a", note="", evidence_hash="h", base_version=0
        )
        assert len(store.decisions()) == 2


def test_two_reviewers_share_one_store_and_cannot_both_win(out: Out) -> None:
    """Two connections (two reviewers, or a desk and an extraction machine) on one store:
    each sees the other's decisions at once, and a stale version is refused."""
    out_dir, ids, target = out
    rid = ids["en_order"]
    with Store(target) as first, Store(target) as second:
        first.ingest_output(out_dir, "run-1")
        assert {r.id for r in second.records()} == {r.id for r in first.records()}
        seen_by_second = second.version(rid)
        first.append_decision(
            rid, "accept", {}, reviewer="a", note="", evidence_hash="h", base_version=0
        )
        with pytest.raises(ConflictError, match="version 1, you saw 0"):
            second.append_decision(
                rid,
                "reject",
                {},
                reviewer="b",
                note="",
                evidence_hash="h",
                base_version=seen_by_second,
            )
        assert [(d.reviewer, d.action) for d in second.decisions(rid)] == [("a", "accept")]
        # a bulk action is all or nothing there too
        entries = [
            {
                "record_id": ids["ru_visit"],
                "action": "accept",
                "evidence_hash": "h",
                "base_version": 0,
            },
            {"record_id": rid, "action": "reject", "evidence_hash": "h", "base_version": 0},
        ]
        with pytest.raises(ConflictError):
            second.append_decisions(entries, reviewer="b")
        assert [d.record_id for d in first.decisions()] == [rid]


def test_unreachable_server_is_one_line_without_the_password() -> None:
    pytest.importorskip("psycopg")
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://desk:s3cret@127.0.0.1:{port}/review?connect_timeout=5"
    with pytest.raises(StoreError, match="cannot open the review store") as caught:
        Store(url)
    message = str(caught.value)
    assert "s3cret" not in message and "desk:***@127.0.0.1" in message
    assert "\n" not in message


def test_store_url_comes_from_the_options_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.config import STORE_URL_ENV, load_options

    monkeypatch.delenv(STORE_URL_ENV, raising=False)
    assert load_options(None).store.url is None  # the default: OUT/review.sqlite
    options = tmp_path / "osintdesk.yaml"
    options.write_text("store:\n  url: postgresql://desk@db.example:5432/review\n", "utf-8")
    assert load_options(options).store.url == "postgresql://desk@db.example:5432/review"
    monkeypatch.setenv(STORE_URL_ENV, "postgres://other@127.0.0.1/team")
    assert load_options(options).store.url == "postgres://other@127.0.0.1/team"
    monkeypatch.setenv(STORE_URL_ENV, "mysql://desk@db.example/review")
    with pytest.raises(ConfigError, match=r"store\.url.*starts with postgresql://") as caught:
        load_options(options)
    assert "\n" not in str(caught.value)


def test_review_commands_use_the_shared_store_of_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str
) -> None:
    """Two machines with their own output folders, one store: a decision made on one is
    there on the other, and neither writes a review.sqlite of its own."""
    from typer.testing import CliRunner

    from flows.review_cli import review_app
    from pipeline.config import STORE_URL_ENV

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(STORE_URL_ENV, pg_url)
    first, second = tmp_path / "first", tmp_path / "second"
    ids = build(first)
    build(second)
    runner = CliRunner()
    accepted = runner.invoke(review_app, ["accept", ids["en_order"], "--out-dir", str(first)])
    assert accepted.exit_code == 0, accepted.stderr
    listed = runner.invoke(
        review_app, ["list", "--status", "accepted", "--json", "--out-dir", str(second)]
    )
    assert listed.exit_code == 0, listed.stderr
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [ids["en_order"]]
    assert not (first / "review.sqlite").exists() and not (second / "review.sqlite").exists()


def test_both_engines_match_the_same_rows_for_every_kind_of_term(
    tmp_path: Path, pg_url: str
) -> None:
    """The search contract below the desk: FTS5 on SQLite and pg_trgm + LIKE on PostgreSQL
    give the same rows for substrings, word starts, wide-script runs, LIKE and FTS syntax."""
    from pipeline.review.store import QueueQuery, QueueRow

    texts = {
        "event:a": "person:ab шойгу посетил ханой 2018",
        "event:b": "中国 国防部长 访问 河内",
        "event:c": "50% of a_b (x) \\ done; gepard-3.9",
        "event:d": "abc وزير الدفاع شويغو",
    }
    rows = [
        QueueRow(
            record_id=rid,
            type="event",
            status="pending",
            status_rank=1,
            name=rid,
            languages=("en",),
            sources="",
            date_sort=None,
            date_earliest=None,
            date_latest=None,
            text=text,
        )
        for rid, text in texts.items()
    ]
    queries = [
        ("шойгу",),
        ("ойг",),
        ("ab",),
        ("a",),
        ("b",),
        ("中国",),
        ("国",),
        ("河内",),
        ("内河",),
        ("50%",),
        ("a_b",),
        ("%",),
        ("_",),
        ("\\",),
        ("-",),
        ("(x)",),
        ('"',),
        ("3.9",),
        ("ab", "шойгу"),
        ("ab", "中国"),
        ("شويغو",),
        ("ال",),
        ("gepard-3",),
        ("x",),
    ]
    found = {}
    for name, target in (("sqlite", tmp_path / "review.sqlite"), ("postgresql", pg_url)):
        with Store(target) as store:
            store.write_queue(rows, run_id="r", last_seq=0, replace_all=True)
            found[name] = {
                q: store.queue_page(QueueQuery(terms=q), limit=10, offset=0)[0] for q in queries
            }
    assert found["postgresql"] == found["sqlite"]
    assert found["sqlite"][("ойг",)] == ["event:a"] and found["sqlite"][("国",)] == ["event:b"]
    assert found["sqlite"][("内河",)] == [] and found["sqlite"][("50%",)] == ["event:c"]
    assert found["sqlite"][("%",)] == []  # one punctuation character: no word to start


def test_a_postgres_store_made_before_a_table_existed_gets_it_on_open(
    tmp_path: Path, pg_url: str
) -> None:
    out_dir = tmp_path / "out"
    build(out_dir)
    with Store(pg_url) as store:
        store.ingest_output(out_dir, "run-1")
        store._conn.execute("DROP TABLE sessions")  # as made before logins were rows
        store._conn.execute("UPDATE store_meta SET value = 'older' WHERE key = 'ddl'")
    with Store(pg_url) as store:  # the DDL changed since: what is missing is added
        assert store._conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0
        assert len(store.records()) == 13  # and nothing else was touched
        assert (
            store._conn.execute("SELECT value FROM store_meta WHERE key = 'ddl'").fetchone()[0]
            != "older"
        )


def test_a_shared_store_ignores_empty_and_earlier_output_folders(
    tmp_path: Path, pg_url: str
) -> None:
    """A reviewer's own folder (empty, or a copy of an earlier run) must not replace what
    the extraction machines loaded; a new run still loads."""
    from pipeline.review import open_store, sync_output

    extraction, laptop = tmp_path / "extraction", tmp_path / "laptop"
    ids = build(extraction)
    laptop.mkdir()
    with open_store(extraction, pg_url) as store:
        first = sync_output(store, extraction)
        assert first is not None and store.shared
        assert sync_output(store, laptop) is None  # nothing here: the store keeps its run
        assert ids["ru_delivery"] in {r.id for r in store.records()}
        build(laptop)  # the laptop holds the first run's files
        build(extraction, drop_gepard=True)
        second = sync_output(store, extraction)
        assert second is not None and [r.id for r in store.runs()] == [first.id, second.id]
        assert sync_output(store, laptop) is None  # an earlier run: not loaded again
        assert ids["ru_delivery"] not in {r.id for r in store.records()}


def test_an_embedded_store_loads_its_folder_whatever_it_holds(tmp_path: Path) -> None:
    from pipeline.review import open_store, sync_output

    out_dir = tmp_path / "out"
    build(out_dir)
    with open_store(out_dir) as store:
        assert not store.shared
        assert sync_output(store, out_dir) is not None
        build(out_dir, drop_gepard=True)
        assert sync_output(store, out_dir) is not None
        build(out_dir)  # back to the first run's files: that is what OUT holds now
        assert sync_output(store, out_dir) is not None
        assert len(store.runs()) == 3
