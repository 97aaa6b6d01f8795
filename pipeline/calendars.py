"""Dates written in the Hijri (lunar) and Solar Hijri calendars, read into Gregorian values.

Gulf and Iranian sources date by the Hijri calendar ("1445 هـ", "15 رمضان 1445 هـ") and
Iranian ones also by the Solar Hijri year ("1402 هـ.ش"). The markers and month names are
language data (``calendars`` in ``lang/<code>/dates.yaml``); this module only converts.

- **Hijri**: the tabular (arithmetic) Islamic calendar with the civil epoch (1 Muharram
  1 AH = 19 July 622, proleptic Gregorian): months of 30 and 29 days in turn, 11 leap years
  in 30. Observed month starts may differ from it by a day or two, so a Hijri *day* is a
  day value and a Hijri month or year is a range of Gregorian days or months.
- **Solar Hijri**: a year begins at Nowruz, 20 or 21 March of the Gregorian year + 621; a
  year alone is given as the range March to March, months apart.

The calendar a value was converted from is kept beside it (``DateInfo.calendar``).
"""

from __future__ import annotations

import datetime as dt

# Julian day of 1 Muharram 1 AH minus the offset of the arithmetic formula below; the
# ordinal of a Julian day number (at noon) is jd - 1721425
_ISLAMIC_EPOCH = 1948440 - 385
_ORDINAL_OFFSET = 1721425


def hijri_to_gregorian(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of a day of the tabular Hijri calendar (month 1..12, day 1..30)."""
    if not 1 <= month <= 12 or not 1 <= day <= 30 or year < 1:
        raise ValueError(f"no Hijri date {year}-{month}-{day}")
    jd = (11 * year + 3) // 30 + 354 * year + 30 * month - (month - 1) // 2 + day + _ISLAMIC_EPOCH
    return dt.date.fromordinal(jd - _ORDINAL_OFFSET)


def hijri_month_days(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last Gregorian day of a Hijri month."""
    first = hijri_to_gregorian(year, month, 1)
    following = hijri_to_gregorian(year + month // 12, month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def hijri_year_days(year: int) -> tuple[dt.date, dt.date]:
    """First and last Gregorian day of a Hijri year."""
    return hijri_to_gregorian(year, 1, 1), hijri_to_gregorian(year + 1, 1, 1) - dt.timedelta(1)


def solar_hijri_year_months(year: int) -> tuple[str, str]:
    """A Solar Hijri year as the Gregorian months it spans ("2023-03", "2024-03")."""
    return f"{year + 621:04d}-03", f"{year + 622:04d}-03"
