"""Exception hierarchy. Every error that concerns a source names it."""

from __future__ import annotations

from typing import Any


class OsintdeskError(Exception):
    """Base class for all osintdesk errors."""


class ConfigError(OsintdeskError):
    """Invalid options, manifest or reference data."""


class SourceError(OsintdeskError):
    """A source could not be processed. ``str()`` is one line: source and reason."""

    stage = "source"

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # picklable, so Prefect can move failures between processes
        return (type(self), (self.source, self.reason))

    def __str__(self) -> str:  # one line, whatever the reason contains
        reason = " ".join(self.reason.split())
        return f"{self.source}: {self.stage} failed: {reason}"


class FetchError(SourceError):
    """The bytes could not be obtained (network, HTTP status, size, type)."""

    stage = "fetch"


class DecodeError(SourceError):
    """The bytes are not text we can decode (binary, empty, undecodable)."""

    stage = "decode"


class CleanError(SourceError):
    """No main text could be extracted."""

    stage = "clean"


class ExtractError(SourceError):
    """Extraction failed on a document."""

    stage = "extract"


class ManifestError(ConfigError):
    """The sources manifest is invalid or an add request is refused."""


class ReviewError(OsintdeskError):
    """A review decision could not be applied (unknown id, bad field, conflict)."""


class ConflictError(ReviewError):
    """The record changed since the reviewer loaded it."""


class UserError(ReviewError):
    """A desk user cannot be added or removed (bad name, short password, unknown user)."""
