"""Reading and copying local files safely: regular files only, never more than a cap.

A path named in a manifest, on the command line or through a symlink may be a
FIFO (``open`` would wait forever for a writer), a device such as
``/dev/zero`` (endless bytes, and ``st_size`` 0 so a size check before reading
passes) or a socket. Files are therefore opened without blocking and checked
with ``fstat`` on the open descriptor, so the check and the read concern the
same file, and read in bounded chunks with the cap enforced while reading.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pipeline.errors import FetchError

CHUNK_BYTES = 1 << 20

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


@contextmanager
def open_regular(path: Path, *, source: str) -> Iterator[BinaryIO]:
    """Open ``path`` for reading if it is a regular file (after following symlinks).

    Raises :class:`FetchError` naming ``source`` otherwise; never blocks on a FIFO.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as exc:
        raise FetchError(source, f"file not found: {path}") from exc
    except IsADirectoryError as exc:
        raise FetchError(source, f"is a directory, not a file: {path}") from exc
    except OSError as exc:
        raise FetchError(source, f"cannot read file {path}: {exc.strerror or exc}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise FetchError(source, f"is a directory, not a file: {path}")
        if not stat.S_ISREG(mode):
            raise FetchError(source, f"refused: {path} is {_kind(mode)}, not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        yield handle


def read_regular_file(path: Path, *, max_bytes: int, source: str) -> bytes:
    """The bytes of a regular file, refused past ``max_bytes`` (counted while reading:
    the size a file declares is not trusted)."""
    with open_regular(path, source=source) as handle:
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise FetchError(source, f"cannot read file {path}: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise FetchError(source, f"file larger than {max_bytes} bytes")
    return data


def copy_regular_file(path: Path, handle_out: BinaryIO, *, source: str) -> str:
    """Stream a regular file into ``handle_out`` in fixed chunks; return its sha256 (hex)."""
    digest = hashlib.sha256()
    with open_regular(path, source=source) as handle:
        try:
            while chunk := handle.read(CHUNK_BYTES):
                digest.update(chunk)
                handle_out.write(chunk)
        except OSError as exc:
            raise FetchError(source, f"cannot read file {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()
