"""The review desk: the store, decisions over the raw extraction, publishing and exports.

==============  ======================================================================
module          job
==============  ======================================================================
``layout``      where things live in an output dir (raw files, ``reviewed/``, the store)
``store``       the store: runs, raw records, mentions, the append-only decision log
``dialect``     SQLite (default) or PostgreSQL (``store.url``) under the store's one SQL
``edits``       editable fields and how a reviewer's value is checked (dates via Edtf)
``state``       decisions applied to the raw records of the latest run (pure)
``decisions``   making a decision: payload checks, then the log
``publish``     ``OUT/reviewed/*.jsonl`` and ``OUT/reference_overrides.yaml``
``runs``        opening an output dir's store, loading new runs, re-applying decisions
``search``      the queue index: full-text search (trigrams over every script),
                filters and pages of 50 in a stable order
``diff``        word-level differences between two versions of evidence
``migrate``     moving an output dir of the old layout to the current one
``export``      JSON Lines, analyst CSV, the deal register, followthemoney
``overrides``   reviewer aliases applied before linking (imported by the pipeline's
                ingest; not re-exported here, as it needs the extraction modules)
==============  ======================================================================
"""

from pipeline.review.decisions import Batch, decide, decide_many, last_batch, split, undo_batch
from pipeline.review.edits import EDITABLE, PRECISIONS, apply_edit
from pipeline.review.export import FORMATS, ExportResult, export, ftm_entities, register
from pipeline.review.layout import (
    DB_NAME,
    LAYOUT,
    OVERRIDES_FILE,
    RECORD_FILES,
    REVIEWED_DIR,
    reviewed_dir,
    reviewed_file,
)
from pipeline.review.migrate import migrate_layout
from pipeline.review.publish import publish, published_records, write_reference_overrides
from pipeline.review.runs import open_store, refresh_after_run, store_path, sync_output
from pipeline.review.state import (
    STATUSES,
    Reviewed,
    ReviewedRecord,
    Status,
    apply_decisions,
    date_order,
    event_date,
    review_state,
)
from pipeline.review.store import ACTIONS, Decision, Run, Store, StoredRecord, evidence_hash

__all__ = [
    "ACTIONS",
    "DB_NAME",
    "EDITABLE",
    "FORMATS",
    "LAYOUT",
    "OVERRIDES_FILE",
    "PRECISIONS",
    "RECORD_FILES",
    "REVIEWED_DIR",
    "STATUSES",
    "Batch",
    "Decision",
    "ExportResult",
    "Reviewed",
    "ReviewedRecord",
    "Run",
    "Status",
    "Store",
    "StoredRecord",
    "apply_decisions",
    "apply_edit",
    "date_order",
    "decide",
    "decide_many",
    "event_date",
    "evidence_hash",
    "export",
    "ftm_entities",
    "last_batch",
    "migrate_layout",
    "open_store",
    "publish",
    "published_records",
    "refresh_after_run",
    "register",
    "review_state",
    "reviewed_dir",
    "reviewed_file",
    "split",
    "store_path",
    "sync_output",
    "undo_batch",
    "write_reference_overrides",
]
