"""Bylines and credits: who wrote, photographed or edited a document.

A credit is a language's credit label and a colon ("Photo Credit: Special
Arrangement", "Фото: пресс-служба", "责任编辑：王伟") or a byline word at the start
of a short paragraph ("By Defence Industry Europe", "بقلم ..."); labels and words are
each language's ``credit_labels`` / ``byline_words`` in ``names.yaml``, the reference
language's apply in every text. A credit starts a paragraph or follows a
``credit_separators`` mark and ends at the next one or at the paragraph's end. Names
inside a credit are document metadata (``authors``), never people of the story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline import lang as lang_registry
from pipeline.people.models import name_patterns
from pipeline.people.places import REFERENCE_LANGUAGE


@dataclass(frozen=True)
class Credit:
    """A credit in a text: its whole extent (label included) and who it names."""

    start: int
    end: int
    who: str


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


@lru_cache(maxsize=16)
def _patterns(lang: str) -> tuple[re.Pattern[str], ...]:
    patterns = name_patterns()
    own = patterns.for_lang(lang)
    langs = [own, patterns.for_lang(REFERENCE_LANGUAGE)]
    labels = [w for p in langs for w in p.credit_labels]
    bylines = [w for p in langs for w in p.byline_words]
    separators = "".join(re.escape(s) for s in patterns.credit_separators)
    start = rf"(?:^|(?<=[{separators}]))\s*" if separators else r"^\s*"
    ends = "".join(re.escape(s) for s in patterns.credit_ends)
    rest = rf"(?P<who>[^{ends}\n]+)" if ends else r"(?P<who>[^\n]+)"
    gap = r"\s*" if own.name_parts_joined else r"\s+"
    out: list[re.Pattern[str]] = []
    if labels:
        out.append(re.compile(rf"{start}(?:{_alternation(labels)})\s*[:：]\s*{rest}", re.I))
    if bylines:
        out.append(re.compile(rf"{start}(?:{_alternation(bylines)}){gap}{rest}", re.I))
    return tuple(out)


def _words(text: str) -> int:
    return len(text.split())


_CLOSERS = {")": "(", "）": "（", "]": "["}


def _who(raw: str) -> tuple[str, int]:
    """The credited name and how much of ``raw`` the credit takes: a leading
    parenthesis ("(cc) Bayhaluk") left out, cut at a bracket that closes one opened
    before the credit ("(Photo: Reuters) ...")."""
    lead = re.match(r"\s*[(（\[][^)）\]]*[)）\]]\s*", raw)
    skip = lead.end() if lead else 0
    depth = 0
    length = len(raw)
    for i in range(skip, len(raw)):
        if raw[i] in _CLOSERS.values():
            depth += 1
        elif raw[i] in _CLOSERS:
            if depth == 0:
                length = i
                break
            depth -= 1
    return raw[skip:length].strip().strip(".,;:«»\"'“”"), length


def find_credits(text: str, lang: str) -> list[Credit]:
    """The credits of one paragraph ``text`` in ``lang``, left to right, not overlapping."""
    limit = name_patterns().credit_max_words
    found: list[Credit] = []
    for number, pattern in enumerate(_patterns(lang)):
        for match in pattern.finditer(text):
            who, length = _who(match.group("who"))
            if not who or _words(who) > limit:
                continue
            # a byline word opens a credit only before a name ("By contrast, ..." does
            # not): a capital letter, or any letter in a script without case
            if number == 1 and who[:1].islower():
                continue
            start = match.start() + len(match.group(0)) - len(match.group(0).lstrip())
            found.append(Credit(start, match.start("who") + length, who))
    found.sort(key=lambda c: (c.start, -c.end))
    kept: list[Credit] = []
    for credit in found:
        if not kept or credit.start >= kept[-1].end:
            kept.append(credit)
    return kept


lang_registry.on_change(_patterns.cache_clear)
