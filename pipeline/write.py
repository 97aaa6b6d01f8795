"""Atomic, deterministic writing of records."""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel

log = logging.getLogger(__name__)


#: temporary files of atomic writes: ``.<name>.<8 random chars>.tmp`` (``tempfile.mkstemp``)
TEMP_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")
#: a temporary file this old was left by a write that was killed (writes take milliseconds)
STALE_TEMP_S = 600.0
_swept: set[Path] = set()


def temp_file(folder: Path, name: str) -> tuple[int, str]:
    """A new temporary file next to ``folder/name``: (descriptor, path)."""
    return tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)


def sweep_stale_temps(folder: Path, *, older_than: float = STALE_TEMP_S) -> list[Path]:
    """Remove temporary files of killed atomic writes in ``folder`` (those older than
    ``older_than`` seconds). Done once per folder per process; returns what was removed."""
    key = folder.resolve()
    if key in _swept:
        return []
    _swept.add(key)
    removed: list[Path] = []
    cutoff = time.time() - older_than
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not TEMP_NAME.match(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except FileNotFoundError:
            continue  # another process removed it first
    if removed:
        log.info("%s: removed %d temporary files left by killed writes", folder, len(removed))
    return removed


def _umask() -> int:
    """The process umask (read without changing it where /proc says it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no /proc: read by setting, then put it back at once
    os.umask(mask)
    return mask


@contextmanager
def atomic_writer(path: Path, *, private: bool = False) -> Iterator[IO[bytes]]:
    """A binary handle on a temporary file in ``path``'s folder, renamed over ``path``
    (after fsync) when the block ends without an error; on an error the temporary file is
    removed and ``path`` is left as it was. For files too big to build in memory first.

    The file gets the mode any new file of the user gets (0666 less the umask, normally
    0644), as a colleague on a shared server must read outputs and exports; ``private``
    keeps the temporary file's 0600, for secrets. The first write into a folder also
    removes stale temporary files that killed writes left there.
    """
    with staged_writer(path, private=private) as (handle, commit):
        yield handle
        commit()


@contextmanager
def staged_writer(
    path: Path, *, private: bool = False
) -> Iterator[tuple[IO[bytes], Callable[[], None]]]:
    """Like :func:`atomic_writer`, but the rename waits for the caller: ``(handle, commit)``,
    where ``commit()`` flushes, fsyncs, closes and renames over ``path``. Leaving the block
    without calling it removes the temporary file. Several files written this way and
    committed one after the other leave the old set intact when anything fails while they
    are being written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temps(path.parent)
    fd, tmp_name = temp_file(path.parent, path.name)
    committed = False
    try:
        if not private:
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:

            def commit() -> None:
                nonlocal committed
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()
                os.replace(tmp_name, path)
                committed = True

            yield handle, commit
    finally:
        if not committed:
            Path(tmp_name).unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write ``data`` to a temporary file in the same folder, fsync, then rename over
    ``path`` (see :func:`atomic_writer`)."""
    with atomic_writer(path, private=private) as handle:
        handle.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def dumps(obj: BaseModel | dict[str, Any], *, indent: int | None = None) -> str:
    """JSON with sorted keys and real Unicode (not \\u escapes)."""
    data = obj.model_dump(mode="json") if isinstance(obj, BaseModel) else obj
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=indent)


def write_json(path: Path, obj: BaseModel | dict[str, Any]) -> None:
    atomic_write_text(path, dumps(obj, indent=2) + "\n")


def write_jsonl(path: Path, records: Iterable[BaseModel | dict[str, Any]]) -> int:
    """One sorted-key JSON line per record, written as ``records`` yields them (a
    generator is never held whole), atomically; returns the number of lines."""
    with atomic_writer(path) as handle:
        return write_lines(handle, records)


def write_lines(handle: IO[bytes], records: Iterable[BaseModel | dict[str, Any]]) -> int:
    """JSON lines of ``records`` into an open binary handle; returns how many."""
    count = 0
    for record in records:
        handle.write((dumps(record) + "\n").encode("utf-8"))
        count += 1
    return count


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
