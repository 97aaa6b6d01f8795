"""Date expressions: finding them in text and normalising them to EDTF values.

Spans are found by per-language patterns built from ``pipeline/data/dates.yaml``
(month names in all their forms, seasons, weekdays, relative words, decades,
centuries). Each match is turned into an EDTF-style value with its precision:

==============  =====================  ==========================================
precision       value                  examples
==============  =====================  ==========================================
day             ``2014-11-27``         27 November 2014, 2014年11月27日, hôm qua
month           ``2014-11``            в ноябре 2014 года, tháng 11 năm 2014
season          ``2014-22``            summer 2014 (EDTF 21 spring … 24 winter)
quarter         ``2014-35``            Q3 2014 (EDTF level-2 codes 33–36 = Q1–Q4)
year            ``2014``               в 2014 году, năm ngoái, 去年
decade          ``199X``               the 1990s, 九十年代, التسعينيات
century         ``19XX``               the 20th century, XX века, 20世纪
range           ``2014/2017``          from 2014 to 2017, 2014年至2017年; weeks
                                       ("this week") are day ranges Monday/Sunday
unknown         ``None``               relative date without an anchor, vague
                                       references ("the past", "at the time")
==============  =====================  ==========================================

Choices worth knowing:

* "early/mid/late" modifiers are kept in the span but dropped from the value:
  "early 1920s" is ``192X`` (decade), "late 2011" is ``2011`` — the way TimeML
  records them (``mod`` attribute, same value).
* Relative expressions ("yesterday", "в прошлом году", "năm ngoái", "去年",
  "العام الماضي", weekdays, a month without a year) are resolved against the
  anchor (the document's publication date, never today's date) and marked
  ``anchored``; without an anchor they stay ``value=None``, precision ``unknown``.
  A month or weekday without a year is the latest one on or before the anchor.
* "this week", "last week" and "N weeks ago" are ranges of days, Monday to
  Sunday (EDTF has no week values). Hours and minutes ("2 hours ago") resolve
  to the anchor day. "the last day" is not "yesterday" (no day from last/next +
  day). Decades of "the last century" (ستينيات القرن الماضي, 上世纪80年代) use
  the anchor's century, or the 20th century when there is no anchor.
* A bare four-digit number is a year only between 1900 and 2100 and only when it
  is not followed by a unit or currency word nor preceded by a designation word
  ("Project 2020", "$2014", "2014 troops" are not dates); it may still open or
  close a range with a real date. A bare one- or two-digit number is never a
  date, and neither is anything inside a URL.
* Ranges: "from X to Y", "X–Y", "between X and Y", "с X по Y", "từ X đến Y",
  "X至Y", "من X إلى Y", day ranges ("21–23 May 2023"); the start borrows the
  end's year when it has none ("from May to July 2014"). Russian spans keep their
  leading preposition ("в 2011 году", "с 2014 по 2017 год"), as the gold does.
* "now", "currently" (``present`` words) and vague references ("the past", "at
  the time") are understood by :func:`normalise_date` (anchor day / unresolved)
  but never emitted as spans by :func:`find_dates`: they date nothing.
* ``dateparser`` is used only by :func:`normalise_date` as a fallback for a span
  the patterns do not cover, with the language fixed and the anchor as
  ``RELATIVE_BASE``; its precision comes from its own ``period``, and a result
  whose year contradicts a year written in the text is refused (the «2012 года»
  → year 14 trap).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pipeline import calendars
from pipeline import lang as lang_registry
from pipeline.errors import ConfigError
from pipeline.extensions import doc_text, register_extensions
from schemas.edtf import Edtf, EdtfError, parse_or_none
from schemas.records import DatePrecision

log = logging.getLogger(__name__)

COMPONENT = "osintdesk_dates"

# Arabic-Indic, Persian and full-width digits map one-to-one onto ASCII digits,
# so offsets in the translated text are offsets in the original.
_DIGITS = str.maketrans(
    "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９", "012345678901234567890123456789"
)
_ZH_DIGITS = {
    "〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3,
    "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_SEASON_MONTHS = {1: (3, 5), 2: (6, 8), 3: (9, 11), 4: (12, 2)}


# --------------------------------------------------------------------------- data


class _Pattern(BaseModel):
    model_config = ConfigDict(extra="forbid")
    re: str
    weak: bool = False


Calendar = Literal["hijri", "solar_hijri"]


class _CalendarData(BaseModel):
    """Dates of another calendar: the markers after the year ("هـ", "هـ.ش"), the month
    names (Hijri), and the years taken as that calendar's (a bare 2018 never is)."""

    model_config = ConfigDict(extra="forbid")
    markers: list[str] = Field(min_length=1)
    months: dict[int, list[str]] = {}
    years: tuple[int, int]


class _LangData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    left: str
    right: str
    year: str | None = None
    day: str | None = None
    mnum: str | None = None
    months: dict[int, list[str]]
    month_numbers_in_names: bool = False
    month_only_needs_capital: bool = False
    ambiguous_months: list[str] = []
    month_context: list[str] = []
    seasons: dict[int, list[str]]
    weekdays: dict[int, list[str]]
    relmods: dict[str, int]
    relative: dict[str, tuple[str, int]]
    units: dict[str, tuple[str, int]]
    numbers: dict[str, int | None]
    ordinals: dict[str, int]
    decade_words: dict[str, int]
    century_rel: dict[str, int]
    mods: list[str]
    present: list[str]
    vague: list[str]
    year_before_blockers: list[str]
    year_after_blockers: list[str]
    fillers: list[str]
    range_prefix: list[str]
    range_infix: list[str]
    range_and: list[str]
    and_prefix: list[str]
    clitics: str = ""
    # words and marks that make a date opening a paragraph its dateline (pipeline.published)
    dateline_cues: list[str] = []
    # other calendars written in this language (pipeline/calendars.py)
    calendars: dict[Calendar, _CalendarData] = {}
    patterns: list[_Pattern] = Field(min_length=1)


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: str
    day: str
    mnum: str
    iso: list[str]
    dash: str


class _DatesData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    common: _Common
    languages: dict[str, _LangData]


@dataclass(frozen=True)
class _Grammar:
    """Compiled patterns and lookup tables of one language."""

    lang: str
    data: _LangData
    patterns: tuple[tuple[re.Pattern[str], bool], ...]
    lookup: dict[str, dict[str, Any]]
    before_block: re.Pattern[str]
    after_block: re.Pattern[str]
    range_gap: re.Pattern[str]
    range_and_gap: re.Pattern[str] | None
    range_prefix: re.Pattern[str]
    and_prefix: re.Pattern[str]
    present: frozenset[str]
    vague: frozenset[str]
    fillers: frozenset[str]
    vocab_words: re.Pattern[str]


def _key(text: str) -> str:
    return " ".join(text.casefold().rstrip(".").split())


def _alternation(words: list[str]) -> str:
    """Regex alternation of phrases, longest first; spaces match any whitespace."""
    parts = sorted({w for w in words if w}, key=lambda w: (-len(w), w))
    return "|".join(r"\s+".join(re.escape(p) for p in w.split()) for w in parts)


def _group(name: str, words: list[str], extra: str = "") -> str:
    alt = _alternation(words)
    if extra:
        alt = f"{extra}|{alt}" if alt else extra
    return f"(?P<{name}>{alt or '(?!x)x'})"


@lru_cache(maxsize=1)
def _data() -> _DatesData:
    return lang_registry.load_with_languages(_DatesData, "dates.yaml", "dates")


_SPACED_LETTER = re.compile(r"[^\W\d_\u3040-\u30ff\u3400-\u9fff]")


@lru_cache(maxsize=32)
def dateline_cues(lang: str) -> re.Pattern[str] | None:
    """The language's dateline cues ("/ТАСС/", "讯", "AFP") as one pattern, or None."""
    ld = _data().languages.get(_is_lang(lang))
    if ld is None or not ld.dateline_cues:
        return None
    parts = []
    for cue in sorted(ld.dateline_cues, key=len, reverse=True):
        body = r"\s+".join(re.escape(w) for w in cue.split())
        # a cue that starts or ends with a letter of a spaced script is a whole word
        left = r"(?<!\w)" if _SPACED_LETTER.match(cue[0]) else ""
        right = r"(?!\w)" if _SPACED_LETTER.match(cue[-1]) else ""
        parts.append(left + body + right)
    return re.compile("|".join(parts), re.IGNORECASE)


def supported_languages() -> list[str]:
    """Languages with date patterns."""
    return sorted(_data().languages)


def _substitutions(ld: _LangData, common: _Common) -> dict[str, str]:
    """What each ``{NAME}`` of a pattern template stands for in this language."""
    months = [w for ws in ld.months.values() for w in ws]
    month_extra = r"1[0-2]|0?[1-9]" if ld.month_numbers_in_names else ""
    ordinals = list(ld.ordinals)
    return {
        "L": ld.left,
        "R": ld.right,
        "YEAR": ld.year or common.year,
        "DAY": ld.day or common.day,
        "MNUM": ld.mnum or common.mnum,
        "NMONTH": r"(?P<month>1[0-2]|0?[1-9])(?!\d)",
        "NYEAR": r"(?P<year>1\d{3}|20\d{2})(?!\d)",
        "MONTH": _group("month", months, month_extra),
        "MONTHALT": f"(?:\\s*[/(-]\\s*(?:{_alternation(months) or '(?!x)x'})\\s*\\)?)?",
        "MONTHNC": f"(?:{_alternation(months) or '(?!x)x'})",
        "SEASON": _group("season", [w for ws in ld.seasons.values() for w in ws]),
        "WEEKDAY": _group("weekday", [w for ws in ld.weekdays.values() for w in ws]),
        "RELMOD": _group("relmod", list(ld.relmods)),
        "REL": _group("rel", list(ld.relative)),
        "NUM": _group("num", list(ld.numbers), r"\d+"),
        "UNIT": _group("unit", list(ld.units)),
        "MOD": _group("mod", ld.mods),
        "QUARTER": _group("quarter", ordinals, r"[1-4]"),
        "DAYORD": _group("day", ordinals),
        "DECADEWORD": _group("decade2", list(ld.decade_words)),
        "CENTURY": _group("century", ordinals, r"\d{1,2}"),
        "CENTREL": _group("centrel", list(ld.century_rel)),
    }


def _compile_patterns(
    lang: str, ld: _LangData, common: _Common
) -> tuple[tuple[re.Pattern[str], bool], ...]:
    """The ISO patterns and the language's own, templates filled in, with their weak flag."""
    subs = _substitutions(ld, common)
    templates = [(t, False) for t in common.iso] + [(p.re, p.weak) for p in ld.patterns]
    compiled: list[tuple[re.Pattern[str], bool]] = []
    for template, weak in templates:
        source = re.sub(r"\{([A-Z]+)\}", lambda m: subs[m.group(1)], template)
        try:
            compiled.append((re.compile(source, re.IGNORECASE), weak))
        except re.error as exc:
            raise ConfigError(
                f"pipeline/data/dates.yaml: {lang}: bad pattern {template!r}: {exc}"
            ) from exc
    return tuple(compiled)


def _lookup(ld: _LangData) -> dict[str, dict[str, Any]]:
    """Word → value tables of the named groups, keyed by :func:`_key`."""
    return {
        "month": {_key(w): m for m, ws in ld.months.items() for w in ws},
        "season": {_key(w): s for s, ws in ld.seasons.items() for w in ws},
        "weekday": {_key(w): d for d, ws in ld.weekdays.items() for w in ws},
        "relmod": {_key(w): v for w, v in ld.relmods.items()},
        "rel": {_key(w): v for w, v in ld.relative.items()},
        "num": {_key(w): v for w, v in ld.numbers.items()},
        "unit": {_key(w): v for w, v in ld.units.items()},
        "ordinal": {_key(w): v for w, v in ld.ordinals.items()},
        "decade": {_key(w): v for w, v in ld.decade_words.items()},
        "centrel": {_key(w): v for w, v in ld.century_rel.items()},
    }


def _before_words(boundary: str, words: list[str]) -> re.Pattern[str]:
    """One of ``words`` right before a date (at the end of the text before it)."""
    return re.compile(f"{boundary}(?:{_alternation(words) or '(?!x)x'})\\s*$", re.IGNORECASE)


@lru_cache(maxsize=16)
def _grammar(lang: str) -> _Grammar:
    data = _data()
    if lang not in data.languages:
        raise ConfigError(
            f"dates: no date patterns for language {lang!r}; known: {supported_languages()}"
        )
    ld = data.languages[lang]
    boundary_l = ld.left or ""
    before = "|".join(ld.year_before_blockers)
    after = "|".join(ld.year_after_blockers)
    end_word = r"(?!\w)" if ld.right else ""
    dash = data.common.dash
    infix = _alternation(ld.range_infix)
    gap = f"^(?:{dash}|\\s*(?:{infix})\\s*)$" if infix else f"^(?:{dash})$"
    and_gap = _alternation(ld.range_and)
    vocab = (
        [w for ws in ld.months.values() for w in ws]
        + [w for ws in ld.weekdays.values() for w in ws]
        + [w for ws in ld.seasons.values() for w in ws]
        + list(ld.relative)
    )
    return _Grammar(
        lang=lang,
        data=ld,
        patterns=_compile_patterns(lang, ld, data.common),
        lookup=_lookup(ld),
        before_block=re.compile(f"(?:{boundary_l}(?:{before}))\\s*$", re.IGNORECASE),
        after_block=re.compile(f"^\\s*(?:{after}){end_word}", re.IGNORECASE),
        range_gap=re.compile(gap, re.IGNORECASE),
        range_and_gap=re.compile(f"^\\s*(?:{and_gap})\\s*$", re.IGNORECASE) if and_gap else None,
        range_prefix=_before_words(boundary_l, ld.range_prefix),
        and_prefix=_before_words(boundary_l, ld.and_prefix),
        present=frozenset(_key(w) for w in ld.present),
        vague=frozenset(_key(w) for w in ld.vague),
        fillers=frozenset(_key(w) for w in ld.fillers),
        vocab_words=re.compile(
            f"{boundary_l}(?:{_alternation(vocab) or '(?!x)x'}){end_word}", re.IGNORECASE
        ),
    )


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class DateValue:
    """A normalised date: EDTF-style ``value`` (or None), precision, anchored flag."""

    value: str | None
    precision: DatePrecision
    anchored: bool = False
    calendar: Calendar | None = None  # converted from this calendar (None: Gregorian)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "value": self.value,
            "precision": self.precision,
            "anchored": self.anchored,
        }
        if self.calendar is not None:
            out["calendar"] = self.calendar
        return out


UNRESOLVED = DateValue(None, "unknown", False)


@dataclass(frozen=True)
class DateMention:
    """A date expression found in a text: ``text == source[start:end]``."""

    start: int
    end: int
    text: str
    value: str | None
    precision: DatePrecision
    anchored: bool
    calendar: Calendar | None = None

    @property
    def date(self) -> DateValue:
        return DateValue(self.value, self.precision, self.anchored, self.calendar)


@dataclass(frozen=True)
class _Parsed:
    """Fields read from one pattern match."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    season: int | None = None
    quarter: int | None = None
    decade: int | None = None
    decade2: int | None = None
    century: int | None = None
    centrel: int | None = None
    weekday: int | None = None
    relmod: int | None = None
    rel: tuple[str, int] | None = None
    unit: tuple[str, int] | None = None
    num: int | None = None
    has_num: bool = False
    later: bool = False
    day0: int | None = None


def _zh_number(text: str) -> int | None:
    """Chinese numerals: digit by digit (二〇一四) or with 十 (二十七, 十一, 九十)."""
    if not text:
        return None
    if "十" not in text:
        if all(c in _ZH_DIGITS for c in text):
            value = 0
            for c in text:
                value = value * 10 + _ZH_DIGITS[c]
            return value
        return None
    tens_part, _, units_part = text.partition("十")
    tens = _ZH_DIGITS.get(tens_part, -1) if tens_part else 1
    units = _ZH_DIGITS.get(units_part, -1) if units_part else 0
    if tens < 0 or units < 0:
        return None
    return tens * 10 + units


def _roman(text: str) -> int | None:
    text = text.upper()
    if not text or any(c not in _ROMAN for c in text):
        return None
    total = 0
    for i, c in enumerate(text):
        value = _ROMAN[c]
        if i + 1 < len(text) and _ROMAN[text[i + 1]] > value:
            total -= value
        else:
            total += value
    return total


def _number(text: str, table: dict[str, Any] | None = None) -> int | None:
    text = text.strip()
    if text.isdigit():
        return int(text)
    if table is not None and _key(text) in table:
        value = table[_key(text)]
        return value if isinstance(value, int) else None
    return _zh_number(text) or _roman(text)


def _parse(groups: dict[str, str | None], grammar: _Grammar) -> _Parsed | None:
    """Turn the named groups of a match into fields; None when a part is unreadable."""
    lk = grammar.lookup
    fields: dict[str, Any] = {}
    for name, raw in groups.items():
        if raw is None:
            continue
        if name in ("year", "day", "decade", "day0"):
            value = _number(raw, lk["ordinal"] if name == "day" else None)
        elif name == "month":
            value = _number(raw) if raw.strip().isdigit() else lk["month"].get(_key(raw))
            if value is None:
                value = _zh_number(raw.strip())
        elif name in ("season", "weekday", "relmod", "centrel"):
            value = lk[name].get(_key(raw))
        elif name in ("rel", "unit"):
            entry = lk[name].get(_key(raw))
            if entry is None:
                return None
            fields[name] = (str(entry[0]), int(entry[1]))
            continue
        elif name == "num":
            fields["has_num"] = True
            value = _number(raw, lk["num"])
            if value is None and _key(raw) in lk["num"]:
                continue  # "several days ago": a count we do not know
        elif name == "later":
            fields["later"] = True
            continue
        elif name == "quarter":
            value = _number(raw, lk["ordinal"])
        elif name == "decade2":
            value = lk["decade"].get(_key(raw)) if not raw.isdigit() else int(raw)
            if value is None:
                value = _zh_number(raw)
        elif name == "century":
            value = _number(raw, lk["ordinal"])
        else:
            continue  # mod and other non-value groups
        if value is None:
            return None
        fields[name] = value
    return _Parsed(**fields)


def week_range(day: dt.date) -> str:
    """The week of ``day``, Monday to Sunday, as a range of days (EDTF has no weeks)."""
    monday = day - dt.timedelta(days=day.weekday())
    return Edtf.between(Edtf.of_day(monday), Edtf.of_day(monday + dt.timedelta(days=6))).text


def _decade(year: int) -> str:
    """The decade value of ``year`` (1994 → ``199X``)."""
    return f"{year // 10:03d}X"


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def _century_of(year: int) -> int:
    return (year - 1) // 100 + 1


def _relative(unit: str, offset: int, anchor: dt.date) -> DateValue | None:
    scale = {"week": 7 / 365, "month": 1 / 12, "year": 1, "decade": 10, "century": 100}
    if not 1000 <= anchor.year + offset * scale.get(unit, 1 / 365) <= 2199:
        return None  # "1000 years ago" is no calendar date we write
    if unit == "hour":  # hours and minutes: the anchor day is as precise as we get
        return DateValue(anchor.isoformat(), "day", True)
    if unit == "day":
        return DateValue((anchor + dt.timedelta(days=offset)).isoformat(), "day", True)
    if unit == "week":
        return DateValue(week_range(anchor + dt.timedelta(weeks=offset)), "range", True)
    if unit == "month":
        year, month = _shift_month(anchor.year, anchor.month, offset)
        return DateValue(f"{year:04d}-{month:02d}", "month", True)
    if unit == "year":
        return DateValue(f"{anchor.year + offset:04d}", "year", True)
    if unit == "decade":
        return DateValue(_decade(anchor.year + 10 * offset), "decade", True)
    if unit == "century":
        century = _century_of(anchor.year) + offset
        return DateValue(f"{century - 1:02d}XX", "century", True)
    return None


def _season_year(season: int, relmod: int | None, anchor: dt.date) -> int:
    """Year of the named season relative to the anchor (winter belongs to its December)."""
    first = _SEASON_MONTHS[season][0]
    start = dt.date(anchor.year, first, 1)
    year = anchor.year if start <= anchor else anchor.year - 1  # latest started
    if season == 4 and anchor.month <= 2:
        year = anchor.year - 1
    end_month = _SEASON_MONTHS[season][1]
    end_year = year + 1 if season == 4 else year
    in_progress = (anchor.year, anchor.month) <= (end_year, end_month)
    if relmod is None or relmod == 0:
        return year
    if relmod < 0:
        return year - 1 if in_progress else year
    return year + 1


def _resolve_relative(p: _Parsed, anchor: dt.date | None) -> DateValue | None:
    """A relative word ("yesterday"), a unit with a modifier ("last year") or a count of
    units ("three days ago"): resolved against ``anchor``."""
    if p.rel is not None:
        return _relative(p.rel[0], p.rel[1], anchor) if anchor else UNRESOLVED
    assert p.unit is not None
    if p.relmod is not None:
        if p.unit[0] in ("day", "hour"):
            return None  # "the last day" of a visit is not yesterday
        return _relative(p.unit[0], p.relmod, anchor) if anchor else UNRESOLVED
    count = p.num if p.num is not None else (None if p.has_num else p.unit[1])
    if count is None:
        return UNRESOLVED
    sign = 1 if p.later else -1
    return _relative(p.unit[0], sign * count, anchor) if anchor else UNRESOLVED


def _resolve_decade_or_century(p: _Parsed, anchor: dt.date | None) -> DateValue | None:
    """ "the 1990s", "the nineties" (of a century written or relative), "the 20th century"."""
    if p.decade is not None:
        return DateValue(_decade(p.decade), "decade")
    if p.decade2 is not None:
        dd = p.decade2 % 100
        if p.century is not None:
            base = (p.century - 1) * 100
        elif p.centrel is not None:
            # "the last century" in a text without a date: written in this century
            current = _century_of(anchor.year) if anchor else 21
            base = (current + p.centrel - 1) * 100
        elif dd < 30 and anchor is not None and 2000 + dd <= anchor.year:
            base = 2000
        else:
            base = 1900
        anchored = p.centrel is not None and anchor is not None
        return DateValue(_decade(base + dd), "decade", anchored)
    assert p.century is not None
    if not 1 <= p.century <= 22:
        return None
    return DateValue(f"{p.century - 1:02d}XX", "century")


def _resolve_written(p: _Parsed, year: int) -> DateValue | None:
    """A season, quarter, day, day range, month or the year itself, of a written year."""
    if p.season is not None:
        return DateValue(f"{year:04d}-{20 + p.season}", "season")
    if p.quarter is not None:
        if not 1 <= p.quarter <= 4:
            return None
        return DateValue(f"{year:04d}-{32 + p.quarter}", "quarter")
    if p.month is not None and p.day is not None:
        try:
            day = dt.date(year, p.month, p.day)
            first = dt.date(year, p.month, p.day0) if p.day0 is not None else None
        except ValueError:
            return None
        if first is None:
            return DateValue(day.isoformat(), "day")
        if first >= day:
            return None
        # 21–23 May 2023
        return DateValue(Edtf.between(Edtf.of_day(first), Edtf.of_day(day)).text, "range")
    if p.month is not None:
        return DateValue(f"{year:04d}-{p.month:02d}", "month")
    return DateValue(f"{year:04d}", "year")


def _month_from_anchor(p: _Parsed, anchor: dt.date) -> DateValue | None:
    """A month (and day) without a year: the latest one on or before the anchor, or the
    one a modifier names ("last May", "next March")."""
    assert p.month is not None
    day_of_month = p.day or 1
    if p.relmod is None:
        past = (p.month, day_of_month) <= (anchor.month, anchor.day)
        year = anchor.year if past else anchor.year - 1
    elif p.relmod < 0:
        year = anchor.year if p.month < anchor.month else anchor.year - 1
    elif p.relmod == 0:
        year = anchor.year
    else:
        year = anchor.year if p.month > anchor.month else anchor.year + 1
    if p.day is None:
        return DateValue(f"{year:04d}-{p.month:02d}", "month", True)
    try:
        return DateValue(dt.date(year, p.month, p.day).isoformat(), "day", True)
    except ValueError:
        return None


def _weekday_from_anchor(weekday: int, relmod: int | None, anchor: dt.date) -> DateValue:
    """A weekday: the latest on or before the anchor, or of the week a modifier names."""
    back = (anchor.weekday() - weekday) % 7
    when: dt.date
    if relmod is None:
        when = anchor - dt.timedelta(days=back)
    elif relmod < 0:
        when = anchor - dt.timedelta(days=back or 7)
    elif relmod == 0:
        when = anchor - dt.timedelta(days=anchor.weekday()) + dt.timedelta(days=weekday)
    else:
        when = anchor + dt.timedelta(days=(weekday - anchor.weekday()) % 7 or 7)
    return DateValue(when.isoformat(), "day", True)


def _day_from_anchor(day: int, anchor: dt.date) -> DateValue | None:
    """A day of the month alone ("8日"): the latest such day on or before the anchor."""
    year, month = anchor.year, anchor.month
    if day > anchor.day:
        year, month = _shift_month(year, month, -1)
    try:
        return DateValue(dt.date(year, month, day).isoformat(), "day", True)
    except ValueError:
        return None


def _resolve_from_anchor(p: _Parsed, anchor: dt.date | None) -> DateValue | None:
    """A month, season, quarter, weekday or day of the month without a year: placed by
    the anchor."""
    only_day = p.day is not None and p.month is None and p.weekday is None
    placed = (p.month, p.season, p.quarter, p.weekday)
    if all(part is None for part in placed) and not only_day:
        return None
    if anchor is None:
        return UNRESOLVED
    if only_day:
        assert p.day is not None
        return _day_from_anchor(p.day, anchor)
    if p.month is not None:
        return _month_from_anchor(p, anchor)
    if p.season is not None:
        year = _season_year(p.season, p.relmod, anchor)
        return DateValue(f"{year:04d}-{20 + p.season}", "season", True)
    if p.quarter is not None:
        if not 1 <= p.quarter <= 4:
            return None
        current = (anchor.month - 1) // 3 + 1
        year = anchor.year if p.quarter <= current else anchor.year - 1
        return DateValue(f"{year:04d}-{32 + p.quarter}", "quarter", True)
    assert p.weekday is not None
    return _weekday_from_anchor(p.weekday, p.relmod, anchor)


def _resolve(p: _Parsed, anchor: dt.date | None) -> DateValue | None:
    """EDTF value of parsed fields; relative ones need ``anchor``."""
    if p.year is not None and not 1000 <= p.year <= 2199:
        return None
    if p.month is not None and not 1 <= p.month <= 12:
        return None
    if p.rel is not None or p.unit is not None:
        return _resolve_relative(p, anchor)
    if p.decade is not None or p.decade2 is not None or p.century is not None:
        return _resolve_decade_or_century(p, anchor)
    if p.year is not None:
        return _resolve_written(p, p.year)
    return _resolve_from_anchor(p, anchor)


# --------------------------------------------------------------------------- finding


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    parsed: _Parsed
    weak: bool
    value: DateValue


def _year_context_ok(text: str, start: int, end: int, grammar: _Grammar, p: _Parsed) -> bool:
    """A bare four-digit number is a year only in a year context."""
    if p.year is None or not 1900 <= p.year <= 2100:
        return False
    before = text[max(0, start - 40) : start]
    after = text[end : end + 40]
    clitic = grammar.data.clitics
    if before[-1:] and clitic and before[-1] in clitic:
        before = before[:-1] + " "  # Arabic و2014, ب2014
    year_dash = re.search(r"(?<!\d)(?:19|20)\d\d\s*[-‐‑–—]\s*$", before)
    if not year_dash and re.search(r"[^\W\d_][-‐‑]\s*$|[-‐‑/.:]$|[^\W\d_]$|\d[.,]?$", before):
        return False  # Su-2014, part of a code or a longer number
    if re.match(r"^(?:[-‐‑][^\W\d_]|[^\W\d_]|[.,]\d|\s*%)", after):
        return False  # 2014A, 2014-B, 2014.5, 2014 %
    if grammar.before_block.search(before):
        return False
    return not grammar.after_block.match(after)


def _month_only_ok(text: str, start: int, grammar: _Grammar, groups: dict) -> bool:
    """Month names that are also common words need capitals and a context word."""
    raw = groups.get("month") or ""
    word = _key(raw)
    if grammar.data.month_only_needs_capital and raw[:1].islower():
        return False
    if word not in {_key(w) for w in grammar.data.ambiguous_months}:
        return True
    if any(groups.get(g) for g in ("mod", "relmod")):
        return True
    previous = re.findall(r"\w+", text[max(0, start - 30) : start])
    context = {_key(w) for w in grammar.data.month_context}
    return bool(previous) and _key(previous[-1]) in context


def _candidates(text: str, grammar: _Grammar, anchor: dt.date | None, strict: bool) -> list:
    """Non-overlapping pattern matches with values, longest first then leftmost."""
    norm = text.translate(_DIGITS)
    found: list[_Candidate] = []
    for pattern, weak in grammar.patterns:
        for match in pattern.finditer(norm):
            start, end = match.span()
            while start < end and norm[start].isspace():
                start += 1
            while end > start and norm[end - 1].isspace():
                end -= 1
            if end <= start:
                continue
            groups = match.groupdict()
            parsed = _parse(groups, grammar)
            if parsed is None:
                continue
            month_only = (
                parsed.month is not None
                and parsed.year is None
                and parsed.day is None
                and groups.get("month") is not None
                and not groups["month"].strip().isdigit()
            )
            at = match.start("month") if month_only else start
            if strict and month_only and not _month_only_ok(norm, at, grammar, groups):
                continue
            value = _resolve(parsed, anchor)
            if value is None:
                continue
            found.append(_Candidate(start, end, parsed, weak, value))
    found.sort(key=lambda c: (-(c.end - c.start), c.start, c.weak))
    chosen: list[_Candidate] = []
    taken = bytearray(len(norm) + 1)  # characters already inside a chosen match
    for cand in found:
        if any(taken[cand.start : cand.end]):
            continue
        taken[cand.start : cand.end] = b"\x01" * (cand.end - cand.start)
        chosen.append(cand)
    chosen.sort(key=lambda c: c.start)
    return chosen


def _join(first: DateValue, last: DateValue) -> str | None:
    """The range from the start of ``first`` to the end of ``last``; None when either has
    no value or the range would end before it starts."""
    start, end = parse_or_none(first.value), parse_or_none(last.value)
    if start is None or end is None:
        return None
    try:
        return Edtf.between(Edtf.parse(start.ends[0]), Edtf.parse(end.ends[1])).text
    except EdtfError:
        return None


def _with_year(cand: _Candidate, year: int) -> _Candidate:
    """A month or day without a year, given the year of the other end of its range."""
    p = cand.parsed
    if p.month is None or p.rel is not None or p.unit is not None or p.weekday is not None:
        return cand
    parsed = replace(p, year=year, relmod=None)
    value = _resolve(parsed, None)
    return replace(cand, parsed=parsed, value=value) if value is not None else cand


def _merge_ranges(text: str, cands: list[_Candidate], grammar: _Grammar) -> list[_Candidate]:
    """Join "from X to Y", "X–Y", "between X and Y", "с X по Y", "X至Y" into ranges."""
    norm = text.translate(_DIGITS)
    out: list[_Candidate] = []
    i = 0
    while i < len(cands):
        a = cands[i]
        if i + 1 < len(cands):
            b = cands[i + 1]
            gap = norm[a.end : b.start]
            before = norm[max(0, a.start - 40) : a.start]
            joined = bool(grammar.range_gap.match(gap)) or bool(
                grammar.range_and_gap is not None
                and grammar.range_and_gap.match(gap)
                and grammar.and_prefix.search(before)
            )
            first, second = a, b
            if joined and a.parsed.year is None and b.parsed.year is not None:
                later = (a.parsed.month or 13) <= (b.parsed.month or 12)
                first = _with_year(a, b.parsed.year if later else b.parsed.year - 1)
            elif joined and b.parsed.year is None and a.parsed.year is not None:
                later = (b.parsed.month or 0) >= (a.parsed.month or 1)
                second = _with_year(b, a.parsed.year if later else a.parsed.year + 1)
            joint = _join(first.value, second.value) if joined else None
            if joint is not None:
                prefix = grammar.range_prefix.search(before)
                start = a.start - len(prefix.group(0)) if prefix else a.start
                while start < a.start and norm[start].isspace():
                    start += 1
                anchored = first.value.anchored or second.value.anchored
                value = DateValue(joint, "range", anchored)
                out.append(_Candidate(start, b.end, a.parsed, False, value))
                i += 2
                continue
        out.append(a)
        i += 1
    return out


def _in_url(text: str, start: int, end: int) -> bool:
    """Dates inside a URL or path (``.../2013-02-01/...``) are not statements."""
    window_start = max(0, start - 300)
    before = text[window_start:start].split()
    after = text[end : end + 300].split()
    left = before[-1] if before and not text[start - 1 : start].isspace() else ""
    right = after[0] if after and not text[end : end + 1].isspace() else ""
    token = left + text[start:end] + right
    return "://" in token or token.startswith("www.")


def _is_lang(lang: str) -> str:
    return lang.split("-")[0].lower()


def find_dates(text: str, lang: str, anchor: dt.date | None) -> list[DateMention]:
    """Date expressions in ``text`` with EDTF values; relative ones anchored on ``anchor``."""
    grammar = _grammar(_is_lang(lang))
    norm = text.translate(_DIGITS)
    cands = _candidates(text, grammar, anchor, strict=True)
    kept: list[_Candidate] = []
    for i, cand in enumerate(cands):
        if _in_url(text, cand.start, cand.end):
            continue
        if cand.weak and not _year_context_ok(norm, cand.start, cand.end, grammar, cand.parsed):
            # a bare number may still open or close a range with a real date
            around = cands[max(0, i - 1) : i] + cands[i + 1 : i + 2]
            neighbours = [n for n in around if not n.weak]
            if not any(
                grammar.range_gap.match(text[min(n.end, cand.end) : max(n.start, cand.start)])
                for n in neighbours
            ):
                continue
        kept.append(cand)
    mentions = []
    for cand in _merge_ranges(text, kept, grammar):
        span = text[cand.start : cand.end]
        mentions.append(
            DateMention(
                cand.start, cand.end, span, cand.value.value, cand.value.precision,
                cand.value.anchored,
            )
        )  # fmt: skip
    other = _calendar_mentions(text, norm, grammar.lang)
    if not other:
        return mentions
    # "1445 هـ" is no year 1445: the other calendar's reading replaces what it overlaps
    mentions = [m for m in mentions if not any(m.start < o.end and o.start < m.end for o in other)]
    return sorted([*mentions, *other], key=lambda m: m.start)


@lru_cache(maxsize=32)
def _calendar_patterns(lang: str) -> tuple[tuple[Calendar, re.Pattern[str]], ...]:
    """One pattern per calendar of ``lang``: [day] [month] year marker."""
    ld = _data().languages.get(lang)
    if ld is None:
        return ()
    out: list[tuple[Calendar, re.Pattern[str]]] = []
    # the longest markers first across calendars: "هـ.ش" (solar) before "هـ" (lunar)
    ordered = sorted(ld.calendars.items(), key=lambda item: -max(len(m) for m in item[1].markers))
    for name, cal in ordered:
        months = [form for forms in cal.months.values() for form in forms]
        month = rf"(?:(?P<month>{_alternation(months)})\s+)?" if months else ""
        out.append(
            (
                name,
                re.compile(
                    rf"(?<!\w)(?:(?P<day>\d{{1,2}})\s+)?{month}(?P<year>\d{{3,4}})\s*"
                    rf"(?P<marker>{_alternation(cal.markers)})(?!\w)"
                ),
            )
        )
    return tuple(out)


def _calendar_mentions(text: str, norm: str, lang: str) -> list[DateMention]:
    """Dates of the language's other calendars, with Gregorian values (see
    :mod:`pipeline.calendars`); digits are read in ``norm`` (ASCII digits, same offsets)."""
    ld = _data().languages.get(lang)
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for name, pattern in _calendar_patterns(lang):
        assert ld is not None
        cal = ld.calendars[name]
        for match in pattern.finditer(norm):
            start, end = match.span()
            year = int(match["year"])
            if any(start < e and s < end for s, e in taken):
                continue
            if not cal.years[0] <= year <= cal.years[1]:
                continue
            value = _calendar_value(name, cal, year, match)
            if value is None:
                continue
            taken.append((start, end))
            found.append(
                DateMention(start, end, text[start:end], value.value, value.precision, False, name)
            )
    return found


def _calendar_value(
    name: Calendar, cal: _CalendarData, year: int, match: re.Match[str]
) -> DateValue | None:
    month_text = match.groupdict().get("month")
    month = None
    if month_text:
        key = _key(month_text)
        month = next(
            (n for n, forms in cal.months.items() if key in {_key(f) for f in forms}), None
        )
    day = int(match["day"]) if match["day"] and month else None
    try:
        if name == "solar_hijri":
            first, last = calendars.solar_hijri_year_months(year)
            return DateValue(f"{first}/{last}", "range", calendar=name)
        if day is not None and month is not None:
            when = calendars.hijri_to_gregorian(year, month, day)
            return DateValue(when.isoformat(), "day", calendar=name)
        if month is not None:
            start, stop = calendars.hijri_month_days(year, month)
        else:
            start, stop = calendars.hijri_year_days(year)
    except ValueError:
        return None
    return DateValue(f"{start.isoformat()}/{stop.isoformat()}", "range", calendar=name)


def in_year(text: str, lang: str, year: int | None) -> DateValue | None:
    """A month, or a day of a month, written without a year ("on March 17", "31 липня",
    "10月5日", "в начале апреля"), placed in ``year`` and marked anchored; None for any
    other expression (one with a year, a relative one, a bare weekday, a season). A span of
    several such dates ("March 17 and March 19") is placed by its first. A weekday beside a
    day and month ("on Wednesday, January 25", "у середу, 25 січня") adds nothing to them.

    For a document with no publication date, the caller gives the year the text itself
    states nearest before the expression (``pipeline.extract.years``); with ``year`` None
    the value keeps the year unspecified, as EDTF level 1 writes it (``XXXX-03-17``,
    ``XXXX-04``).
    """
    grammar = _grammar(_is_lang(lang))
    cands = _candidates(text, grammar, None, strict=False)
    if not cands:
        return None
    for cand in cands:
        p = cand.parsed
        relative = (p.rel, p.unit, p.relmod, p.decade, p.decade2, p.century)
        if p.month is None or p.year is not None or any(x is not None for x in relative):
            return None
        if p.weekday is not None and p.day is None:
            return None
    # a leap year, so that 29 February is a day of the unspecified one
    value = _resolve_written(replace(cands[0].parsed, year=year or 2000), year or 2000)
    if value is None or value.value is None:
        return None
    if year is None:
        return DateValue("XXXX" + value.value[4:], value.precision, False)
    return DateValue(value.value, value.precision, True)


# --------------------------------------------------------------------------- normalising


def _uncovered_is_filler(text: str, start: int, end: int, grammar: _Grammar) -> bool:
    rest = f"{text[:start]} {text[end:]}"
    words = re.findall(r"[^\W\d_]+|\d+", rest)
    return all(_key(w) in grammar.fillers for w in words)


@lru_cache(maxsize=64)
def _date_data_parser(lang: str, anchor: dt.date | None) -> Any:
    """A dateparser parser fixed to one language and anchored (built once: it is slow)."""
    from dateparser.date import DateDataParser  # slow import, only needed here

    settings: dict[str, Any] = {"PREFER_DATES_FROM": "past", "RETURN_AS_TIMEZONE_AWARE": False}
    if anchor is not None:
        settings["RELATIVE_BASE"] = dt.datetime(anchor.year, anchor.month, anchor.day)
    return DateDataParser(languages=[lang], settings=settings)


def _dateparser_fallback(text: str, lang: str, anchor: dt.date | None) -> DateValue | None:
    norm = text.translate(_DIGITS)
    years = [int(y) for y in re.findall(r"(?<!\d)(1\d{3}|20\d{2})(?!\d)", norm)]
    if re.search(r"[^\W\d_]+\s*[-‐‑]\s*\d", norm):
        return None  # a designation such as Tu-95
    if anchor is None and not years:
        return UNRESOLVED if _grammar(lang).vocab_words.search(norm) else None
    if not years and not _grammar(lang).vocab_words.search(norm):
        return None
    try:
        data = _date_data_parser(lang, anchor).get_date_data(norm)
    except (ValueError, TypeError, OverflowError) as exc:
        log.debug("dateparser refused %r: %s", text, exc)
        return None
    parsed = data.date_obj
    if parsed is None:
        return None
    if years and parsed.year not in years:
        return None
    if not 1000 <= parsed.year <= 2199:
        return None
    anchored = not years
    period = data.period or "day"
    if period == "year":
        return DateValue(f"{parsed.year:04d}", "year", anchored)
    if period == "month":
        return DateValue(f"{parsed.year:04d}-{parsed.month:02d}", "month", anchored)
    if period == "week":
        return DateValue(week_range(parsed.date()), "range", anchored)
    return DateValue(parsed.date().isoformat(), "day", anchored)


def normalise_date(text: str, lang: str, anchor: dt.date | None) -> DateValue | None:
    """EDTF value of one date expression; None when ``text`` is not a date.

    Relative expressions are resolved against ``anchor`` (the publication date)
    and marked anchored; without an anchor they come back unresolved
    (``value=None``, precision ``unknown``).
    """
    lang = _is_lang(lang)
    grammar = _grammar(lang)
    stripped = text.strip().strip(",;:()[]\"'«»“”")
    if not stripped:
        return None
    key = _key(stripped)
    if key in grammar.vague:
        return UNRESOLVED
    if key in grammar.present:
        return DateValue(anchor.isoformat(), "day", True) if anchor else UNRESOLVED
    norm = stripped.translate(_DIGITS)
    if re.fullmatch(r"[\d\s.,:/'’-]*", norm) and not re.search(r"\d{4}", norm):
        return None  # a bare number such as "15" or "58" is never a date
    cands = _candidates(stripped, grammar, anchor, strict=False)
    cands = _merge_ranges(stripped, cands, grammar)
    if cands:
        best = max(cands, key=lambda c: c.end - c.start)
        if _uncovered_is_filler(stripped, best.start, best.end, grammar):
            return best.value
        fallback = _dateparser_fallback(stripped, lang, anchor)
        if fallback is not None:
            return fallback
        return best.value
    return _dateparser_fallback(stripped, lang, anchor)


# --------------------------------------------------------------------------- spaCy


class DatesComponent:
    """DATE entities with ``span._.date``; keeps other entities untouched."""

    def __init__(self, nlp: Language, name: str, lang: str | None) -> None:
        register_extensions()
        self.name = name
        self.lang = _is_lang(lang or str(nlp.lang))
        _grammar(self.lang)  # fail at build time on an unknown language

    def __call__(self, doc: Doc) -> Doc:
        anchor = doc._.published
        if isinstance(anchor, dt.datetime):
            anchor = anchor.date()
        mentions = find_dates(doc_text(doc), self.lang, anchor)
        ents = doc.ents
        others = [e for e in ents if e.label_ != "DATE"]
        model_dates = [e for e in ents if e.label_ == "DATE"]
        infos: dict[tuple[int, int], DateValue] = {}
        dates: list[Span] = []

        def overlaps_other(span: Span) -> bool:
            return any(span.start < o.end and o.start < span.end for o in others)

        used: set[int] = set()
        for ent in model_dates:
            hits = [
                i for i, m in enumerate(mentions)
                if m.start < ent.end_char and ent.start_char < m.end
            ]  # fmt: skip
            span: Span | None = ent
            info: DateValue | None
            if len(hits) == 1:
                m = mentions[hits[0]]
                used.add(hits[0])
                info = m.date
                wider = doc.char_span(
                    min(m.start, ent.start_char), max(m.end, ent.end_char), label="DATE",
                    alignment_mode="expand",
                )  # fmt: skip
                if wider is not None and not overlaps_other(wider):
                    span = wider
            else:
                used.update(hits)
                info = normalise_date(ent.text, self.lang, anchor)
                if info is None and not re.search(r"[^\W\d_]", ent.text):
                    continue  # a bare number the model took for a date
            assert span is not None
            dates.append(span)
            infos[(span.start_char, span.end_char)] = info or UNRESOLVED
        for i, m in enumerate(mentions):
            if i in used:
                continue
            span = doc.char_span(m.start, m.end, label="DATE", alignment_mode="expand")
            if span is None or overlaps_other(span):
                continue
            dates.append(span)
            infos[(span.start_char, span.end_char)] = m.date
        kept_dates = filter_spans(dates)
        doc.ents = sorted([*others, *kept_dates], key=lambda s: s.start)
        for ent in doc.ents:
            if ent.label_ == "DATE":
                info = infos.get((ent.start_char, ent.end_char), UNRESOLVED)
                ent._.date = info.as_dict()
        coverage = doc._.coverage if doc._.coverage is not None else []
        if self.name not in coverage:
            coverage.append(self.name)
        doc._.coverage = coverage
        return doc


@Language.factory(COMPONENT, default_config={"lang": None})
def make_dates_component(nlp: Language, name: str, lang: str | None) -> DatesComponent:
    """spaCy factory: ``nlp.add_pipe("osintdesk_dates")`` (after ``ner`` where there is one)."""
    return DatesComponent(nlp, name, lang)


lang_registry.on_change(_data.cache_clear)
lang_registry.on_change(_grammar.cache_clear)
lang_registry.on_change(_calendar_patterns.cache_clear)
lang_registry.on_change(dateline_cues.cache_clear)
