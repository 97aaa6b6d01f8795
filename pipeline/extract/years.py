"""Years for dates written without one, in documents that give no publication date.

"On March 17", «31 марта», "10月5日" are placed by the publication date when the document
has one (:mod:`pipeline.dates`). A plain text often has none, and those dates would date
nothing. Such a month or day-and-month is given the year the text itself states nearest
before it (a stated year, not one that was itself inferred or anchored); the date records
``year_inferred``. Measured on the held-out tune articles and samples whose publication
date is known (hidden for the test): the nearest earlier year is the one the publication
date gives for 7 of the 11 such dates that have one (docs/quality.md). With no year
before it, a later year was wrong more often than right (background history follows the
news), so the year stays unspecified: ``XXXX-03-17`` (EDTF level 1), which dates the event
by day and month and which :func:`schemas.edtf.parse_or_none` reads as no calendar value.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from pipeline.dates import in_year
from pipeline.extract.records import DocPart
from schemas.edtf import parse_or_none

# precisions whose value states one calendar year
_ONE_YEAR = frozenset({"day", "month", "season", "quarter", "year"})


def _stated_years(parts: Sequence[DocPart]) -> list[tuple[int, int]]:
    """(document offset, year) of every DATE span that states its year, in text order."""
    years = []
    for part in parts:
        for ent in part.ents:
            data = ent._.date
            if ent.label_ != "DATE" or not isinstance(data, dict) or data.get("anchored"):
                continue
            if data.get("year_inferred") or data.get("precision") not in _ONE_YEAR:
                continue
            value = parse_or_none(str(data.get("value") or ""))
            if value is not None:
                years.append((part.offset + ent.start_char, value.earliest.year))
    return sorted(years)


def infer_years(parts: Sequence[DocPart]) -> int:
    """Give the unvalued months and day-and-months of ``parts`` (one document, in order)
    the nearest stated year before them, else an unspecified year; returns how many were
    valued."""
    years = _stated_years(parts)
    offsets = [offset for offset, _ in years]
    placed = 0
    for part in parts:
        for ent in part.ents:
            data = ent._.date
            if ent.label_ != "DATE" or not isinstance(data, dict) or data.get("value"):
                continue
            at = part.offset + ent.start_char
            i = bisect.bisect_left(offsets, at)
            year = years[i - 1][1] if i else None
            value = in_year(ent.text, part.language, year)
            if value is None or value.value is None:
                continue
            ent._.date = {
                "value": value.value,
                "precision": value.precision,
                "anchored": False,
                "year_inferred": year is not None,
            }
            placed += 1
    return placed
