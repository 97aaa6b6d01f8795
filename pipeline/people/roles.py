"""The role a known person held at a date (``people.yaml`` roles with from/to)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.people.index import person_index
from schemas.edtf import Edtf, EdtfError


def _period(when: dt.date | str) -> tuple[dt.date, dt.date]:
    """The first and last day of ``when``: a day, or any date value (2014, 2014-11, 199X)."""
    if isinstance(when, dt.date):
        return when, when
    try:
        value = Edtf.parse(when)
    except EdtfError as exc:
        raise ValueError(
            f"not a date (a date value such as 2014, 2014-11, 2014-11-27): {exc}"
        ) from exc
    return value.earliest, value.latest


def role_at(pid: str, when: dt.date | str, path: Path | None = None) -> str | None:
    """The role a known person held at ``when`` (the one covering most of that period)."""
    person = person_index(path).people.get(pid)
    if person is None:
        return None
    first, last = _period(when)
    best: tuple[int, dt.date, str] | None = None
    for role in person.roles:
        start = role.start or dt.date.min
        end = role.end or dt.date.max
        overlap = (min(end, last) - max(start, first)).days
        if overlap < 0:
            continue
        candidate = (overlap, start, role.title)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else None
