"""Content-addressed snapshots of fetched bytes, so any run can be redone offline.

Layout under the output folder::

    snapshots/<sha[:2]>/<sha256>.bin    the raw bytes, stored once
    snapshots/<sha[:2]>/<sha256>.json   sidecar: every fetch event that produced them

The sidecar is ``{"sha256", "size", "fetches": [event, ...]}`` where an event
is ``{"location", "kind", "final_url", "fetched_at", "status", "content_type",
"headers", "via"}``. Fetching the same bytes again appends an event; saving
the same event twice does not. Path components come only from the hex hash,
never from scraped text. All writes go to a temporary file in the same
folder and are moved into place with :func:`os.replace`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pipeline.errors import FetchError
from pipeline.fetch import Fetched
from pipeline.write import atomic_write_bytes

try:  # POSIX: lock the sidecar against other processes too
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

SNAPSHOT_DIR = "snapshots"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_lock = threading.Lock()


class SnapshotError(FetchError):
    """A snapshot is missing, corrupted or named by something that is not a sha256."""

    stage = "snapshot"


def _checked_sha(sha256: str) -> str:
    if not _SHA256.fullmatch(sha256):
        raise SnapshotError(repr(sha256)[:80], "not a lowercase hex sha256")
    return sha256


def snapshot_path(out_dir: Path, sha256: str) -> Path:
    """Where the bytes with this hash are (or would be) stored."""
    sha = _checked_sha(sha256)
    return out_dir / SNAPSHOT_DIR / sha[:2] / f"{sha}.bin"


def sidecar_path(out_dir: Path, sha256: str) -> Path:
    """The JSON sidecar beside :func:`snapshot_path`."""
    return snapshot_path(out_dir, sha256).with_suffix(".json")


def _event(fetched: Fetched) -> dict[str, Any]:
    listed = {"listed": fetched.listed.isoformat()} if fetched.listed else {}
    return listed | {
        "location": fetched.location,
        "kind": fetched.kind,
        "final_url": fetched.final_url,
        "fetched_at": fetched.fetched_at.astimezone(dt.UTC).isoformat(),
        "status": fetched.status,
        "content_type": fetched.content_type,
        "headers": dict(sorted(fetched.headers.items())),
        "via": fetched.via,
    }


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise sidecar updates across threads and (on POSIX) processes."""
    with _lock:
        if fcntl is None:  # pragma: no cover - Windows
            yield
            return
        with open(path, "rb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_snapshot(out_dir: Path, fetched: Fetched) -> Path:
    """Store ``fetched.data`` once by hash and record this fetch in the sidecar.

    Returns the path of the ``.bin`` file. Raises :class:`SnapshotError` when
    ``fetched.sha256`` does not match its bytes.
    """
    sha = _checked_sha(fetched.sha256)
    if hashlib.sha256(fetched.data).hexdigest() != sha:
        raise SnapshotError(fetched.location, f"bytes do not match sha256 {sha}")
    path = snapshot_path(out_dir, sha)
    if not path.exists() or path.stat().st_size != len(fetched.data) or _file_sha(path) != sha:
        atomic_write_bytes(path, fetched.data)
        log.debug("snapshot written", extra={"sha256": sha, "source": fetched.location})
    meta_path = sidecar_path(out_dir, sha)
    with _locked(path):
        meta = _read_sidecar(meta_path) if meta_path.exists() else None
        if meta is None:
            meta = {"sha256": sha, "size": len(fetched.data), "fetches": []}
        event = _event(fetched)
        if event not in meta["fetches"]:
            meta["fetches"].append(event)
            text = json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
            atomic_write_bytes(meta_path, text.encode("utf-8"))
    return path


def _read_sidecar(meta_path: Path) -> dict[str, Any] | None:
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("unreadable snapshot sidecar %s: %s; starting a new one", meta_path, exc)
        return None
    if not isinstance(meta, dict) or not isinstance(meta.get("fetches"), list):
        log.warning("malformed snapshot sidecar %s; starting a new one", meta_path)
        return None
    return meta


def load_snapshot(out_dir: Path, sha256: str) -> bytes:
    """The stored bytes for ``sha256``, verified against the hash."""
    path = snapshot_path(out_dir, sha256)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise SnapshotError(sha256, f"no snapshot at {path}") from exc
    except OSError as exc:
        raise SnapshotError(sha256, f"cannot read {path}: {exc.strerror or exc}") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise SnapshotError(sha256, f"snapshot corrupted: {path} hashes to {actual}")
    return data


def load_snapshot_meta(out_dir: Path, sha256: str) -> dict[str, Any]:
    """The sidecar of a snapshot (``sha256``, ``size``, ``fetches``)."""
    meta_path = sidecar_path(out_dir, sha256)
    if not meta_path.exists():
        raise SnapshotError(sha256, f"no snapshot sidecar at {meta_path}")
    meta = _read_sidecar(meta_path)
    if meta is None:
        raise SnapshotError(sha256, f"unreadable snapshot sidecar {meta_path}")
    return meta


def replay(out_dir: Path, sha256: str, location: str | None = None) -> Fetched:
    """Rebuild the :class:`Fetched` of a past fetch from its snapshot, offline.

    Uses the latest fetch event (of ``location`` when given).
    """
    data = load_snapshot(out_dir, sha256)
    events = load_snapshot_meta(out_dir, sha256)["fetches"]
    if location is not None:
        events = [e for e in events if e.get("location") == location]
    if not events:
        raise SnapshotError(sha256, f"no fetch event recorded for {location or 'any location'}")
    event = max(events, key=lambda e: str(e.get("fetched_at", "")))
    return Fetched(
        location=event["location"],
        kind=event["kind"],
        data=data,
        final_url=event.get("final_url"),
        status=event.get("status"),
        content_type=event.get("content_type"),
        headers=dict(event.get("headers") or {}),
        fetched_at=dt.datetime.fromisoformat(event["fetched_at"]),
        sha256=sha256,
        via=event.get("via"),
        listed=dt.date.fromisoformat(event["listed"]) if event.get("listed") else None,
    )
