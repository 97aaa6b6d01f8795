"""Coordinates for the server-rendered SVG timeline of accepted events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flows.web.render import EVENT_TYPES
from pipeline.review import Reviewed, ReviewedRecord
from pipeline.review.search import deal_date

LEFT, RIGHT, TOP, ROW_H = 190, 880, 30, 40
STEPS = (1, 2, 5, 10, 20, 50, 100)


def _cluster_id(rec: ReviewedRecord) -> str:
    cluster = rec.data.get("cluster") or {}
    return str(cluster.get("id") or rec.id)


def _points(state: Reviewed) -> tuple[list[tuple[float, ReviewedRecord]], dict[str, int]]:
    """Accepted, dated events at the middle of their date value (a fractional year), one
    per real-world event (cluster): its earliest-placed accepted mention; and per shown
    record, the number of documents its cluster has."""
    points = sorted(
        (
            (rec.date.position(), rec)
            for rec in state.survivors("event")
            if rec.status == "accepted" and rec.date is not None
        ),
        key=lambda item: (item[0], item[1].id),
    )
    shown: dict[str, tuple[float, ReviewedRecord]] = {}
    for pos, rec in points:
        shown.setdefault(_cluster_id(rec), (pos, rec))
    sources = {
        rec.id: int((rec.data.get("cluster") or {}).get("num_sources") or 1)
        for _, rec in shown.values()
    }
    return list(shown.values()), sources


def _axis(points: list[tuple[float, ReviewedRecord]]) -> tuple[int, int, int]:
    """(first year, last year, tick step) covering the points in at most 12 ticks."""
    first = int(points[0][0])
    last = int(points[-1][0]) + 1
    step = next(s for s in STEPS if max(last - first, 1) / s <= 12)
    return first - first % step, last + -last % step, step


def _dots(
    points: list[tuple[float, ReviewedRecord]],
    x: Callable[[float], float],
    row_y: dict[str, float],
    sources: dict[str, int],
) -> list[dict[str, Any]]:
    stacked: dict[tuple[str, float], int] = {}
    dots: list[dict[str, Any]] = []
    for pos, rec in points:
        # events on the same day and lane are fanned out so none hides another
        slot = (rec.data["type"], x(pos))
        n = stacked.get(slot, 0)
        stacked[slot] = n + 1
        offset = ((n + 1) // 2) * 9 * (1 if n % 2 else -1)
        dots.append(
            {
                "x": x(pos),
                "y": row_y[rec.data["type"]] + offset,
                "id": rec.id,
                "type": rec.data["type"],
                "label": f"{rec.data['date']['value']}: {rec.data['evidence']['sentence']}"
                + (f" ({sources[rec.id]} sources)" if sources.get(rec.id, 1) > 1 else ""),
            }
        )
    return dots


def timeline(state: Reviewed) -> dict[str, Any]:
    """Lanes per event type, year ticks and one dot per accepted, dated real-world
    event (an event told by several documents is shown once, with its count of sources)."""
    points, sources = _points(state)
    types = [t for t in EVENT_TYPES if any(r.data["type"] == t for _, r in points)]
    width = RIGHT + 30
    height = TOP + ROW_H * max(len(types), 1) + 40
    if not points:
        return {"width": width, "height": height, "rows": [], "ticks": [], "dots": []}
    first, last, step = _axis(points)
    span = max(last - first, 1)

    def x(pos: float) -> float:
        return round(LEFT + (pos - first) / span * (RIGHT - LEFT), 1)

    row_y = {t: TOP + ROW_H * i + ROW_H / 2 for i, t in enumerate(types)}
    return {
        "width": width,
        "height": height,
        "rows": [{"type": t, "y": y, "label_y": y + 4} for t, y in row_y.items()],
        "ticks": [{"x": x(year), "label": str(year)} for year in range(first, last + 1, step)],
        "dots": _dots(points, x, row_y, sources),
        "axis_y": TOP + ROW_H * len(types) + 10,
        "left": LEFT,
        "right": RIGHT,
        "events": [rec for _, rec in points],
        "sources": sources,
    }


def deal_label(deal: ReviewedRecord, role: str) -> str:
    """``Su-30MK2 × 12 → VN, 2009, delivered`` (the partner from the country's side)."""
    data = deal.data
    partner_role = "recipient" if role == "supplier" else "supplier"
    partner = (data.get(partner_role) or {}).get("country") or "?"
    arrow = "→" if role == "supplier" else "←"
    number = data.get("number_ordered") or data.get("number_delivered")
    count = f" × {number}" if number else ""
    date = deal_date(data)
    when = date.text if date is not None else "undated"
    return f"{data['designation']}{count} {arrow} {partner}, {when}, {data['status']}"


def deal_timeline(deals: dict[str, list[ReviewedRecord]]) -> dict[str, Any]:
    """Two lanes, the country as supplier and as recipient, one dot per dated deal at
    its order (else first delivery) date; year ticks as on the events timeline."""
    lanes = ["supplier", "recipient"]
    points = sorted(
        (
            (date.position(), role, deal)
            for role in lanes
            for deal in deals.get(role, [])
            if (date := deal_date(deal.data)) is not None
        ),
        key=lambda item: (item[0], item[1], item[2].id),
    )
    width, height = RIGHT + 30, TOP + ROW_H * len(lanes) + 40
    if not points:
        return {"width": width, "height": height, "rows": [], "ticks": [], "dots": []}
    first, last, step = _axis([(pos, deal) for pos, _, deal in points])
    span = max(last - first, 1)

    def x(pos: float) -> float:
        return round(LEFT + (pos - first) / span * (RIGHT - LEFT), 1)

    row_y = {role: TOP + ROW_H * i + ROW_H / 2 for i, role in enumerate(lanes)}
    stacked: dict[tuple[str, float], int] = {}
    dots = []
    for pos, role, deal in points:
        n = stacked.get((role, x(pos)), 0)
        stacked[(role, x(pos))] = n + 1
        offset = ((n + 1) // 2) * 9 * (1 if n % 2 else -1)
        dots.append(
            {
                "x": x(pos),
                "y": row_y[role] + offset,
                "id": deal.id,
                "role": role,
                "status": deal.status,
                "label": deal_label(deal, role),
            }
        )
    return {
        "width": width,
        "height": height,
        "rows": [{"type": f"as {r}", "y": y, "label_y": y + 4} for r, y in row_y.items()],
        "ticks": [{"x": x(year), "label": str(year)} for year in range(first, last + 1, step)],
        "dots": dots,
        "axis_y": TOP + ROW_H * len(lanes) + 10,
        "left": LEFT,
        "right": RIGHT,
    }
