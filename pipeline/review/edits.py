"""Reviewer edits: which fields of a record may change, and how each is checked.

An edit naming a field not editable for the record type, or one that would make
the record invalid, is refused when the decision is made, in one line. Date
values are parsed by :class:`schemas.edtf.Edtf`, the one date-value type.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, get_args

from pydantic import ValidationError

from pipeline.errors import ReviewError
from schemas.edtf import Edtf, EdtfError
from schemas.records import RECORD_MODELS, DatePrecision, DealStatus

EDITABLE: dict[str, tuple[str, ...]] = {
    "event": ("date", "date_precision", "type", "quantity", "people", "weapons"),
    "person": ("name", "canonical", "known", "roles"),
    "organisation": ("name", "canonical", "known", "kind", "country"),
    "weapon": ("name", "canonical", "category", "family", "origin"),
    "deal": (
        "status",
        "number_ordered",
        "order_date",
        "number_delivered",
        "supplier",
        "recipient",
        "comments",
    ),
}
DEAL_STATUSES: tuple[str, ...] = get_args(DealStatus)
PRECISIONS: tuple[str, ...] = get_args(DatePrecision)
_TRUE, _FALSE = ("true", "yes", "1"), ("false", "no", "0")

Setter = Callable[[str, dict[str, Any], str, str], None]
"""(record type, record data, field name, new value): changes the data in place."""


def parse_date(record_id: str, value: str) -> Edtf:
    """``value`` as a date value; ReviewError (one line, naming the record) otherwise."""
    try:
        return Edtf.parse(value)
    except EdtfError as exc:
        raise ReviewError(f"{record_id}: {' '.join(str(exc).split())}") from exc


def _set_date(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    if not value:
        data["date"] = None
        return
    parsed = parse_date(str(data["id"]), value)
    date = data.get("date")
    if date is None:
        start = int(data["evidence"]["start"])
        date = {"text": "", "start": start, "end": start, "anchored": False}
    data["date"] = {**date, "value": parsed.text, "precision": parsed.precision}


def _set_precision(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    if value not in PRECISIONS:
        raise ReviewError(f"{data['id']}: precision {value!r} not one of {PRECISIONS}")
    if data.get("date") is None:
        raise ReviewError(f"{data['id']}: set a date before its precision")
    data["date"] = {**data["date"], "precision": value}


def _set_quantity(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    weapons = data.get("weapons", [])
    if len(weapons) != 1:
        raise ReviewError(
            f"{data['id']}: quantity needs exactly one weapons system in the event"
            f" (has {len(weapons)})"
        )
    if value and not value.isdigit():
        raise ReviewError(f"{data['id']}: quantity {value!r} is not a whole number")
    data["weapons"] = [{**weapons[0], "quantity": int(value) if value else None}]


def link_ids(value: str) -> list[str]:
    """``person:a; person:b`` as ids in order, no repeats (the form of a links edit)."""
    return list(dict.fromkeys(part.strip() for part in value.split(";") if part.strip()))


def _set_people(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    ids = link_ids(value)
    bad = [i for i in ids if not i.startswith("person:")]
    if bad:
        raise ReviewError(f"{data['id']}: people must be person:… ids, not {', '.join(bad)}")
    data["people"] = ids


def _set_weapons(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    ids = link_ids(value)
    bad = [i for i in ids if not i.startswith("weapon:")]
    if bad:
        raise ReviewError(f"{data['id']}: weapons must be weapon:… ids, not {', '.join(bad)}")
    kept = {w["id"]: w for w in data.get("weapons", [])}  # quantities, parties stay
    data["weapons"] = [kept.get(i, {"id": i, "quantity": None}) for i in ids]


def _set_number(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    if value and not value.isdigit():
        raise ReviewError(f"{data['id']}: {name} {value!r} is not a whole number")
    data[name] = int(value) if value else None


def _set_order_date(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    data[name] = parse_date(str(data["id"]), value).text if value else None


def _set_status(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    if value not in DEAL_STATUSES:
        raise ReviewError(f"{data['id']}: status {value!r} not one of {', '.join(DEAL_STATUSES)}")
    data[name] = value


def _set_party(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    """A country code typed by the reviewer: the party's basis becomes ``reviewer``."""
    code = value.upper()
    if code and not (len(code) == 2 and code.isalpha() and code.isascii()):
        raise ReviewError(f"{data['id']}: {name} {value!r} is not an ISO 3166 alpha-2 code")
    data[name] = {"country": code, "basis": "reviewer", "cue": None} if code else None


def _set_text(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    data[name] = value


def _set_known(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    if value.lower() not in _TRUE + _FALSE:
        raise ReviewError(f"{data['id']}: known must be true or false, not {value!r}")
    data["known"] = value.lower() in _TRUE


def _set_roles(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    data["roles"] = [r.strip() for r in value.split(";") if r.strip()]


def _set_canonical(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    prefix = f"{rtype}:"
    if not value.startswith(prefix) or len(value) <= len(prefix):
        raise ReviewError(f"{data['id']}: canonical link must be a {prefix}… id, not {value!r}")
    data["id"] = value
    data["known"] = True


def _set_optional(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    data[name] = value or None


def _set_required(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    if not value:
        raise ReviewError(f"{data['id']}: {name} cannot be empty")
    data[name] = value


_SETTERS: dict[str, Setter] = {
    "date": _set_date,
    "date_precision": _set_precision,
    "quantity": _set_quantity,
    "known": _set_known,
    "roles": _set_roles,
    "canonical": _set_canonical,
    "origin": _set_optional,
    "family": _set_optional,
    "country": _set_optional,
    "kind": _set_required,
    "name": _set_required,
    "type": _set_required,
    "category": _set_required,
    "people": _set_people,
    "weapons": _set_weapons,
    "status": _set_status,
    "number_ordered": _set_number,
    "number_delivered": _set_number,
    "order_date": _set_order_date,
    "supplier": _set_party,
    "recipient": _set_party,
    "comments": _set_text,
}


def set_field(rtype: str, data: dict[str, Any], name: str, value: str) -> None:
    """Apply one edit ``name=value`` to record data in place."""
    if name not in EDITABLE[rtype]:
        raise ReviewError(
            f"{data['id']}: field {name!r} is not editable for a {rtype}"
            f" (editable: {', '.join(EDITABLE[rtype])})"
        )
    _SETTERS[name](rtype, data, name, value.strip())


def apply_edit(rtype: str, data: dict[str, Any], changes: dict[str, str]) -> dict[str, Any]:
    """A copy of ``data`` with ``changes`` applied and validated against the schema."""
    result = copy.deepcopy(data)
    for name, value in changes.items():
        set_field(rtype, result, name, value)
    try:
        model = RECORD_MODELS[rtype].model_validate(result)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ReviewError(
            f"{data['id']}: edit makes an invalid {rtype}: {where}: {first['msg']}"
        ) from exc
    validated: dict[str, Any] = model.model_dump(mode="json")
    return validated


def field_value(rtype: str, data: dict[str, Any], name: str) -> str:
    """The current value of editable field ``name`` as a reviewer types it (the inverse of
    the setters above): what an edit form shows and what history says it was."""
    date = data.get("date") or {}
    if name == "date":
        return str(date.get("value") or "")
    if name == "date_precision":
        return str(date.get("precision") or "") if data.get("date") else ""
    if name == "quantity":
        weapons = data.get("weapons", [])
        quantity = weapons[0].get("quantity") if len(weapons) == 1 else None
        return "" if quantity is None else str(quantity)
    if name == "known":
        return "true" if data.get("known") else "false"
    if name == "roles":
        return "; ".join(data.get("roles", []))
    if name == "canonical":
        return str(data["id"])
    if name == "people":
        return "; ".join(data.get("people", []))
    if name == "weapons":
        return "; ".join(w["id"] for w in data.get("weapons", []))
    value = data.get(name)
    return "" if value is None else str(value)
