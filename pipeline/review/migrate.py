"""Moving an output dir of layout 1 to layout 2 (reviewed files in ``OUT/reviewed/``).

Layout 1 published over the raw ``OUT/people|weapons|events.jsonl`` and listed
each file it wrote, with its sha256, in ``OUT/review/published.json``. A record
file whose bytes still have that sha256 is therefore reviewed output, not the
pipeline's: it is copied to ``OUT/reviewed/`` and the raw file is rewritten
from the raw records the store kept of the latest run. A file whose bytes
differ was rewritten by a later pipeline run and is raw already.

Every step is an atomic write and the old manifest is removed last, so an
interrupted migration is simply done again on the next start.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from pipeline.errors import ReviewError
from pipeline.review.layout import (
    LAYOUT,
    LEGACY_MANIFEST,
    RECORD_FILES,
    REVIEWED_DIR,
    raw_file,
    reviewed_file,
)
from pipeline.review.publish import jsonl_bytes, write_manifest
from pipeline.review.store import Store, output_fingerprint
from pipeline.write import atomic_write_bytes

log = logging.getLogger(__name__)


def _read_legacy(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ReviewError(f"{path}: unreadable publish manifest: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("files", {}), dict):
        raise ReviewError(f"{path}: unreadable publish manifest: not a JSON object with files")
    return data


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _in_step_with_store(store: Store, out_dir: Path, legacy: dict[str, Any]) -> bool:
    """Whether the store's latest run already reflects OUT (layout 1's own test)."""
    latest = store.latest_run()
    if latest is None:
        return False
    fingerprint = output_fingerprint(out_dir)
    return latest.fingerprint == fingerprint or (
        legacy.get("run") == latest.id and legacy.get("fingerprint") == fingerprint
    )


def _raw_rows(store: Store, rtype: str) -> list[dict[str, Any]] | None:
    """The raw records of one type from the store's latest run; None without a run."""
    if store.latest_run() is None:
        return None
    return [r.data for r in store.records(rtype)]


def _move_published(
    store: Store, out_dir: Path, hashes: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """Copy published files to reviewed/, restore the raw ones; (moved, restored) names."""
    moved: list[str] = []
    restored: list[str] = []
    for rtype, name in RECORD_FILES.items():
        raw = raw_file(out_dir, rtype)
        if not raw.is_file() or hashes.get(name) != _sha256(raw):
            continue
        atomic_write_bytes(reviewed_file(out_dir, rtype), raw.read_bytes())
        moved.append(name)
        rows = _raw_rows(store, rtype)
        if rows is None:
            raw.unlink()  # no raw copy anywhere: the next pipeline run writes it
        else:
            atomic_write_bytes(raw, jsonl_bytes(rows))
            restored.append(name)
    return moved, restored


def migrate_layout(out_dir: Path, store: Store) -> str | None:
    """Bring ``out_dir`` to layout 2; the one line saying what moved, or None if nothing did."""
    out_dir = Path(out_dir)
    legacy_path = out_dir / LEGACY_MANIFEST
    if not legacy_path.is_file():
        return None
    legacy = _read_legacy(legacy_path)
    hashes = dict(legacy.get("files") or {})
    in_step = _in_step_with_store(store, out_dir, legacy)
    moved, restored = _move_published(store, out_dir, hashes)
    latest = store.latest_run()
    if in_step and latest is not None:
        # same records, rewritten bytes: not a new run
        store.set_fingerprint(latest.id, output_fingerprint(out_dir))
    kept = {k: v for k, v in legacy.items() if k not in ("fingerprint", "files", "layout")}
    manifest = {
        **kept,
        "files": {name: hashes[name] for name in moved},
        "raw_fingerprint": output_fingerprint(out_dir),
        "migrated_from_layout": 1,
    }
    write_manifest(out_dir, manifest)
    legacy_path.unlink()
    if not any(legacy_path.parent.iterdir()):
        legacy_path.parent.rmdir()
    message = (
        f"{out_dir}/: moved reviewed files to {out_dir / REVIEWED_DIR}/ (layout {LAYOUT}):"
        f" {', '.join(moved) or 'none left'}; raw files restored from the review store:"
        f" {', '.join(restored) or 'none'}"
    )
    log.warning(message)
    return message
