"""Publishing reviewed records into ``OUT/reviewed/``, and the reviewer-alias overlay.

The raw extraction files in OUT belong to the pipeline and are never written
here: published files go to ``OUT/reviewed/people|weapons|events.jsonl`` with a
``manifest.json`` saying which run and which decisions they reflect.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import yaml

from pipeline.review.layout import (
    LAYOUT,
    OVERRIDES_FILE,
    RECORD_FILES,
    manifest_path,
    reviewed_file,
)
from pipeline.review.state import Reviewed, review_state
from pipeline.review.store import Store, output_fingerprint
from pipeline.write import atomic_write_bytes
from schemas.records import (
    DealRecord,
    EventRecord,
    OrganisationRecord,
    PersonRecord,
    WeaponRecord,
)

log = logging.getLogger(__name__)

_RecordModel = PersonRecord | OrganisationRecord | WeaponRecord | EventRecord | DealRecord
_MODEL_FOR: dict[str, type[_RecordModel]] = {
    "person": PersonRecord,
    "organisation": OrganisationRecord,
    "weapon": WeaponRecord,
    "event": EventRecord,
    "deal": DealRecord,
}


def jsonl_bytes(rows: list[dict[str, Any]]) -> bytes:
    """Records as JSON Lines, keys sorted, real Unicode."""
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows).encode(
        "utf-8"
    )


def published_records(state: Reviewed, rtype: str, *, accepted_only: bool) -> list[dict[str, Any]]:
    """Reviewed records of one type for output: merges applied, rejected ones left out."""
    rows: list[dict[str, Any]] = []
    for rec in state.survivors(rtype):
        if rec.status == "rejected" or (accepted_only and rec.status != "accepted"):
            continue
        rows.append(_MODEL_FOR[rtype].model_validate(rec.data).model_dump(mode="json"))
    return sorted(rows, key=lambda r: str(r["id"]))


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> Path:
    path = manifest_path(out_dir)
    text = json.dumps({**manifest, "layout": LAYOUT}, ensure_ascii=False, sort_keys=True, indent=1)
    atomic_write_bytes(path, text.encode("utf-8"))
    return path


def publish(store: Store, out_dir: Path) -> list[Path]:
    """Write ``OUT/reviewed/people|weapons|events.jsonl`` with decisions applied (atomically).

    ``OUT/reviewed/manifest.json`` lists the files with their sha256, the run
    and the fingerprint of the raw files they were made from, and the last
    decision applied.
    """
    out_dir = Path(out_dir)
    state = review_state(store)
    written: list[Path] = []
    hashes: dict[str, str] = {}
    for rtype, name in RECORD_FILES.items():
        data = jsonl_bytes(published_records(state, rtype, accepted_only=False))
        path = reviewed_file(out_dir, rtype)
        atomic_write_bytes(path, data)
        hashes[name] = hashlib.sha256(data).hexdigest()
        written.append(path)
    latest = store.latest_run()
    manifest = {
        "run": latest.id if latest else None,
        "raw_fingerprint": output_fingerprint(out_dir),
        "files": hashes,
        "last_decision": max((d.seq for d in store.decisions()), default=0),
        "status": {rid: r.status for rid, r in sorted(state.records.items())},
        "orphaned": [d.seq for d in state.orphaned],
    }
    written.append(write_manifest(out_dir, manifest))
    written.append(write_reference_overrides(store, out_dir))
    log.info("published %d files to %s", len(written), out_dir)
    return written


def write_reference_overrides(store: Store, out_dir: Path) -> Path:
    """Regenerate ``OUT/reference_overrides.yaml`` from every alias decision."""
    entries: dict[str, set[str]] = {}
    for d in store.decisions():
        if d.action == "alias":
            entries.setdefault(d.record_id, set()).add(str(d.payload["name"]))
    sections: dict[str, list[dict[str, Any]]] = {"people": [], "weapons": []}
    for rid in sorted(entries):
        rec = store.record(rid)
        key = "people" if rid.startswith("person:") else "weapons"
        sections[key].append(
            {
                "id": rid,
                "name": rec.data["name"] if rec else None,
                "aliases": sorted(entries[rid]),
            }
        )
    header = (
        "# Reviewer-added aliases (osintdesk review alias). Generated from the decision log;\n"
        "# layered over the packaged reference data, which is never edited.\n"
    )
    body = yaml.safe_dump(sections, allow_unicode=True, sort_keys=True)
    path = Path(out_dir) / OVERRIDES_FILE
    atomic_write_bytes(path, (header + body).encode("utf-8"))
    return path
