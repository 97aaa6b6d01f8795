"""spaCy helpers: ship names and country abbreviations, which are never people.

Ship names are recognised by their context (after a ship word or a hull number, per
language in ``names.yaml``); Chinese country abbreviations ("越方", "苏越") by the
language's ``country_abbreviations``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from spacy.tokens import Doc

from pipeline import lang as lang_registry
from pipeline.people.models import name_patterns

_QUOTES = "\\s\"'“”«»„‘’「」『』"


@dataclass(frozen=True)
class ShipCues:
    """Compiled ship-name context patterns of one language (see ``name_patterns.yaml``)."""

    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    hull: re.Pattern[str] | None
    joiner: re.Pattern[str] | None
    hull_after: re.Pattern[str] | None = None

    def is_ship(self, doc: Doc, start_char: int, end_char: int) -> bool:
        """Whether the name at doc.text[start_char:end_char] is a ship's name."""
        return self.is_ship_text(doc.text, start_char, end_char)

    def is_ship_text(self, text: str, start_char: int, end_char: int) -> bool:
        """Whether the name at text[start_char:end_char] is a ship's name."""
        if self.hull is not None and self.hull.match(text, start_char, end_char):
            return True
        # one character more than the cues need, so a word boundary is seen
        window = text[max(0, start_char - 81) : start_char]
        if self.before is not None and self.before.search(window):
            return True
        # a hull number right after the name: "Đinh Tiên Hoàng (HQ-011)"
        if self.hull_after is not None and self.hull_after.match(text, end_char):
            return True
        return self.after is not None and bool(self.after.match(text[end_char : end_char + 40]))

    def joined(self, doc: Doc, previous_end: int, start_char: int) -> bool:
        """Whether only a list joiner ("and", "và", ",") separates two names."""
        if self.joiner is None or previous_end < 0 or previous_end > start_char:
            return False
        return bool(self.joiner.fullmatch(doc.text[previous_end:start_char]))


@lru_cache(maxsize=8)
def ship_cues(lang: str) -> ShipCues:
    patterns = name_patterns()
    lang_patterns = patterns.for_lang(lang)
    lead = r"(?<!\w)" if lang_patterns.ship_cue_boundary else ""
    alternatives: list[str] = []
    if lang_patterns.ship_cues_before:
        cues = "|".join(f"(?:{c})" for c in lang_patterns.ship_cues_before)
        alternatives.append(f"{lead}(?:{cues})")
    if patterns.hull_number:
        alternatives.append(rf"(?<!\w)(?:{patterns.hull_number})")
    before = (
        re.compile(f"(?:{'|'.join(alternatives)})[{_QUOTES}]*$", re.IGNORECASE)
        if alternatives
        else None
    )
    after = None
    if lang_patterns.ship_cues_after:
        cues = "|".join(f"(?:{c})" for c in lang_patterns.ship_cues_after)
        gap = f"\\w{{0,{lang_patterns.ship_cue_gap}}}" if lang_patterns.ship_cue_gap else ""
        tail = r"(?!\w)" if lang_patterns.ship_cue_boundary else ""
        after = re.compile(f"[{_QUOTES}]*{gap}(?:{cues}){tail}", re.IGNORECASE)
    hull = re.compile(rf"(?:{patterns.hull_number})(?!\w)") if patterns.hull_number else None
    joiner = None
    if lang_patterns.ship_list_joiners:
        words = "|".join(re.escape(j) for j in lang_patterns.ship_list_joiners)
        joiner = re.compile(rf"\s*(?:{words})(?:\s*(?:{words}))?\s*", re.IGNORECASE)
    hull_after = None
    if patterns.hull_number:
        hull_after = re.compile(rf"[{_QUOTES}]*[(（,，]?\s*(?:{patterns.hull_number})(?!\w)")
    return ShipCues(before, after, hull, joiner, hull_after)


def is_country_abbreviation(text: str, lang: str) -> bool:
    """Chinese "越方", "苏越", "中方": country abbreviations, never a person."""
    patterns = name_patterns().for_lang(lang)
    letters = set(patterns.country_abbreviations)
    if not letters:
        return False
    for suffix in patterns.abbreviation_suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    return 1 <= len(text) <= 2 and all(c in letters for c in text)


lang_registry.on_change(ship_cues.cache_clear)
