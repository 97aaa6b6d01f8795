"""The review desk over one output dir: open its store, load new runs, re-apply decisions."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from pipeline.errors import ReviewError
from pipeline.review.layout import DB_NAME, RECORD_FILES, raw_file
from pipeline.review.migrate import migrate_layout
from pipeline.review.publish import publish
from pipeline.review.state import review_state
from pipeline.review.store import Run, Store, output_fingerprint

log = logging.getLogger(__name__)


def store_path(out_dir: Path) -> Path:
    return Path(out_dir) / DB_NAME


def open_store(out_dir: Path, url: str | None = None) -> Store:
    """The review store of an output dir (created on first use): ``OUT/review.sqlite``,
    or the PostgreSQL database at ``url`` (``store.url``) shared with other machines.

    An output dir of the old layout (reviewed files published over the raw
    ones) is moved to the current one first, with one log line saying so.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise ReviewError(f"{out_dir}: output dir not found")
    store = Store(url or store_path(out_dir))
    try:
        migrate_layout(out_dir, store)
    except BaseException:
        store.close()
        raise
    return store


def sync_output(store: Store, out_dir: Path) -> Run | None:
    """Ingest ``out_dir`` as a new run when its raw files changed since the last run.

    A shared store (PostgreSQL) is fed by many machines, and a reviewer's own output
    folder may be empty or behind: there, a folder is loaded only when it holds raw
    records and they are not a run the store has already had.
    """
    out_dir = Path(out_dir)
    latest = store.latest_run()
    fingerprint = output_fingerprint(out_dir)
    if latest is not None and latest.fingerprint == fingerprint:
        return None
    if store.shared:
        if not any(raw_file(out_dir, rtype).is_file() for rtype in RECORD_FILES):
            log.info("%s: no raw records here; the shared store is left as it is", out_dir)
            return None
        if any(run.fingerprint == fingerprint for run in store.runs()):
            log.info("%s: an earlier run of the shared store; not loaded again", out_dir)
            return None
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return store.ingest_output(Path(out_dir), f"run-{stamp}")


def refresh_after_run(out_dir: Path, run_id: str, url: str | None = None) -> dict[str, Any]:
    """After a pipeline run: ingest it into the store and re-apply every decision.

    When decisions exist the reviewed files in ``OUT/reviewed/`` are published
    again with them applied (the raw files stay as the pipeline wrote them).
    Returns a small summary with the status counts and the orphaned decisions.
    ``url``: the store on PostgreSQL (``store.url``), as for :func:`open_store`.
    """
    out_dir = Path(out_dir)
    with open_store(out_dir, url) as store:
        if any(run.id == run_id for run in store.runs()):
            log.info("run %s already in the review store", run_id)
        else:
            store.ingest_output(out_dir, run_id)
        state = review_state(store)
        if store.decisions():
            publish(store, out_dir)
    counts: dict[str, int] = {}
    for rec in state.survivors():
        counts[rec.status] = counts.get(rec.status, 0) + 1
    for d in state.orphaned:
        log.warning("orphaned decision #%s: %s %s", d.seq, d.action, d.record_id)
    return {"run_id": run_id, "status": counts, "orphaned": [d.seq for d in state.orphaned]}
