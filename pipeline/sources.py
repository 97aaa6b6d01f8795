"""The sources manifest (``raw/sources.yaml``): strict model, loading, saving, adding.

File locations in the manifest are relative to the project root (the folder
that holds ``raw/``); URLs are absolute http(s) addresses.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit, urlunsplit

import yaml
from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pipeline.errors import ConfigError, FetchError, ManifestError
from pipeline.files import copy_regular_file, read_regular_file
from pipeline.refdata import read_yaml, validate
from pipeline.urls import CREDENTIALS_HINT, display_url, has_credentials, syntax_problem
from pipeline.write import atomic_write_text, sweep_stale_temps, temp_file

SourceKind = Literal["url", "file", "feed"]
ALLOWED_SCHEMES = ("http", "https")
_ID_RE = r"^[a-z0-9][a-z0-9._-]{0,79}$"
#: a manifest is a short hand-edited file; anything bigger is not one
MANIFEST_MAX_BYTES = 5_000_000
#: how long ``add`` waits for another command that is changing the manifest
LOCK_TIMEOUT_S = 15.0

MANIFEST_HEADER = """\
# osintdesk sources manifest. Validated by pipeline/sources.py (Manifest).
# Add entries with `osintdesk add <url-or-path> [--tag T]`, or by hand:
#   - id: a short unique name          kind: url | file | feed
#     location: https://... or a path relative to the project root
#     language: optional ISO 639-1 hint       tags: [..]       enabled: true
#     outside: true    (a file source outside the project folder; refused without it)
"""


class Source(BaseModel):
    """One entry of the manifest."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=_ID_RE, description="Unique short name of the source.")
    kind: SourceKind
    location: str = Field(min_length=1, description="http(s) URL, or file path relative to root.")
    language: str | None = Field(None, pattern=r"^[a-z]{2,3}$", description="Language hint.")
    tags: list[str] = Field(default_factory=list)
    enabled: bool = True
    outside: bool = Field(
        False, description="A file source may lie outside the project folder (refused otherwise)."
    )
    max_items: int | None = Field(
        None, ge=1, description="For a feed: entries taken from it (default fetch.max_feed_items)."
    )

    @model_validator(mode="after")
    def _check_location(self) -> Source:
        if self.kind in ("url", "feed"):
            # the scheme and credentials are checked here; a malformed host fails at
            # fetch time, in one line, without stopping the run
            problem = _scheme_problem(self.location) or _credentials_problem(self.location)
            if problem is not None:
                raise ValueError(f"{self.kind} source {self.id!r}: {problem}")
        if self.max_items is not None and self.kind != "feed":
            raise ValueError(f"source {self.id!r}: max_items applies to feeds only")
        return self


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    sources: list[Source] = Field(default_factory=list)

    @field_validator("sources")
    @classmethod
    def _unique(cls, sources: list[Source]) -> list[Source]:
        seen_ids: set[str] = set()
        seen_locations: set[str] = set()
        for source in sources:
            if source.id in seen_ids:
                raise ValueError(f"duplicate source id {source.id!r}")
            key = location_key(source.location, source.kind)
            if key in seen_locations:
                raise ValueError(f"duplicate location {source.location!r}")
            seen_ids.add(source.id)
            seen_locations.add(key)
        return sources


def location_key(location: str, kind: str) -> str:
    """A comparison key: URLs lower-cased in scheme/host, no fragment; paths normalised."""
    if kind in ("url", "feed"):
        parts = urlsplit(location.strip())
        path = parts.path or "/"
        return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))
    return Path(os.path.normpath(location.strip())).as_posix()


def project_root(manifest_path: Path) -> Path:
    """The project root: the parent of the folder holding the manifest (``raw/``)."""
    return manifest_path.resolve().parent.parent


def load_manifest(path: Path) -> Manifest:
    if not path.exists():
        raise ManifestError(f"{path}: manifest not found")
    try:
        raw = read_regular_file(path, max_bytes=MANIFEST_MAX_BYTES, source=str(path))
        text = raw.decode("utf-8")
        if "\x00" in text:
            raise ManifestError(f"{path}: not a text file (NUL bytes); expected UTF-8 YAML")
        data = read_yaml(text, str(path)) or {}
        return validate(Manifest, data, str(path))
    except ManifestError:
        raise
    except UnicodeDecodeError as exc:
        raise ManifestError(
            f"{path}: not UTF-8 text (invalid byte at offset {exc.start}); expected UTF-8 YAML"
        ) from exc
    except FetchError as exc:
        raise ManifestError(f"{path}: {exc.reason}") from exc
    except ConfigError as exc:
        raise ManifestError(str(exc)) from exc


@contextmanager
def manifest_lock(path: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the manifest's lock file (``sources.yaml.lock`` next to it) for a
    load-change-save, so concurrent ``add`` commands do not lose each other's entries."""
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(lock_path), timeout=timeout):
            yield
    except Timeout as exc:
        raise ManifestError(
            f"{path}: another osintdesk command is changing the manifest "
            f"({lock_path} held for over {timeout:g} s); try again"
        ) from exc


def save_manifest(path: Path, manifest: Manifest) -> None:
    data = manifest.model_dump(mode="json", exclude_defaults=False)
    for entry in data["sources"]:
        for optional in ("language", "max_items"):
            if entry[optional] is None:
                del entry[optional]
        if not entry["outside"]:
            del entry["outside"]
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    atomic_write_text(path, MANIFEST_HEADER + body)


def resolve_file(source: Source, root: Path) -> Path:
    """Absolute path of a file source, confined to the project folder ``root`` (symlinks
    followed) unless the entry says ``outside: true``; raises :class:`FetchError` otherwise."""
    location = source.location
    if location.startswith("file://"):
        location = unquote(urlsplit(location).path)
    path = Path(location).expanduser()
    path = path if path.is_absolute() else root / path
    if not source.outside and not path.resolve().is_relative_to(root.resolve()):
        raise FetchError(
            source.id,
            f"refused: {source.location} is outside the project ({root}); "
            "add `outside: true` to the manifest entry to allow it",
        )
    return path


def _make_id(stem: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9._-]+", "-", stem.lower()).strip("-._")[:60] or "source"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a url or feed source (scheme, syntax, credentials), or None.

    The reason never repeats a password written into the URL.
    """
    return _scheme_problem(url) or _credentials_problem(url) or syntax_problem(url)


def _scheme_problem(url: str) -> str | None:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ALLOWED_SCHEMES:
        return f"URL scheme {scheme[:20] or 'none'!r} is not allowed (only http and https)"
    return None


def _credentials_problem(url: str) -> str | None:
    if has_credentials(url):
        return f"the URL carries a user name or password: {CREDENTIALS_HINT}"
    return None


def _is_url(target: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", target))


def add_source(
    manifest_path: Path,
    target: str,
    *,
    tags: list[str] | None = None,
    language: str | None = None,
    feed: bool = False,
    copy: bool = False,
    max_items: int | None = None,
) -> Source:
    """Validate ``target`` and append it to the manifest; refuse with one clear line otherwise.

    The manifest is loaded, changed and saved under its lock file.
    """
    with manifest_lock(manifest_path):
        return _add_locked(
            manifest_path,
            target,
            tags=tags,
            language=language,
            feed=feed,
            copy=copy,
            max_items=max_items,
        )


def _add_locked(
    manifest_path: Path,
    target: str,
    *,
    tags: list[str] | None,
    language: str | None,
    feed: bool,
    copy: bool,
    max_items: int | None,
) -> Source:
    manifest = load_manifest(manifest_path) if manifest_path.exists() else Manifest()
    root = project_root(manifest_path)
    taken = {s.id for s in manifest.sources}

    if _is_url(target):
        problem = url_problem(target.strip())
        if problem is not None:
            raise ManifestError(f"{display_url(target)}: refused: {problem}")
        kind: SourceKind = "feed" if feed else "url"
        location = target.strip()
        parts = urlsplit(location)
        stem = (parts.hostname or "url") + "-" + Path(parts.path).stem
    else:
        path = Path(target).expanduser()
        if not path.exists():
            raise ManifestError(f"{target}: refused: file not found")
        if not path.is_file():
            raise ManifestError(f"{target}: refused: not a regular file")
        resolved = path.resolve()
        if not resolved.is_relative_to(root):
            if not copy:
                raise ManifestError(
                    f"{target}: refused: outside the project ({root}); use --copy to copy it "
                    "under raw/added/"
                )
            resolved = _copy_into(resolved, root / "raw" / "added")
        kind = "file"
        location = resolved.relative_to(root).as_posix()
        stem = resolved.stem

    key = location_key(location, kind)
    for existing in manifest.sources:
        if location_key(existing.location, existing.kind) == key:
            raise ManifestError(f"{target}: refused: already in the manifest as {existing.id!r}")

    try:
        source = Source(
            id=_make_id(stem, taken),
            kind=kind,
            location=location,
            language=language,
            tags=sorted(set(tags or [])),
            max_items=max_items,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "entry"
        hint = " (an ISO 639-1 code such as en, ru, zh)" if field == "language" else ""
        raise ManifestError(
            f"{target}: refused: {field} {first.get('input')!r} is not valid{hint}: {first['msg']}"
        ) from exc
    manifest.sources.append(source)
    save_manifest(manifest_path, manifest)
    return source


def _copy_into(path: Path, folder: Path) -> Path:
    """Copy a file under ``folder``, streamed in chunks (memory stays bounded whatever its
    size); the name is sanitised and made unique by content hash."""
    folder.mkdir(parents=True, exist_ok=True)
    sweep_stale_temps(folder)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", path.name).lstrip(".") or "file"
    fd, tmp_name = temp_file(folder, safe)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = copy_regular_file(path, out, source=str(path))
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp_name, 0o644)  # an ordinary readable file, as a plain copy makes
        target = folder / f"{Path(safe).stem}-{digest[:8]}{Path(safe).suffix}"
        if target.exists():
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, target)
    except FetchError as exc:
        Path(tmp_name).unlink(missing_ok=True)
        raise ManifestError(f"{path}: refused: {exc.reason}") from exc
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target
