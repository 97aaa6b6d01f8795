"""Quantities of weapons systems: number words per language and the number governing a mention.

Number words live in ``pipeline/data/numbers.yaml``. :func:`parse_number` reads a
whole number expression (digits in any script, or words); :func:`find_quantity`
finds the number that counts the units of a weapon mention: a few words to its
left within the same sentence ("six Kilo-class submarines", «шести подводных лодок
проекта 636.1», "6艘基洛级潜艇") or, modestly, a bracket right after it
("Su-30MK2 (12 units)"). Years, money, percentages, ordinals and decades are never
quantities.
"""

from __future__ import annotations

import bisect
import logging
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline import lang as lang_registry
from pipeline.language import script_word
from pipeline.refdata import check_patterns

logger = logging.getLogger(__name__)


_DIGIT_GROUPS = re.compile(r"\d{1,3}(?:[,\u00a0\u202f ]\d{3})+|\d+")
_WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*|\S")
_SENTENCE_END = re.compile(r"[!?。！？؟;；\n]|\.(?=\s|$)")


@lru_cache(maxsize=8192)
def normalise_word(word: str) -> str:
    """Casefold; ё→е; each registry language's normalisation (lang/<code>/language.yaml)."""
    text = unicodedata.normalize("NFKC", word).casefold().replace("ё", "е")
    return lang_registry.normalise_all(text)


class LanguageNumbers(BaseModel):
    """Number words and quantity rules of one language."""

    model_config = ConfigDict(extra="forbid")

    units: dict[str, int] = Field(default_factory=dict)
    tens: dict[str, int] = Field(default_factory=dict)
    hundreds: dict[str, int] = Field(default_factory=dict)
    multipliers: dict[str, int] = Field(default_factory=dict)
    teen_suffix: dict[str, int] = Field(default_factory=dict)
    joiners: list[str] = Field(default_factory=list)
    phrases: dict[str, int] = Field(default_factory=dict)
    unit_before_ten: bool = False
    clitics: list[str] = Field(default_factory=list)
    barriers: list[str] = Field(default_factory=list)
    not_before: list[str] = Field(default_factory=list)
    classifiers: list[str] = Field(default_factory=list)
    needs_classifier: list[str] = Field(default_factory=list)
    right: list[str] = Field(default_factory=list)
    # Chinese
    digits: dict[str, int] = Field(default_factory=dict)
    tens_char: list[str] = Field(default_factory=list)
    hundreds_char: list[str] = Field(default_factory=list)
    measure_words: list[str] = Field(default_factory=list)
    max_gap: int = Field(6, ge=0)

    @field_validator("right")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        return check_patterns(value, groups=("n",))


class CommonNumbers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    currency_before: list[str]
    magnitude_after: list[str]
    transparent: list[str]
    year_min: int
    year_max: int
    max_quantity: int = Field(gt=0)


class NumbersData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    common: CommonNumbers
    languages: dict[str, LanguageNumbers]


class _Lang:
    """One language's tables, normalised once."""

    def __init__(self, code: str, data: LanguageNumbers) -> None:
        def norm(mapping: dict[str, int]) -> dict[str, int]:
            return {normalise_word(k): v for k, v in mapping.items()}

        self.code = code
        self.units = norm(data.units)
        self.tens = norm(data.tens)
        self.hundreds = norm(data.hundreds)
        self.multipliers = norm(data.multipliers)
        self.teen_suffix = norm(data.teen_suffix)
        self.joiners = {normalise_word(w) for w in data.joiners}
        self.phrases = {
            " ".join(normalise_word(w) for w in k.split()): v for k, v in data.phrases.items()
        }
        self.unit_before_ten = data.unit_before_ten
        self.clitics = [normalise_word(c) for c in data.clitics]
        self.barriers = {normalise_word(w) for w in data.barriers}
        self.not_before = {normalise_word(w) for w in data.not_before}
        self.classifiers = [normalise_word(w) for w in data.classifiers]
        self.needs_classifier = {normalise_word(w) for w in data.needs_classifier}
        # a word of the language's scripts (a Chinese number word next to a mention)
        self.script = script_word(code)
        self.right = [re.compile(p) for p in data.right]
        self.digits = dict(data.digits)
        self.tens_char = set(data.tens_char)
        self.hundreds_char = set(data.hundreds_char)
        self.measure_words = list(data.measure_words)
        self.max_gap = data.max_gap
        self.max_phrase = max([len(k.split()) for k in self.phrases] + [4])
        self.word_values = set(self.units) | set(self.tens) | set(self.hundreds)
        self.word_values |= set(self.multipliers) | set(self.teen_suffix)
        chinese = "".join(sorted(set(self.digits) | self.tens_char | self.hundreds_char))
        if chinese and self.measure_words:
            measures = "|".join(re.escape(m) for m in self.measure_words)
            barrier_chars = "".join(sorted(c for c in data.barriers if len(c) == 1))
            gap = f"[^\\d{re.escape(chinese)}{re.escape(barrier_chars)}，,。；;：:（）()]"
            self.measure_re: re.Pattern[str] | None = re.compile(
                f"(?P<n>[0-9０-９]+|[{re.escape(chinese)}]+)\\s*(?:{measures}){gap}{{0,{self.max_gap}}}$"
            )
        else:
            self.measure_re = None


class _Tables:
    def __init__(self, data: NumbersData) -> None:
        self.common = data.common
        self.languages = {code: _Lang(code, tables) for code, tables in data.languages.items()}
        self.currency = {normalise_word(w) for w in data.common.currency_before}
        self.magnitude = {normalise_word(w) for w in data.common.magnitude_after}
        self.transparent = set(data.common.transparent)


@lru_cache(maxsize=1)
def load_numbers() -> _Tables:
    """Load and validate ``pipeline/data/numbers.yaml`` once."""
    data = lang_registry.load_with_languages(NumbersData, "numbers.yaml", "numbers")
    return _Tables(data)


lang_registry.on_change(load_numbers.cache_clear)
lang_registry.on_change(normalise_word.cache_clear)


def _lang(lang: str) -> _Lang | None:
    tables = load_numbers()
    return tables.languages.get(lang.split("-")[0].lower())


def _parse_digits(text: str) -> int | None:
    """Digits in any script, with optional thousands separators (1,000 / 1 000)."""
    converted = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in text)
    if _DIGIT_GROUPS.fullmatch(converted):
        return int(re.sub(r"\D", "", converted))
    return None


def _parse_chinese(text: str, lang: _Lang) -> int | None:
    if not text or any(
        c not in lang.digits and c not in lang.tens_char and c not in lang.hundreds_char
        for c in text
    ):
        return None
    if all(c in lang.digits for c in text):  # 一二 written digit by digit
        return (
            int("".join(str(lang.digits[c]) for c in text)) if len(text) > 1 else lang.digits[text]
        )
    total, current = 0, 0
    for char in text:
        if char in lang.digits:
            current = lang.digits[char]
        elif char in lang.tens_char:
            total += (current or 1) * 10
            current = 0
        else:  # hundreds
            total += (current or 1) * 100
            current = 0
    return total + current


def _strip_clitic(word: str, lang: _Lang) -> str:
    if word in lang.word_values or word in lang.joiners:
        return word
    for clitic in lang.clitics:
        rest = word[len(clitic) :]
        if word.startswith(clitic) and rest in lang.word_values:
            return rest
    return word


def _parse_words(words: list[str], lang: _Lang) -> int | None:
    """Compose number words (already normalised) into a value, or None."""
    if not words:
        return None
    phrase = " ".join(words)
    if phrase in lang.phrases:
        return lang.phrases[phrase]
    words = [_strip_clitic(w, lang) for w in words]
    if words[0] in lang.joiners or words[-1] in lang.joiners:
        return None
    total = 0
    units: int | None = None
    tens: int | None = None
    for word in words:
        if word in lang.joiners:
            continue
        if word in lang.hundreds:
            if units is not None or tens is not None:
                return None
            total += lang.hundreds[word]
        elif word in lang.teen_suffix:
            if units is None and tens is None:
                units = lang.teen_suffix[word]
            elif units is not None and units < 10 and tens is None:
                units += lang.teen_suffix[word]
            else:
                return None
        elif word in lang.units:
            value = lang.units[word]
            if units is not None or (tens is not None and value >= 10):
                return None
            units = value
        elif word in lang.tens:
            if tens is not None:
                return None
            if units is not None and not (lang.unit_before_ten and units < 10):
                return None
            tens = lang.tens[word]
        elif word in lang.multipliers:
            factor = lang.multipliers[word]
            base = (tens or 0) + (units or 0) or 1
            if factor == 10:  # Vietnamese mươi: hai mươi = 20
                if tens is not None or base >= 10:
                    return None
                tens, units = base * 10, None
            else:
                total += base * factor
                units = tens = None
        else:
            return None
    return total + (tens or 0) + (units or 0)


def parse_number(text: str, lang: str) -> int | None:
    """The integer written by ``text`` (digits in any script or number words), else None.

    ``parse_number("двенадцати", "ru") == 12``, ``parse_number("اثنتي عشرة", "ar") == 12``,
    ``parse_number("hai mươi", "vi") == 20``, ``parse_number("十二", "zh") == 12``.
    Decimals and mixed tokens (``12th``, ``1990s``) are not numbers. Vietnamese
    ``năm`` parses as 5: whether it means "year" is decided by :func:`find_quantity`.
    """
    stripped = text.strip()
    if not stripped:
        return None
    value = _parse_digits(stripped)
    if value is not None:
        return value
    tables = _lang(lang)
    if tables is None:
        return None
    if tables.digits:
        chinese = _parse_chinese(stripped, tables)
        if chinese is not None:
            return chinese
    words = [normalise_word(w) for w in re.split(r"[\s\-‐‑]+", stripped) if w]
    return _parse_words(words, tables)


def _sentence_bounds(
    text: str,
    start: int,
    end: int,
    doc: Any,
    sentences: Sequence[tuple[int, int]] | None = None,
) -> tuple[int, int]:
    if sentences:
        index = bisect.bisect_right(sentences, (start, len(text) + 1)) - 1
        if index >= 0 and sentences[index][0] <= start < sentences[index][1]:
            return sentences[index][0], max(sentences[index][1], end)
    if doc is not None and doc.has_annotation("SENT_START"):
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is not None:
            return span.sent.start_char, span.sent.end_char
    left = 0
    for match in _SENTENCE_END.finditer(text, max(0, start - 400), start):
        left = match.end()
    stop = _SENTENCE_END.search(text, end, min(len(text), end + 400))
    return left, stop.start() if stop else min(len(text), end + 400)


def _acceptable(
    value: int, before: str | None, after: str | None, tables: _Tables, lang: _Lang
) -> bool:
    common = tables.common
    if value <= 0 or value > common.max_quantity:
        return False
    if common.year_min <= value <= common.year_max:
        return False
    if before is not None and (before in tables.currency or before in lang.not_before):
        return False
    return not (after is not None and after in tables.magnitude)


def _left_words(text: str) -> list[tuple[str, str]]:
    """(surface, normalised) of each word or punctuation mark."""
    return [(m.group(0), normalise_word(m.group(0))) for m in _WORD.finditer(text)]


def _quantity_left(context: str, tables: _Tables, lang: _Lang, max_words: int) -> int | None:
    tokens = _left_words(lang_registry.normalise_all(context))
    tokens = [t for t in tokens if t[0] not in tables.transparent]
    words_seen = 0
    i = len(tokens) - 1
    while i >= 0 and words_seen <= max_words:
        surface, word = tokens[i]
        if not any(c.isalnum() for c in surface):
            return None  # punctuation: a clause boundary
        found = _number_ending_at(tokens, i, lang)
        if found is not None:
            value, first = found
            before = tokens[first - 1][1] if first > 0 else None
            after = tokens[i + 1][1] if i + 1 < len(tokens) else None
            if tokens[first][1] in lang.needs_classifier and first == i:
                rest = " ".join(t[1] for t in tokens[i + 1 :])
                if not any(rest.startswith(c) for c in lang.classifiers):
                    return None
            if not _acceptable(value, before, after, tables, lang):
                return None
            return value
        if any(c.isdigit() for c in surface) or word in lang.barriers or word in tables.currency:
            return None
        words_seen += 1
        i -= 1
    return None


def _number_ending_at(tokens: list[tuple[str, str]], i: int, lang: _Lang) -> tuple[int, int] | None:
    """The longest number expression ending at token ``i``: (value, index of first token)."""
    best: tuple[int, int] | None = None
    for first in range(i, max(-1, i - lang.max_phrase), -1):
        surfaces = [t[0] for t in tokens[first : i + 1]]
        if not all(any(c.isalnum() for c in s) for s in surfaces):
            break
        value = _parse_digits(surfaces[0]) if first == i else None
        if value is None:
            value = _parse_words([t[1] for t in tokens[first : i + 1]], lang)
        if value is not None:
            best = (value, first)
    return best


def _quantity_measure(context: str, tables: _Tables, lang: _Lang) -> int | None:
    if lang.measure_re is None:
        return None
    match = lang.measure_re.search(context)
    if match is None:
        return None
    text = match.group("n")
    value = parse_number(text, lang.code)
    before = context[: match.start()].rstrip()
    previous = before[-1:] if before else None
    if value is None or not _acceptable(value, previous, None, tables, lang):
        return None
    return value


def _measure_language(language: _Lang, context: str, tables: _Tables) -> _Lang | None:
    """The language whose measure words count here: the text's own when it has them, else
    one written in the script of the last characters before the mention (6艘 in a
    sentence of another language)."""
    if language.measure_re is not None:
        return language
    for other in tables.languages.values():
        if other.measure_re is not None and other.script.search(context[-3:]):
            return other
    return None


def _quantity_right(following: str, tables: _Tables, lang: _Lang) -> int | None:
    for pattern in lang.right:
        match = pattern.search(following)
        if match is None:
            continue
        words = match.group("n").rstrip(".,;:").split()
        while words:  # "12 единиц" -> "12"
            value = parse_number(" ".join(words), lang.code)
            if value is not None:
                return value if _acceptable(value, None, None, tables, lang) else None
            words.pop()
    return None


def find_quantity(
    doc_or_text: Any,
    span_start: int,
    span_end: int,
    lang: str,
    *,
    max_words: int = 6,
    left_limit: int = 0,
    sentences: Sequence[tuple[int, int]] | None = None,
) -> int | None:
    """The number of units of the weapon mentioned at ``[span_start, span_end)``.

    ``doc_or_text`` is a spaCy ``Doc`` (its sentences are used when parsed) or the
    text itself. Looks left, within the sentence and after ``left_limit`` (the end
    of the previous weapon mention), for a number at most ``max_words`` words away
    with no barrier word or punctuation in between; then right for a bracketed
    count. Chinese numbers count only before a measure word (艘 架 辆 ...).
    ``sentences``: sorted (start, end) character bounds of the Doc's sentences, computed
    once by the caller (finding them per mention walks the whole Doc each time).
    """
    doc = None if isinstance(doc_or_text, str) else doc_or_text
    text: str = doc_or_text if isinstance(doc_or_text, str) else doc_or_text.text
    tables = load_numbers()
    language = _lang(lang)
    if language is None:
        logger.debug("no number words for language %s; digits only", lang)
        language = tables.languages.get("en")
        if language is None:
            return None
    sent_start, sent_end = _sentence_bounds(text, span_start, span_end, doc, sentences)
    left_from = max(sent_start, left_limit, span_start - 160)
    context = text[left_from:span_start]
    value = None
    measured = _measure_language(language, context, tables)
    if measured is not None:
        value = _quantity_measure(context, tables, measured)
    # in a measure-word language, a number right before the mention counts only with one
    if value is None and not (language.measure_re and language.script.search(context[-1:])):
        value = _quantity_left(context, tables, language, max_words)
    if value is None:
        value = _quantity_right(text[span_end : min(sent_end, span_end + 60)], tables, language)
    return value
