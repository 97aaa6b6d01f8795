"""The publication date a plain text states in its header or dateline.

HTML pages get theirs from trafilatura's metadata (``pipeline.clean``); a plain
text only has what its first lines say: a header line ("AFP 04 May 2021",
"16:10 | 15 мая 2020 года, пятница", "Thứ hai, 23/1/2023", "الأحد 26 نوفمبر 2018") or
a dateline opening a paragraph ("2025年04月24日讯", "时间：2022-03-12", "Москва,
12 марта 2021 г. /ТАСС/").

A date counts only when it is a whole day with its year written (a day without a
year, "9 июня", gives no publication date: its year would be a guess), and only
in the first ``header_paragraphs`` paragraphs, in one of two shapes:

- a **header line**: a paragraph of at most ``header_max_chars`` that opens with the
  date (within ``lead_chars``) and says little else: at most ``header_max_words``
  words besides dates and clock times, none of them an event trigger (a short
  headline "Russia delivered S-400 on 12 July 2019" is not a header line);
- a **dateline**: a date within ``lead_chars`` of a paragraph's start with one of
  its language's ``dateline_cues`` (``lang/<code>/dates.yaml``: "/ТАСС/", "讯",
  "时间", "AFP" ...) within ``cue_gap`` characters before or after it.

The first paragraph that qualifies gives the date. Nothing is ever the run date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.dates import DateMention, dateline_cues, find_dates, supported_languages
from pipeline.extract.matcher import find_triggers

HEADER_PARAGRAPHS = 6
HEADER_MAX_CHARS = 120
HEADER_MAX_WORDS = 8
LEAD_CHARS = 60
CUE_GAP = 12

_CLOCK = re.compile(r"\b\d{1,2}[:h.]\d{2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


@dataclass(frozen=True)
class StatedDate:
    """A publication date found in the text: the paragraph, the span and the date."""

    date: dt.date
    paragraph: int
    start: int
    end: int
    text: str


def _day(mention: DateMention) -> dt.date | None:
    if mention.precision != "day" or mention.anchored or mention.value is None:
        return None
    try:
        return dt.date.fromisoformat(mention.value)
    except ValueError:
        return None


def _header_line(text: str, mentions: Sequence[DateMention], lang: str) -> bool:
    """A short line that opens with a date and says little else."""
    if len(text) > HEADER_MAX_CHARS:
        return False
    rest = text
    for m in sorted(mentions, key=lambda m: m.start, reverse=True):
        rest = rest[: m.start] + " " + rest[m.end :]
    rest = _CLOCK.sub(" ", rest)
    words = _WORD.findall(rest)
    # Chinese writes words without spaces: a run of characters counts one word per two
    count = sum(max(1, len(w) // 2) if _CJK.match(w) else 1 for w in words)
    return count <= HEADER_MAX_WORDS and not find_triggers(rest, lang)


def _has_cue(text: str, mention: DateMention, cues: re.Pattern[str] | None) -> bool:
    if cues is None:
        return False
    before = text[max(0, mention.start - CUE_GAP) : mention.start]
    after = text[mention.end : mention.end + CUE_GAP]
    return bool(cues.search(before) or cues.search(after))


def _in_language(text: str, lang: str) -> tuple[dt.date, DateMention] | None:
    mentions = find_dates(text, lang, None)
    for mention in mentions:
        day = _day(mention)
        if day is None or mention.start > LEAD_CHARS:
            continue
        if _has_cue(text, mention, dateline_cues(lang)) or _header_line(text, mentions, lang):
            return day, mention
    return None


def stated_publication_date(
    paragraphs: Sequence[tuple[str, str]], main_language: str | None = None
) -> StatedDate | None:
    """The publication date the first paragraphs state, or None.

    ``paragraphs`` are (text, language code) pairs in document order. A short header
    line is often given another language than its document ("AFP 04 May 2021" looks
    Vietnamese to a detector), so ``main_language`` is tried after the paragraph's own;
    languages without date patterns ('und') are skipped.
    """
    for index, (text, lang) in enumerate(paragraphs[:HEADER_PARAGRAPHS]):
        known = supported_languages()
        for code in dict.fromkeys(c for c in (lang, main_language) if c in known):
            found = _in_language(text, code)
            if found is not None:
                day, mention = found
                return StatedDate(day, index, mention.start, mention.end, mention.text)
    return None
