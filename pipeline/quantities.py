"""Quantities of weapons systems: number words per language and the number governing a mention.

Number words live in ``pipeline/data/numbers.yaml``. :func:`parse_number` reads a
whole number expression (digits in any script, or words); :func:`find_quantity`
finds the number that counts the units of a weapon mention: a few words to its
left within the same sentence ("six Kilo-class submarines", «шести подводных лодок
проекта 636.1», "6艘基洛级潜艇") or, modestly, a bracket right after it
("Su-30MK2 (12 units)"). Years, money, percentages, ordinals, decades and days of a
month are never quantities.

A quantity is read as the text states it (:class:`schemas.records.Quantity`): exact,
approximate ("about 30", «около 30», "khoảng 30", 约30架), a bound ("more than 20",
«понад 200», "hơn 20", "أكثر من 20", 逾百架; "up to 30"), a range ("8-12", "8 to 12",
«от 8 до 12», 8至12架) and the batch it belongs to ("the second batch of 12", «вторая
партия из 12», "lô thứ hai gồm 12", "الدفعة الثانية من 12", 第二批12架); 首架 and 第一架
are one unit. The words are each language's (``pipeline/lang/<code>/numbers.yaml``).
"""

from __future__ import annotations

import bisect
import dataclasses
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline import lang as lang_registry
from pipeline.language import script_word
from pipeline.refdata import check_patterns
from schemas.records import Quantity, QuantityQualifier

logger = logging.getLogger(__name__)


_DIGIT_GROUPS = re.compile(r"\d{1,3}(?:[,\u00a0\u202f ]\d{3})+|\d+")
_WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*|\S")
_SENTENCE_END = re.compile(r"[!?。！？؟;；\n]|\.(?=\s|$)")
# one token written as a range ("8-12", "8–12") or a count compound ("12-aircraft")
_RANGE_TOKEN = re.compile(r"(\d+)[-‐‑–](\d+)")
_COMPOUND_TOKEN = re.compile(r"(\d+)[-‐‑]([^\W\d_]+)")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_QUALIFIERS: tuple[QuantityQualifier, ...] = ("approximate", "at_least", "at_most")


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
    # how a number is stated (see pipeline/data/numbers.yaml)
    approximate: list[str] = Field(default_factory=list)
    at_least: list[str] = Field(default_factory=list)
    at_most: list[str] = Field(default_factory=list)
    at_least_after: list[str] = Field(default_factory=list)
    range_joiners: list[str] = Field(default_factory=list)
    range_pairs: dict[str, str] = Field(default_factory=dict)
    batch_words: list[str] = Field(default_factory=list)
    batch_ordinals: dict[str, int] = Field(default_factory=dict)
    ordinal_prefix: list[str] = Field(default_factory=list)
    first_one: list[str] = Field(default_factory=list)
    compound_units: list[str] = Field(default_factory=list)
    not_after: list[str] = Field(default_factory=list)

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
        self.qualifier_res = {name: _phrase_end_regex(getattr(data, name)) for name in _QUALIFIERS}
        self.at_least_after = list(data.at_least_after)
        self.range_joiners = {normalise_word(w) for w in data.range_joiners}
        self.range_pairs = {
            normalise_word(k): normalise_word(v) for k, v in data.range_pairs.items()
        }
        self.batch_words = [normalise_word(w) for w in data.batch_words]
        self.batch_ordinals = {
            " ".join(normalise_word(w) for w in k.split()): v
            for k, v in data.batch_ordinals.items()
        }
        self.ordinal_prefix = list(data.ordinal_prefix)
        self.first_one = list(data.first_one)
        self.compound_units = {normalise_word(w) for w in data.compound_units}
        self.not_after = {normalise_word(w) for w in data.not_after}
        self.max_phrase = max([len(k.split()) for k in self.phrases] + [4])
        self.word_values = set(self.units) | set(self.tens) | set(self.hundreds)
        self.word_values |= set(self.multipliers) | set(self.teen_suffix)
        chinese = "".join(sorted(set(self.digits) | self.tens_char | self.hundreds_char))
        self.first_re: re.Pattern[str] | None = None
        if chinese and self.measure_words:
            measures = "|".join(re.escape(m) for m in self.measure_words)
            barrier_chars = "".join(sorted(c for c in data.barriers if len(c) == 1))
            gap = f"[^\\d{re.escape(chinese)}{re.escape(barrier_chars)}，,。；;：:（）()]"
            number = f"[0-9０-９]+|[{re.escape(chinese)}]+"
            joiners = "|".join(re.escape(j) for j in sorted(data.range_joiners, key=len)[::-1])
            low = f"(?:(?P<lo>{number})\\s*(?:{joiners})\\s*)?" if joiners else ""
            more = "|".join(re.escape(m) for m in data.at_least_after)
            after = f"(?P<more>{more})?" if more else ""
            self.measure_re: re.Pattern[str] | None = re.compile(
                f"{low}(?P<n>{number}){after}\\s*(?:{measures}){gap}{{0,{self.max_gap}}}$"
            )
            if data.first_one:
                firsts = "|".join(re.escape(f) for f in data.first_one)
                self.first_re = re.compile(
                    f"(?P<n>{firsts})(?:{measures}){gap}{{0,{self.max_gap}}}$"
                )
        else:
            self.measure_re = None


def _phrase_end_regex(phrases: list[str]) -> re.Pattern[str] | None:
    """A regex for a normalised text that ends with one of ``phrases`` (then spaces).

    A phrase in a spaced script must start a word ("about", not "roundabout"); a Chinese
    one may follow any character (约, 逾)."""
    if not phrases:
        return None
    forms = sorted({" ".join(normalise_word(w) for w in p.split()) for p in phrases}, key=len)
    alternatives = []
    for form in reversed(forms):
        body = re.escape(form).replace("\\ ", "\\s+")
        lead = "" if _CJK.match(form) else r"(?<![^\W\d_])"
        alternatives.append(f"{lead}{body}")
    return re.compile(f"(?:{'|'.join(alternatives)})\\s*$", re.IGNORECASE)


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
    # a day of a month ("31 липня"), money, a share
    return not (after is not None and (after in tables.magnitude or after in lang.not_after))


@dataclass(frozen=True)
class _Token:
    surface: str
    norm: str
    start: int  # offsets in the text the tokens were read from
    end: int


@lru_cache(maxsize=4096)
def _normalise_char(char: str) -> str:
    return lang_registry.normalise_all(char).replace("ё", "е").replace("Ё", "Е")


def _normalised(text: str) -> tuple[str, list[int]]:
    """``text`` normalised by every language (character by character: the tables remove
    or replace single characters) and, per normalised character, its offset in ``text``."""
    out: list[str] = []
    where: list[int] = []
    for k, char in enumerate(text):
        norm = _normalise_char(char)
        out.append(norm)
        where.extend([k] * len(norm))
    where.append(len(text))
    return "".join(out), where


def _left_words(text: str) -> list[_Token]:
    """Each word or punctuation mark of ``text``, surface and normalised, with offsets."""
    return [
        _Token(m.group(0), normalise_word(m.group(0)), m.start(), m.end())
        for m in _WORD.finditer(text)
    ]


@dataclass(frozen=True)
class _Found:
    """A quantity found in a context: offsets of its expression there."""

    value: int
    start: int
    end: int
    high: int | None = None
    qualifier: QuantityQualifier = "exact"
    batch: int | None = None


def _number_ending_at(tokens: list[_Token], i: int, lang: _Lang) -> tuple[int, int] | None:
    """The longest number expression ending at token ``i``: (value, index of first token)."""
    best: tuple[int, int] | None = None
    for first in range(i, max(-1, i - lang.max_phrase), -1):
        surfaces = [t.surface for t in tokens[first : i + 1]]
        if not all(any(c.isalnum() for c in s) for s in surfaces):
            break
        value = _parse_digits(surfaces[0]) if first == i else None
        if value is None:
            value = _parse_words([t.norm for t in tokens[first : i + 1]], lang)
        if value is not None:
            best = (value, first)
    return best


def _clitic_digits(token: _Token, lang: _Lang) -> tuple[str, int] | None:
    """Digits behind a one-letter clitic ("و12": and 12): (the clitic, the value)."""
    for clitic in lang.clitics:
        rest = token.norm[len(clitic) :]
        if token.norm.startswith(clitic) and rest and rest.isdigit():
            return clitic, int(rest)
    return None


def _single_token(token: _Token, lang: _Lang) -> _Found | None:
    """A token that is a whole quantity: "8-12" (a range), "12-aircraft" (a count)."""
    match = _RANGE_TOKEN.fullmatch(token.surface)
    if match:
        low, high = int(match.group(1)), int(match.group(2))
        if low < high:
            return _Found(low, token.start, token.end, high=high, qualifier="range")
        return None
    match = _COMPOUND_TOKEN.fullmatch(token.surface)
    if match and normalise_word(match.group(2)) in lang.compound_units:
        return _Found(int(match.group(1)), token.start, token.end)
    return None


def _value_before(tokens: list[_Token], j: int, lang: _Lang) -> tuple[int, int] | None:
    """The number ending at token ``j`` (a word number or digits): (value, first index)."""
    if j < 0:
        return None
    return _number_ending_at(tokens, j, lang)


def _with_range(found: _Found, tokens: list[_Token], first: int, lang: _Lang) -> _Found:
    """ "8 to 12", "от 8 до 12", "between 8 and 12", "بين 8 و12": the low end before.

    A ``range_joiners`` word makes a range alone; the second word of a ``range_pairs``
    pair ("and" of "between ... and") only after the first."""
    j = first - 1
    joined = _clitic_digits(tokens[first], lang)
    if joined is not None:
        joiner = joined[0]
    elif j >= 0:
        joiner = tokens[j].norm
        j -= 1
    else:
        return found
    if joiner in lang.range_joiners:
        needs_opener = False
    elif joiner in lang.range_pairs.values():
        needs_opener = True
    else:
        return found
    low = _value_before(tokens, j, lang)
    if low is None or low[0] >= found.value:
        return found
    start_index = low[1]
    opener = tokens[start_index - 1].norm if start_index > 0 else ""
    if needs_opener and lang.range_pairs.get(opener) != joiner:
        return found  # "and" makes a range only after "between"
    if opener in lang.range_pairs:
        start_index -= 1  # "from 8 to 12", "от 8 до 12": the opener is part of it
    return _Found(low[0], tokens[start_index].start, found.end, high=found.value, qualifier="range")


def _qualified(found: _Found, context: str, lang: _Lang) -> _Found:
    """The qualifier written right before the number ("about", "more than", "до")."""
    if found.qualifier == "range":
        return found
    before = context[: found.start]
    for qualifier in _QUALIFIERS:
        regex = lang.qualifier_res.get(qualifier)
        match = regex.search(before) if regex is not None else None
        if match is not None:
            return dataclasses.replace(found, start=match.start(), qualifier=qualifier)
    return found


def _batch(found: _Found, tokens: list[_Token], lang: _Lang) -> _Found:
    """ "the second batch of 12", «вторая партия из 12», "lô thứ hai gồm 12"."""
    if not lang.batch_words:
        return found
    window: list[_Token] = []
    for token in reversed(tokens):
        if token.end > found.start:
            continue
        if not any(c.isalnum() for c in token.surface) or len(window) == 4:
            break
        window.insert(0, token)
    words = [t.norm for t in window]
    at = next(
        (
            k
            for k, w in enumerate(words)
            if any(
                w.startswith(b) or w[len(c) :].startswith(b)
                for b in lang.batch_words
                for c in ("", *lang.clitics)
            )
        ),
        None,
    )
    if at is None:
        return found
    ordinal = None
    for k in range(len(words)):
        for size in (2, 1):
            phrase = " ".join(words[k : k + size])
            if len(words[k : k + size]) == size and phrase in lang.batch_ordinals:
                ordinal = lang.batch_ordinals[phrase]
                break
        if ordinal is not None:
            break
    return dataclasses.replace(found, batch=ordinal) if ordinal is not None else found


def _quantity_left(context: str, tables: _Tables, lang: _Lang, max_words: int) -> _Found | None:
    tokens = [t for t in _left_words(context) if t.surface not in tables.transparent]
    words_seen = 0
    i = len(tokens) - 1
    while i >= 0 and words_seen <= max_words:
        token = tokens[i]
        if not any(c.isalnum() for c in token.surface):
            return None  # punctuation: a clause boundary
        single = _single_token(token, lang)
        if single is not None:
            before = tokens[i - 1].norm if i > 0 else None
            if not _acceptable(single.high or single.value, before, None, tables, lang):
                return None
            return _batch(_qualified(single, context, lang), tokens, lang)
        found = _number_ending_at(tokens, i, lang)
        joined = _clitic_digits(token, lang) if found is None else None
        if joined is not None:
            found = (joined[1], i)
        if found is not None:
            value, first = found
            before = tokens[first - 1].norm if first > 0 else None
            after = tokens[i + 1].norm if i + 1 < len(tokens) else None
            if tokens[first].norm in lang.needs_classifier and first == i:
                rest = " ".join(t.norm for t in tokens[i + 1 :])
                if not any(rest.startswith(c) for c in lang.classifiers):
                    return None
            result = _with_range(_Found(value, tokens[first].start, token.end), tokens, first, lang)
            if result.qualifier != "range" and not _acceptable(value, before, after, tables, lang):
                return None
            if result.qualifier == "range" and not _acceptable(value, None, after, tables, lang):
                return None
            return _batch(_qualified(result, context, lang), tokens, lang)
        if (
            any(c.isdigit() for c in token.surface)
            or token.norm in lang.barriers
            or token.norm in tables.currency
        ):
            return None
        words_seen += 1
        i -= 1
    return None


def _chinese_batch(context: str, start: int, lang: _Lang) -> int | None:
    """第二批 / 首批 right before ``start``: the batch's ordinal."""
    before = context[:start].rstrip()
    for word in lang.batch_words:
        if not before.endswith(word):
            continue
        head = before[: -len(word)]
        for first in lang.first_one:
            if head.endswith(first) and len(first) == 1:
                return 1
        for prefix in lang.ordinal_prefix:
            at = head.rfind(prefix)
            if at >= 0:
                return parse_number(head[at + len(prefix) :], lang.code)
    return None


def _quantity_measure(context: str, tables: _Tables, lang: _Lang) -> _Found | None:
    if lang.measure_re is None:
        return None
    if lang.first_re is not None:
        first = lang.first_re.search(context)
        if first is not None:  # 首架, 第一架: the first one
            return _Found(1, first.start(), first.end("n") + 1)
    match = lang.measure_re.search(context)
    if match is None:
        return None
    value = parse_number(match.group("n"), lang.code)
    low_text = match.group("lo") if "lo" in match.groupdict() else None
    low = parse_number(low_text, lang.code) if low_text else None
    start = match.start("lo") if low is not None else match.start("n")
    before = context[:start].rstrip()
    previous = before[-1:] if before else None
    if value is None or not _acceptable(value, previous, None, tables, lang):
        return None
    end = match.end("n")
    if low is not None and low < value:
        found = _Found(low, start, end, high=value, qualifier="range")
    else:
        found = _Found(value, match.start("n"), end)
        if match.groupdict().get("more"):  # 30余架, 30多架
            found = dataclasses.replace(found, end=match.end("more"), qualifier="at_least")
    found = _qualified(found, context, lang)
    batch = _chinese_batch(context, found.start, lang)
    return dataclasses.replace(found, batch=batch) if batch else found


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


def _leading_qualifier(words: list[str], lang: _Lang) -> tuple[QuantityQualifier, int]:
    """The qualifier the first words make ("lên đến 26", "около 30"): (it, how many words)."""
    for size in (3, 2, 1):
        if len(words) <= size:
            continue
        head = " ".join(words[:size])
        for qualifier in _QUALIFIERS:
            regex = lang.qualifier_res.get(qualifier)
            match = regex.search(head) if regex is not None else None
            if match is not None and match.start() == 0:
                return qualifier, size
    return "exact", 0


def _quantity_right(following: str, tables: _Tables, lang: _Lang) -> _Found | None:
    for pattern in lang.right:
        match = pattern.search(following)
        if match is None:
            continue
        words = match.group("n").rstrip(".,;:").split()
        qualifier, skip = _leading_qualifier(words, lang)
        words = words[skip:]
        while words:  # "12 единиц" -> "12"
            value = parse_number(" ".join(words), lang.code)
            if value is not None:
                if not _acceptable(value, None, None, tables, lang):
                    return None
                start = match.start("n")
                end = following.index(words[-1], start) + len(words[-1])
                return _Found(value, start, end, qualifier=qualifier)
            words.pop()
    return None


def _as_quantity(found: _Found, text: str) -> Quantity:
    return Quantity(
        value=found.value,
        high=found.high,
        qualifier=found.qualifier,
        batch=found.batch,
        text=text or None,
    )


def find_quantity_span(
    doc_or_text: Any,
    span_start: int,
    span_end: int,
    lang: str,
    *,
    max_words: int = 6,
    left_limit: int = 0,
    right_limit: int | None = None,
    sentences: Sequence[tuple[int, int]] | None = None,
) -> tuple[Quantity, int, int] | None:
    """The number of units of the weapon mentioned at ``[span_start, span_end)``, as
    stated, with the text offsets of the expression that states it.

    ``doc_or_text`` is a spaCy ``Doc`` (its sentences are used when parsed) or the
    text itself. Looks left, within the sentence and after ``left_limit`` (the end
    of the previous weapon mention), for a number at most ``max_words`` words away
    with no barrier word or punctuation in between; then right, before ``right_limit``
    (the start of the next weapon mention), for a count the language writes after the
    noun (a bracket, «в количестве 12», S-400防空导弹系统5个团). Chinese numbers count
    only before a measure word (艘 架 辆 ...). ``sentences``: sorted (start, end)
    character bounds of the Doc's sentences, computed once by the caller (finding them
    per mention walks the whole Doc each time).
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
    context, where = _normalised(text[left_from:span_start])
    found = None
    measured = _measure_language(language, context, tables)
    if measured is not None:
        found = _quantity_measure(context, tables, measured)
    # in a measure-word language, a number right before the mention counts only with one
    if found is None and not (language.measure_re and language.script.search(context[-1:])):
        found = _quantity_left(context, tables, language, max_words)
    base = left_from
    if found is None:
        stop = min(sent_end, span_end + 60)
        if right_limit is not None:
            stop = min(stop, max(span_end, right_limit))
        context, where = _normalised(text[span_end:stop])
        found = _quantity_right(context, tables, language)
        base = span_end
    if found is None:
        return None
    start, end = base + where[found.start], base + where[found.end]
    return _as_quantity(found, text[start:end].strip()), start, end


def find_quantity_detail(
    doc_or_text: Any, span_start: int, span_end: int, lang: str, **options: Any
) -> Quantity | None:
    """The quantity of :func:`find_quantity_span` (same options), without its offsets."""
    found = find_quantity_span(doc_or_text, span_start, span_end, lang, **options)
    return found[0] if found else None


def find_quantity(
    doc_or_text: Any, span_start: int, span_end: int, lang: str, **options: Any
) -> int | None:
    """The number of units (:func:`find_quantity_detail`'s value; None for a range)."""
    return quantity_value(find_quantity_detail(doc_or_text, span_start, span_end, lang, **options))


def quantity_value(quantity: Quantity | None) -> int | None:
    """The single number of units a quantity gives (records' ``quantity``): its value,
    none for a range."""
    if quantity is None or quantity.qualifier == "range":
        return None
    return quantity.value
