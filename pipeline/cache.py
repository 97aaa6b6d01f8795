"""Reference data derived once per machine, not once per process.

Some things osintdesk derives from its reference data take seconds in every
process that needs them (the Latin names of every reference person go through
pymorphy3's dictionaries and pypinyin). They depend only on the data files, the
code and the libraries, so the result is kept as JSON in a cache folder, under a
key that hashes all three: editing a data file, changing the code or upgrading a
library gives a new key, and the old file is simply never read again.

The folder is ``$OSINTDESK_CACHE_DIR``, else ``$XDG_CACHE_HOME/osintdesk``, else
``~/.cache/osintdesk``; ``OSINTDESK_CACHE_DIR=off`` turns the cache off. A cache
that cannot be read or written is ignored (logged at debug level): it only ever
saves time. Files are written atomically, so two processes filling the same key
at once leave one whole file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any, TypeVar

from pipeline import __version__
from pipeline import lang as lang_registry
from pipeline.write import atomic_write_bytes

log = logging.getLogger(__name__)

ENV = "OSINTDESK_CACHE_DIR"
#: libraries whose output the cached values hold
LIBRARIES = ("anyascii", "pymorphy3", "pymorphy3-dicts-ru", "pymorphy3-dicts-uk", "pypinyin")

T = TypeVar("T")


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off."""
    configured = os.environ.get(ENV, "").strip()
    if configured.lower() == "off":
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "osintdesk"


def _library_versions() -> list[str]:
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=-")
    return versions


@lru_cache(maxsize=1)
def source_digest() -> str:
    """A hash of the package's code and data, the language registry's folders (extra
    paths included) and the libraries' versions."""
    digest = hashlib.sha256("\n".join([__version__, *_library_versions()]).encode())
    package = Path(str(resources.files("pipeline")))
    roots = [package, *lang_registry.roots()]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".yaml", ".yml", ".json", ".txt"):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


lang_registry.on_change(source_digest.cache_clear)


def cached_json(name: str, build: Callable[[], T]) -> T:
    """``build()``, or the value it gave before for the same code, data and libraries.

    ``name`` names the value (a file-name part); the value must survive a JSON round
    trip unchanged (plain dicts, lists, strings and numbers).
    """
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / f"{name}-{source_digest()}.json"
    try:
        value: Any = json.loads(path.read_bytes())
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        log.debug("%s: cache not read (%s); rebuilding", path, exc)
    else:
        return value
    value = build()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, json.dumps(value, ensure_ascii=False).encode("utf-8"))
    except OSError as exc:
        log.debug("%s: cache not written (%s)", path, exc)
    return value
