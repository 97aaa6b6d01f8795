"""Stable identifiers: slugs of canonical names and hashes of canonical parts."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_ALNUM = re.compile(r"[\W_]+")


def slug(text: str) -> str:
    """Lowercase ``text`` with every run of non-alphanumerics replaced by ``-``.

    Letters of any script count as alphanumerics (an Arabic or Chinese name keeps
    its letters); leading and trailing dashes are dropped. ``slug("Project 636.1")``
    is ``"project-636-1"``. A text without any letter or digit gives ``""``.
    """
    normalised = unicodedata.normalize("NFC", text).lower()
    return _NON_ALNUM.sub("-", normalised).strip("-")


def hash_id(prefix: str, *parts: str) -> str:
    """``prefix:`` and the first 16 hex digits of sha256 of ``parts`` joined by U+001F."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"{prefix}:{digest[:16]}"
