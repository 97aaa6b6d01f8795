"""One date-value type: the EDTF subset osintdesk writes and reviewers type.

Every module that reads, compares or places a date value goes through :class:`Edtf`;
none compares value strings (``"199X" > "1995"`` is true as text and meaningless as
dates). Forms (EDTF levels 0–2, the parts we use):

==========  ==================  ==============================================
precision   form                earliest … latest
==========  ==================  ==============================================
day         ``2014-11-27``      that day
month       ``2014-11``         1 … last day of the month
season      ``2014-21..24``     spring Mar–May, summer Jun–Aug, autumn Sep–Nov,
                                winter Dec … Feb of the next year
quarter     ``2014-33..36``     Q1 … Q4
year        ``2014``            1 Jan … 31 Dec
decade      ``199X``            1990 … 1999
century     ``19XX``            1900 … 1999
range       ``A/B``             earliest of A … latest of B; ``..`` is an open end
==========  ==================  ==============================================

A plain dataclass rather than the ``edtf`` package: that parser (pyparsing) covers far
more than the subset above, is about a hundred times slower per value, and has no
notion of our precision names, which the records and the review desk use.
"""

from __future__ import annotations

import datetime as dt
import re
from calendar import monthrange
from dataclasses import dataclass
from functools import total_ordering
from typing import Annotated, Literal

from pydantic import AfterValidator

Precision = Literal["day", "month", "season", "quarter", "year", "decade", "century", "range"]

_SEASONS = {21: (3, 5), 22: (6, 8), 23: (9, 11), 24: (12, 14)}  # months; 13, 14 = next year
_QUARTERS = {33: (1, 3), 34: (4, 6), 35: (7, 9), 36: (10, 12)}
_POINT = re.compile(
    r"(?P<year>\d{4})(?:-(?P<sub>\d{2})(?:-(?P<day>\d{2}))?)?|(?P<decade>\d{3})X|(?P<century>\d{2})XX"
)
OPEN = ".."


class EdtfError(ValueError):
    """Not a date value of the subset above."""


def _month_span(year: int, first: int, last: int) -> tuple[dt.date, dt.date]:
    end_year, end_month = year + (last - 1) // 12, (last - 1) % 12 + 1
    return dt.date(year, first, 1), dt.date(end_year, end_month, monthrange(end_year, end_month)[1])


def _point(text: str, whole: str) -> tuple[Precision, dt.date, dt.date]:
    match = _POINT.fullmatch(text)
    if match is None:
        raise EdtfError(
            f"date {whole!r}: not an EDTF value (2014-11-27, 2014-11, 2014, 201X, 19XX,"
            " 2014-21, 1965-07/1974-12)"
        )
    if match["decade"]:
        start = int(match["decade"]) * 10
        return "decade", dt.date(start, 1, 1), dt.date(start + 9, 12, 31)
    if match["century"]:
        start = int(match["century"]) * 100
        return "century", dt.date(start, 1, 1), dt.date(start + 99, 12, 31)
    year = int(match["year"])
    if year == 0:
        raise EdtfError(f"date {whole!r}: year 0000 is outside the calendar")
    if match["sub"] is None:
        return "year", dt.date(year, 1, 1), dt.date(year, 12, 31)
    sub = int(match["sub"])
    if match["day"] is not None:
        try:
            day = dt.date(year, sub, int(match["day"]))
        except ValueError as exc:
            raise EdtfError(f"date {whole!r}: {exc}") from exc
        return "day", day, day
    if 1 <= sub <= 12:
        return ("month", *_month_span(year, sub, sub))
    if sub in _SEASONS:
        return ("season", *_month_span(year, *_SEASONS[sub]))
    if sub in _QUARTERS:
        return ("quarter", *_month_span(year, *_QUARTERS[sub]))
    raise EdtfError(f"date {whole!r}: {sub:02d} is not a month (01-12), season (21-24) or quarter")


@total_ordering
@dataclass(frozen=True, eq=False)
class Edtf:
    """A parsed date value. Equal when the canonical text is equal; ordered by span."""

    text: str
    precision: Precision
    earliest: dt.date
    latest: dt.date

    @classmethod
    def parse(cls, value: str) -> Edtf:
        """Parse ``value`` (surrounding spaces ignored); :class:`EdtfError` when malformed."""
        text = str(value).strip()
        if "/" not in text:
            precision, earliest, latest = _point(text, text)
            return cls(text, precision, earliest, latest)
        first, _, last = text.partition("/")
        if "/" in last or (first == OPEN and last == OPEN):
            raise EdtfError(f"date {text!r}: a range has two ends, at most one of them open")
        earliest = dt.date.min if first == OPEN else _point(first, text)[1]
        latest = dt.date.max if last == OPEN else _point(last, text)[2]
        if earliest > latest:
            raise EdtfError(f"date {text!r}: the range ends before it starts")
        return cls(text, "range", earliest, latest)

    @classmethod
    def of_day(cls, day: dt.date) -> Edtf:
        return cls(day.isoformat(), "day", day, day)

    @classmethod
    def between(cls, first: Edtf, last: Edtf) -> Edtf:
        """The range from ``first`` to ``last`` (both ends as written)."""
        return cls.parse(f"{first.text}/{last.text}")

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Edtf) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __lt__(self, other: Edtf) -> bool:
        """Earlier start first; on the same start the narrower value first."""
        return (self.earliest, self.latest, self.text) < (other.earliest, other.latest, other.text)

    @property
    def ends(self) -> tuple[str, str]:
        """The two ends as written (a point is both ends)."""
        first, _, last = self.text.partition("/")
        return first, last or first

    def contains(self, other: Edtf | dt.date) -> bool:
        """Whether every day of ``other`` lies within this value."""
        first, last = (
            (other, other) if isinstance(other, dt.date) else (other.earliest, other.latest)
        )
        return self.earliest <= first and last <= self.latest

    def overlaps(self, other: Edtf) -> bool:
        return self.earliest <= other.latest and other.earliest <= self.latest

    def position(self) -> float:
        """The middle of the value as a fractional year (for timelines)."""
        first = self.earliest if self.earliest != dt.date.min else self.latest
        last = self.latest if self.latest != dt.date.max else first
        middle = first + (last - first) / 2
        start = dt.date(middle.year, 1, 1)
        length = (dt.date(middle.year, 12, 31) - start).days + 1
        return middle.year + (middle - start).days / length


def parse_or_none(value: str | None) -> Edtf | None:
    """:meth:`Edtf.parse` for stored values that may be absent or malformed."""
    if not value:
        return None
    try:
        return Edtf.parse(value)
    except EdtfError:
        return None


def _checked(value: str) -> str:
    return Edtf.parse(value).text


EdtfString = Annotated[str, AfterValidator(_checked)]
"""A string field holding a valid :class:`Edtf` value (pydantic validates it)."""
