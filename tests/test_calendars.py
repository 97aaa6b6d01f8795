"""Hijri and Solar Hijri dates read into the Gregorian calendar (pipeline/calendars.py)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from pipeline.calendars import (
    hijri_month_days,
    hijri_to_gregorian,
    hijri_year_days,
    solar_hijri_year_months,
)


@pytest.mark.parametrize(
    ("hijri", "gregorian"),
    [
        ((1, 1, 1), dt.date(622, 7, 19)),  # the civil epoch
        ((1400, 1, 1), dt.date(1979, 11, 21)),
        ((1445, 1, 1), dt.date(2023, 7, 19)),
        ((1445, 9, 1), dt.date(2024, 3, 11)),  # Ramadan 1445
    ],
)
def test_hijri_days(hijri: tuple[int, int, int], gregorian: dt.date) -> None:
    assert hijri_to_gregorian(*hijri) == gregorian


def test_months_and_years_are_contiguous_ranges() -> None:
    first, last = hijri_year_days(1445)
    assert (first, last) == (dt.date(2023, 7, 19), dt.date(2024, 7, 7))
    assert hijri_month_days(1445, 12)[1] == last  # the year's last month ends it
    days = [hijri_month_days(1445, m) for m in range(1, 13)]
    assert all(b[0] - a[1] == dt.timedelta(days=1) for a, b in itertools.pairwise(days))
    assert sum((e - s).days + 1 for s, e in days) in (354, 355)


def test_bad_hijri_dates_are_refused() -> None:
    with pytest.raises(ValueError):
        hijri_to_gregorian(1445, 13, 1)


def test_solar_hijri_year() -> None:
    assert solar_hijri_year_months(1402) == ("2023-03", "2024-03")
