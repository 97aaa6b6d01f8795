"""``osintdesk bench --review``: queue page render times on a generated store.

A store of N records is generated (:mod:`pipeline.evaluate.review_store`), loaded
as one run, indexed, and then each page is fetched through the web app in
process (FastAPI's test client: routing, the store's queries, templates; no
network). Times are wall-clock milliseconds: the first fetch (nothing cached: the count of
matches is cached per index version, so paging through a filter counts once), then the
median and worst of ``repeat`` fetches after it; the load average is printed with them, and the
first row, a static file that touches no store, is the same run's baseline for the
machine's own overhead and load.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.evaluate import Report

BASE = "http://127.0.0.1:8765"


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _page_row(client: Any, label: str, url: str, repeat: int) -> dict[str, object]:
    """One page's times: its first (uncached) fetch, then ``repeat`` more."""
    started = time.perf_counter()
    client.get(url)  # cold: the count of matches is not cached yet
    first = time.perf_counter() - started
    times, size, total = [], 0, ""
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        size = len(response.content)
        marker = response.text.split(" records match")[0].rsplit("· ", 1)[-1]
        total = marker if marker.replace(",", "").isdigit() else ""
    return {
        "page": f"`{url}` ({label})",
        "first ms": round(first * 1000),
        "median ms": round(statistics.median(times) * 1000),
        "worst ms": round(max(times) * 1000),
        "records matching": total,
        "KB": round(size / 1024),
    }


def review_benchmark(
    records: int, repeat: int = 5, work: Path | None = None, store_url: str | None = None
) -> Report:
    """Page times on a generated store of ``records`` records: in a temporary
    ``review.sqlite``, or in the (empty) PostgreSQL database at ``store_url``."""
    from fastapi.testclient import TestClient

    from flows.web import create_app
    from pipeline.errors import ReviewError
    from pipeline.evaluate.review_store import generate
    from pipeline.review import decide, open_store
    from pipeline.review.search import ensure_index
    from pipeline.review.store import QueueQuery

    holder = tempfile.TemporaryDirectory(prefix="osintdesk-bench-") if work is None else None
    out_dir = (Path(holder.name) if holder else Path(work or ".")) / "out"
    engine = "PostgreSQL" if store_url else "SQLite"
    report = Report(
        title=f"Review desk on a generated {engine} store of {records:,} records (wall ms)",
        columns=["page", "first ms", "median ms", "worst ms", "records matching", "KB"],
    )
    try:
        started = time.perf_counter()
        counts = generate(out_dir, records)
        generated = time.perf_counter() - started
        with open_store(out_dir, store_url) as store:
            if store.runs():
                raise ReviewError(f"{store.location}: the benchmark needs an empty store")
            ingest = _timed(lambda: store.ingest_output(out_dir, "bench-1"))
            index = _timed(lambda: ensure_index(store))
            first_event = store.queue_page(QueueQuery(type="event"), limit=1, offset=0)[0][0]
        app = create_app(out_dir, bind_host="127.0.0.1", port=8765, sync=False, store_url=store_url)
        cases = [
            ("baseline: a static file, no store", "/static/review.css"),
            ("queue, first page", "/"),
            ("queue, page 1,000", "/?page=1000"),
            ("events in Russian, 2014", "/?type=event&language=ru&date=2014"),
            ("search Putin", "/?q=Putin"),
            ("search Путин", "/?q=Путин"),
            ("search بوتين", "/?q=بوتين"),
            ("search 普京 (two characters: word index)", "/?q=普京"),
            (
                "search Putin + pending events in ru",
                "/?q=Putin&status=pending&type=event&language=ru",
            ),
            ("search nothing matches", "/?q=zzzqqq"),
            ("record page", f"/record/{first_event}"),
        ]
        with TestClient(app, base_url=BASE) as client:
            for label, url in cases:
                report.rows.append(_page_row(client, label, url, repeat))
            with open_store(out_dir, store_url) as store:
                decide(store, first_event, "accept", reviewer="bench", base_version=0)
            after = _timed(lambda: client.get("/"))
        report.rows.append(
            {
                "page": "`/` right after a decision (index updated for that record)",
                "first ms": round(after * 1000),
                "median ms": round(after * 1000),
                "worst ms": round(after * 1000),
            }
        )
        with open_store(out_dir, store_url) as store:
            size = store.size_bytes()
        report.notes.append(
            f"Generated {counts} in {generated:.1f} s; loaded as one run in {ingest:.1f} s;"
            f" queue index built in {index:.1f} s; store {size / 2**20:.0f} MiB."
            f" Load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}."
        )
    finally:
        if holder is not None:
            holder.cleanup()
    return report
