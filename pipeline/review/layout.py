"""Where the review desk reads and writes inside an output dir (layout 2).

====================================  ============================================
path (under OUT)                      what
====================================  ============================================
``people.jsonl`` ``weapons.jsonl``    raw extraction, written by the pipeline only;
``events.jsonl`` ``deals.jsonl``      the review desk reads them, never writes them
``documents/``                        (one JSON file per source document)
``review.sqlite``                     the store: runs, raw records, decision log
``reviewed/*.jsonl``                  published records, decisions applied
``reviewed/manifest.json``            what the last publish wrote, from which run
``reference_overrides.yaml``          reviewer aliases, read by the next run
====================================  ============================================

Layout 1 (before the ``reviewed/`` folder) published over the raw JSONL files and
listed what it wrote in ``review/published.json``; :mod:`pipeline.review.migrate`
moves such a dir to this layout.
"""

from __future__ import annotations

from pathlib import Path

LAYOUT = 2
DB_NAME = "review.sqlite"
RECORD_FILES: dict[str, str] = {
    "person": "people.jsonl",
    "organisation": "organisations.jsonl",
    "weapon": "weapons.jsonl",
    "event": "events.jsonl",
    "deal": "deals.jsonl",
}
DOCUMENTS_DIR = "documents"
REVIEWED_DIR = "reviewed"
MANIFEST_NAME = "manifest.json"
OVERRIDES_FILE = "reference_overrides.yaml"
LEGACY_MANIFEST = Path("review") / "published.json"
"""Layout 1's list of the files publish had written over the raw ones."""


def raw_file(out_dir: Path, rtype: str) -> Path:
    """The pipeline's record file of one type (``OUT/people.jsonl`` …)."""
    return Path(out_dir) / RECORD_FILES[rtype]


def reviewed_dir(out_dir: Path) -> Path:
    return Path(out_dir) / REVIEWED_DIR


def reviewed_file(out_dir: Path, rtype: str) -> Path:
    """The published file of one type (``OUT/reviewed/people.jsonl`` …)."""
    return reviewed_dir(out_dir) / RECORD_FILES[rtype]


def manifest_path(out_dir: Path) -> Path:
    return reviewed_dir(out_dir) / MANIFEST_NAME
