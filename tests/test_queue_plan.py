"""The queue's query shape: the smallest set drives it, counts are cached per index version."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fixtures.review.builder import build

from pipeline.review import decide, open_store, store_path
from pipeline.review.dialect import SqliteDatabase
from pipeline.review.search import Filters, ensure_index, queue_page
from pipeline.review.store import QueueQuery, _queue_where


def _plan(out: Path, query: QueueQuery) -> str:
    path = store_path(out)
    conn = SqliteDatabase(path)
    try:
        source, args = _queue_where(conn, query)
    finally:
        conn.close()
    with sqlite3.connect(path) as db:
        rows = db.execute(f"EXPLAIN QUERY PLAN SELECT q.record_id FROM {source}", args)
        return " | ".join(r[3] for r in rows.fetchall())


def test_search_words_and_dates_drive_the_query(tmp_path: Path) -> None:
    build(tmp_path, scripts=True)
    with open_store(tmp_path) as store:
        store.ingest_output(tmp_path, "run-1")
        ensure_index(store)
    searched = _plan(
        tmp_path, QueueQuery(status="pending", type="event", language="ru", terms=("шойгу",))
    )
    # the full-text match is the outer loop; the other filters are checked per row
    assert searched.index("queue_text") < searched.index("SEARCH q")
    dated = _plan(
        tmp_path,
        QueueQuery(
            type="event", language="ru", date_earliest="2018-01-01", date_latest="2018-12-31"
        ),
    )
    assert "queue_dates" in dated.split(" | ")[0]


def test_counts_are_cached_until_a_decision(tmp_path: Path) -> None:
    ids = build(tmp_path, scripts=True)
    with open_store(tmp_path) as store:
        store.ingest_output(tmp_path, "run-1")
        pending = Filters(status="pending", type="event")
        first = queue_page(store, pending, 1).total
        assert queue_page(store, pending, 1).total == first
        decide(store, ids["ru_shoigu"], "accept", reviewer="anna", base_version=0)
        assert queue_page(store, pending, 1).total == first - 1
        assert queue_page(store, Filters(q="Шойгу", type="event", status="accepted"), 1).total == 1


def test_a_schema_2_store_rebuilds_its_queue_with_cluster_rows(tmp_path: Path) -> None:
    from pipeline.review.search import ClusterView

    build(tmp_path, scripts=True, clusters=True)
    with open_store(tmp_path) as store:
        store.ingest_output(tmp_path, "run-1")
        ensure_index(store)
    with sqlite3.connect(store_path(tmp_path)) as db:  # as the previous version left it
        db.execute("PRAGMA user_version = 2")
    with open_store(tmp_path) as store:
        assert store.queue_state() is None  # the old index is dropped on open
        rows = queue_page(store, Filters(type="event"), 1).records
        assert any(isinstance(r, ClusterView) and r.num_mentions == 3 for r in rows)
