"""Word-level differences between two versions of a record's evidence.

Words are runs of letters and digits; characters of wide scripts (Han, kana,
Hangul: Unicode East Asian width W or F), which are written without spaces,
are one word each, so a changed Chinese character shows as one change.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Literal

Op = Literal["same", "removed", "added"]
_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def _split_wide(token: str) -> list[str]:
    out: list[str] = []
    run = ""
    for char in token:
        if unicodedata.east_asian_width(char) in ("W", "F"):
            if run:
                out.append(run)
                run = ""
            out.append(char)
        else:
            run += char
    return [*out, run] if run else out


def words(text: str) -> list[str]:
    """``text`` as diff tokens; joined back they give ``text`` exactly."""
    return [part for token in _TOKEN.findall(text) for part in _split_wide(token)]


def word_diff(old: str, new: str) -> list[tuple[Op, str]]:
    """(op, text) segments turning ``old`` into ``new``; adjacent segments never share an op."""
    a, b = words(old), words(new)
    segments: list[tuple[Op, str]] = []

    def push(op: Op, text: str) -> None:
        if not text:
            return
        if segments and segments[-1][0] == op:
            segments[-1] = (op, segments[-1][1] + text)
        else:
            segments.append((op, text))

    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            push("same", "".join(a[i1:i2]))
            continue
        push("removed", "".join(a[i1:i2]))
        push("added", "".join(b[j1:j2]))
    return segments
