"""What earlier runs fetched, so a re-run asks servers "changed since?" and skips what is not.

Layout under the output folder::

    fetch_state/<sha256 of the location, 32 hex>.json
        {"location", "sha256", "etag", "last_modified", "fetched_at"}

One small file per URL or feed, written atomically after each fetch whose answer
carried an ``ETag`` or ``Last-Modified``; the file name is a hash of the location,
never scraped text. The bytes themselves live in the snapshot store, which is
what a 304 answer is replayed from (:func:`pipeline.snapshot.replay`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from pipeline.errors import SourceError
from pipeline.fetch import Fetched, Known
from pipeline.snapshot import replay, save_snapshot, snapshot_path
from pipeline.write import atomic_write_text

log = logging.getLogger(__name__)

STATE_DIR = "fetch_state"


def _state_path(out_dir: Path, location: str) -> Path:
    name = hashlib.sha256(location.encode("utf-8")).hexdigest()[:32]
    return out_dir / STATE_DIR / f"{name}.json"


class FetchMemory:
    """Conditional-GET state of one output folder.

    :meth:`known` is the lookup :mod:`pipeline.fetch` takes; :meth:`remember` records
    a fresh answer (and snapshots its bytes, so a later 304 can be replayed).
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir

    def known(self, location: str) -> Known | None:
        path = _state_path(self.out_dir, location)
        try:
            state = json.loads(path.read_text("utf-8"))
            sha256 = str(state["sha256"])
            if state.get("location") != location:  # a hash collision, or a hand-edited file
                return None
            if not snapshot_path(self.out_dir, sha256).exists():
                return None  # nothing to replay a 304 from: ask unconditionally
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, SourceError) as exc:
            log.warning("ignoring unreadable fetch state %s: %s", path, exc)
            return None
        etag, modified = state.get("etag"), state.get("last_modified")
        if not etag and not modified:
            return None
        out_dir = self.out_dir
        return Known(
            etag=etag,
            last_modified=modified,
            replay=lambda: replay(out_dir, sha256, location),
        )

    def remember(self, fetched: Fetched) -> None:
        """Record a fetch of an http(s) URL or feed that the server gave validators for."""
        if fetched.status != 200:
            return  # a 304 replay changes nothing; files have no validators
        etag = fetched.headers.get("etag")
        modified = fetched.headers.get("last-modified")
        if not etag and not modified:
            return
        save_snapshot(self.out_dir, fetched)
        atomic_write_text(
            _state_path(self.out_dir, fetched.location),
            json.dumps(
                {
                    "location": fetched.location,
                    "sha256": fetched.sha256,
                    "etag": etag,
                    "last_modified": modified,
                    "fetched_at": fetched.fetched_at.isoformat(),
                },
                ensure_ascii=False,
                sort_keys=True,
            ),
        )
