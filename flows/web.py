"""The review web desk: server-rendered pages over the review store.

Security model (the pages show scraped, possibly hostile text):

* Jinja2 with autoescape on; data is never marked safe. Links are rendered only
  for http(s) URLs, everything else as text.
* A strict Content-Security-Policy: no inline script or style; the only script
  is ``/static/review.js``.
* State changes are POST only, with a per-session CSRF token (cookie + form
  field, compared with ``hmac.compare_digest``) and an Origin check.
* The Host header must be the bound address (or localhost/127.0.0.1 when bound
  to loopback): a DNS-rebinding guard.
* Two reviewers deciding the same record: the store's version check makes the
  second one get a 409 conflict page instead of a lost update.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader

from pipeline.errors import ConflictError, OsintdeskError, ReviewError
from pipeline.review import (
    EDITABLE,
    STATUSES,
    Reviewed,
    ReviewedRecord,
    decide,
    open_store,
    publish,
    review_state,
    split,
    sync_output,
)
from pipeline.store import Store
from schemas.records import EventType, WeaponCategory

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
CSRF_COOKIE = "osintdesk_csrf"
REVIEWER_COOKIE = "osintdesk_reviewer"
RTL_LANGUAGES = frozenset({"ar", "fa", "ur", "he", "ps", "yi"})
EVENT_TYPES = get_args(EventType)
WEAPON_CATEGORIES = get_args(WeaponCategory)
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
QUEUE_LIMIT = 500  # rows per queue page; filters narrow the rest


def allowed_hosts(bind_host: str, port: int) -> frozenset[str]:
    """Host header values accepted for an app bound to ``bind_host:port``."""
    names = {bind_host.lower()}
    if bind_host.lower() in LOOPBACK:
        names |= LOOPBACK
    hosts: set[str] = set()
    for name in names:
        shown = f"[{name}]" if ":" in name else name
        hosts.add(f"{shown}:{port}")
        if port == 80:
            hosts.add(shown)
    return frozenset(hosts)


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, else None (render it as text)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def text_dir(language: str | None) -> str:
    return "rtl" if (language or "") in RTL_LANGUAGES else "ltr"


def _safe_next(value: object, default: str) -> str:
    """A local redirect target: a path on this site, never another origin."""
    text = str(value or "")
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return default


def _date_position(value: str | None) -> float | None:
    """A year fraction for placing an EDTF-style value on the timeline."""
    if not value:
        return None
    value = value.split("/", 1)[0]
    try:
        if len(value) == 4 and value.endswith("XX"):
            return int(value[:2]) * 100 + 50.0
        if len(value) == 4 and value.endswith("X"):
            return int(value[:3]) * 10 + 5.0
        year = int(value[:4])
        if len(value) >= 7:
            month = int(value[5:7])
            if month > 20:  # season 21-24
                month = (month - 21) * 3 + 2
            day = int(value[8:10]) if len(value) >= 10 else 15
            return year + (month - 1) / 12 + (day - 1) / 365
        return year + 0.5
    except ValueError:
        return None


def _timeline(state: Reviewed) -> dict[str, Any]:
    """Coordinates for the server-rendered SVG timeline of accepted events."""
    points: list[tuple[float, ReviewedRecord]] = []
    for rec in state.survivors("event"):
        if rec.status != "accepted":
            continue
        pos = _date_position((rec.data.get("date") or {}).get("value"))
        if pos is not None:
            points.append((pos, rec))
    types = [t for t in EVENT_TYPES if any(r.data["type"] == t for _, r in points)]
    left, right, top, row_h = 190, 880, 30, 40
    width = right + 30
    height = top + row_h * max(len(types), 1) + 40
    if not points:
        return {"width": width, "height": height, "rows": [], "ticks": [], "dots": []}
    first = int(min(p for p, _ in points))
    last = int(max(p for p, _ in points)) + 1
    span = max(last - first, 1)
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100) if span / s <= 12)
    first -= first % step
    last += -last % step
    span = max(last - first, 1)

    def x(pos: float) -> float:
        return round(left + (pos - first) / span * (right - left), 1)

    rows = [
        {"type": t, "y": top + row_h * i + row_h / 2, "label_y": top + row_h * i + row_h / 2 + 4}
        for i, t in enumerate(types)
    ]
    row_y: dict[str, float] = {t: top + row_h * i + row_h / 2 for i, t in enumerate(types)}
    axis_y = top + row_h * len(types) + 10
    ticks = [{"x": x(year), "label": str(year)} for year in range(first, last + 1, step)]
    stacked: dict[tuple[str, float], int] = {}
    dots: list[dict[str, Any]] = []
    for pos, rec in sorted(points, key=lambda item: (item[0], item[1].id)):
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
                "label": f"{rec.data['date']['value']}: {rec.data['evidence']['sentence']}",
            }
        )
    return {
        "width": width,
        "height": height,
        "rows": rows,
        "ticks": ticks,
        "dots": dots,
        "axis_y": axis_y,
        "left": left,
        "right": right,
        "events": [rec for _, rec in sorted(points, key=lambda item: (item[0], item[1].id))],
    }


def _evidence_view(rec: ReviewedRecord, doc: dict[str, Any] | None) -> dict[str, Any]:
    """The evidence sentence inside its paragraph, split for a <mark>."""
    evidence = rec.data["evidence"]
    start, end = int(evidence["start"]), int(evidence["end"])
    language = evidence["language"]
    if doc is not None:
        for para in doc.get("paragraphs", []):
            if para["start"] <= start and end <= para["end"]:
                text = para["text"]
                a, b = start - para["start"], end - para["start"]
                return {
                    "before": text[:a],
                    "mark": text[a:b],
                    "after": text[b:],
                    "lang": para.get("language") or language,
                    "dir": text_dir(para.get("language") or language),
                }
    return {
        "before": "",
        "mark": evidence["sentence"],
        "after": "",
        "lang": language,
        "dir": text_dir(language),
    }


def _mention_views(
    mentions: list[dict[str, Any]], docs: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    views = []
    for m in sorted(mentions, key=lambda m: (m["language"], m["document_id"], m["start"])):
        doc = docs.get(m["document_id"])
        text = doc["text"] if doc else ""
        s, e = int(m["start"]), int(m["end"])
        views.append(
            {
                **m,
                "before": text[max(0, s - 80) : s],
                "mark": m["text"],
                "after": text[e : e + 80],
                "dir": text_dir(m["language"]),
                "title": (doc or {}).get("title") or m["document_id"],
            }
        )
    return views


def _document_view(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    if doc is None:
        return None
    source = doc["source"]
    location = source.get("final_url") or source["location"]
    return {
        "id": doc["id"],
        "title": doc.get("title") or "",
        "site": doc.get("site") or "",
        "published": doc.get("published") or "",
        "language": doc["language"],
        "location": location,
        "href": safe_url(location),
        "snapshot": bool(source.get("snapshot")),
    }


def create_app(
    out_dir: Path, *, bind_host: str = "127.0.0.1", port: int, sync: bool = True
) -> FastAPI:
    """The review app over ``out_dir`` (its store is ``out_dir/review.sqlite``)."""
    out_dir = Path(out_dir)
    if sync:
        with open_store(out_dir) as initial:
            sync_output(initial, out_dir)
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        statuses=STATUSES,
        event_types=EVENT_TYPES,
        categories=WEAPON_CATEGORIES,
        text_dir=text_dir,
    )
    hosts = allowed_hosts(bind_host, port)
    app = FastAPI(title="osintdesk review", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        host = request.headers.get("host", "").lower()
        if host not in hosts:
            log.warning("refused request with Host %r", host)
            response: Response = Response(
                "Host not allowed", status_code=400, media_type="text/plain"
            )
        else:
            response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on POST
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        return response

    def open_db() -> Store:
        return open_store(out_dir)

    def csrf_token(request: Request) -> tuple[str, bool]:
        token = request.cookies.get(CSRF_COOKIE, "")
        if len(token) >= 32 and token.replace("-", "").replace("_", "").isalnum():
            return token, False
        return secrets.token_urlsafe(32), True

    def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        token, fresh = csrf_token(request)
        reviewer = request.cookies.get(REVIEWER_COOKIE, "") or "reviewer"
        html = env.get_template(name).render(
            csrf=token, reviewer=reviewer, path=request.url.path, **context
        )
        response = HTMLResponse(html, status_code=status_code)
        if fresh:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict")
        return response

    def error(request: Request, status_code: int, title: str, message: str, back: str) -> Response:
        return render(request, "error.html", status_code, title=title, message=message, back=back)

    async def checked_form(request: Request) -> dict[str, str] | None:
        """The POSTed form when its CSRF token and Origin are good, else None."""
        form = await request.form()
        sent = str(form.get("csrf", ""))
        cookie = request.cookies.get(CSRF_COOKIE, "")
        origin = request.headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() not in hosts:
            return None
        if not sent or not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
            return None
        return {k: str(v) for k, v in form.items()}

    def reviewer_of(request: Request, form: dict[str, str]) -> str:
        return form.get("reviewer") or request.cookies.get(REVIEWER_COOKIE) or "reviewer"

    @app.get("/", response_class=HTMLResponse)
    def queue(
        request: Request,
        status: str = "",
        type: str = "",
        language: str = "",
        source: str = "",
        date: str = "",
    ) -> Response:
        with open_db() as st:
            state = review_state(st)
            docs = st.documents()
            runs = st.runs()
        rows: list[dict[str, Any]] = []
        for rec in state.survivors():
            if status and rec.status != status:
                continue
            if type and rec.type != type:
                continue
            if language and language not in rec.languages:
                continue
            if source:
                sites = {
                    str(docs[d].get("site") or "") + " " + str(docs[d]["source"]["location"])
                    for d in rec.document_ids
                    if d in docs
                }
                if not any(source.lower() in s.lower() for s in sites):
                    continue
            date_value = (rec.data.get("date") or {}).get("value") or ""
            if date and (rec.type != "event" or not date_value.startswith(date)):
                continue
            snippet = (
                rec.data["evidence"]["sentence"]
                if rec.type == "event"
                else "; ".join(sorted({m["text"] for m in rec.data.get("mentions", [])}))
            )
            rows.append(
                {
                    "rec": rec,
                    "date": date_value,
                    "snippet": snippet,
                    "lang": rec.languages[0] if len(rec.languages) == 1 else "",
                }
            )
        order = {"changed": 0, "pending": 1, "accepted": 2, "rejected": 3}
        rows.sort(key=lambda r: (order[r["rec"].status], r["rec"].type, r["date"], r["rec"].id))
        languages = sorted({lang for rec in state.survivors() for lang in rec.languages})
        filters = {
            "status": status,
            "type": type,
            "language": language,
            "source": source,
            "date": date,
        }
        query = urlencode({k: v for k, v in filters.items() if v})
        total = len(rows)
        rows = rows[:QUEUE_LIMIT]
        return render(
            request,
            "queue.html",
            rows=rows,
            total=total,
            filters=filters,
            languages=languages,
            here="/" + (f"?{query}" if query else ""),
            orphaned=state.orphaned,
            run=runs[-1] if runs else None,
        )

    def record_page(request: Request, record_id: str) -> Response:
        with open_db() as st:
            state = review_state(st)
            docs = st.documents()
        rec = state.records.get(record_id) or next(
            (r for r in state.survivors() if r.data["id"] == record_id), None
        )  # an id given by a canonical-link edit names the record it was given to
        if rec is None:
            return error(request, 404, "Not found", f"{record_id}: no such record", "/")
        names = {r.data["id"]: r.name for r in state.survivors() if r.type != "event"} | {
            r.id: r.name for r in state.records.values() if r.type != "event"
        }
        context: dict[str, Any] = {"rec": rec, "names": names, "editable": EDITABLE[rec.type]}
        if rec.type == "event":
            evidence_doc = docs.get(rec.data["evidence"]["document_id"])
            context["evidence"] = _evidence_view(rec, evidence_doc)
            context["document"] = _document_view(evidence_doc)
            # the same people and systems mentioned elsewhere, in any language
            linked = [*rec.data.get("people", []), *(w["id"] for w in rec.data.get("weapons", []))]
            by_output = {r.data["id"]: r for r in state.survivors() if r.type != "event"}
            context["elsewhere"] = [
                {
                    "id": eid,
                    "name": by_output[eid].name,
                    "mentions": _mention_views(
                        [
                            m
                            for m in by_output[eid].data.get("mentions", [])
                            if m["document_id"] != rec.data["evidence"]["document_id"]
                        ],
                        docs,
                    ),
                }
                for eid in linked
                if eid in by_output
            ]
        else:
            out_id = rec.data["id"]
            context["mentions"] = _mention_views(rec.data.get("mentions", []), docs)
            context["events"] = sorted(
                (
                    e
                    for e in state.survivors("event")
                    if out_id in e.data.get("people", [])
                    or any(w["id"] == out_id for w in e.data.get("weapons", []))
                ),
                key=lambda e: ((e.data.get("date") or {}).get("value") or "", e.id),
            )
            context["merge_targets"] = [r for r in state.survivors(rec.type) if r.id != rec.id]
            context["merged"] = [state.records[m] for m in rec.merged_from]
            context["documents"] = {d: _document_view(docs.get(d)) for d in rec.document_ids}
        return render(request, "record.html", **context)

    @app.get("/record/{record_id}", response_class=HTMLResponse)
    def record(request: Request, record_id: str) -> Response:
        return record_page(request, record_id)

    @app.get("/entity/{record_id}", response_class=HTMLResponse)
    def entity(request: Request, record_id: str) -> Response:
        return record_page(request, record_id)

    @app.get("/timeline", response_class=HTMLResponse)
    def timeline(request: Request) -> Response:
        with open_db() as st:
            state = review_state(st)
        return render(request, "timeline.html", tl=_timeline(state))

    @app.get("/document/{document_id}/snapshot")
    def snapshot(request: Request, document_id: str) -> Response:
        with open_db() as st:
            doc = st.document(document_id)
        rel = (doc or {}).get("source", {}).get("snapshot")
        root = out_dir.resolve()
        path = (root / rel).resolve() if rel else None
        if path is None or not path.is_relative_to(root) or not path.is_file():
            return error(request, 404, "Not found", f"{document_id}: no snapshot", "/")
        return Response(
            path.read_bytes(),
            media_type="text/plain",
            headers={
                "Content-Disposition": f'attachment; filename="{path.stem}.txt"',
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
            },
        )

    @app.post("/record/{record_id}/decide")
    async def decide_view(request: Request, record_id: str) -> Response:
        form = await checked_form(request)
        back = f"/record/{record_id}"
        if form is None:
            return error(request, 403, "Refused", "missing or wrong CSRF token", back)
        action = form.get("action", "")
        payload: dict[str, Any] = {}
        if action == "edit":
            payload["set"] = {
                f: form[f"set_{f}"].strip()
                for f in EDITABLE.get(record_id.split(":", 1)[0], ())
                if f"set_{f}" in form and form[f"set_{f}"].strip() != form.get(f"was_{f}", "")
            }
        elif action == "merge":
            payload["into"] = form.get("into", "")
        elif action == "alias":
            payload["name"] = form.get("alias", "")
        try:
            version = int(form.get("base_version", ""))
        except ValueError:
            return error(request, 400, "Bad request", "base_version must be a number", back)
        try:
            with open_db() as st:
                decide(
                    st,
                    record_id,
                    action,
                    reviewer=reviewer_of(request, form),
                    base_version=version,
                    payload=payload,
                    note=form.get("note", ""),
                    out_dir=out_dir,
                )
        except ConflictError as exc:
            return error(request, 409, "Conflict: someone else decided first", str(exc), back)
        except ReviewError as exc:
            return error(request, 400, "Decision refused", str(exc), back)
        return RedirectResponse(_safe_next(form.get("next"), back), status_code=303)

    @app.post("/split/{seq}")
    async def split_view(request: Request, seq: int) -> Response:
        form = await checked_form(request)
        back = _safe_next((form or {}).get("next"), "/")
        if form is None:
            return error(request, 403, "Refused", "missing or wrong CSRF token", back)
        try:
            with open_db() as st:
                split(st, seq, reviewer=reviewer_of(request, form), note=form.get("note", ""))
        except ReviewError as exc:
            return error(request, 400, "Split refused", str(exc), back)
        return RedirectResponse(back, status_code=303)

    @app.post("/reviewer")
    async def set_reviewer(request: Request) -> Response:
        form = await checked_form(request)
        back = _safe_next((form or {}).get("next"), "/")
        if form is None:
            return error(request, 403, "Refused", "missing or wrong CSRF token", back)
        name = " ".join(form.get("reviewer", "").split())[:100]
        response = RedirectResponse(back, status_code=303)
        if name:
            response.set_cookie(REVIEWER_COOKIE, name, httponly=True, samesite="strict")
        return response

    @app.post("/sync")
    async def sync_view(request: Request) -> Response:
        form = await checked_form(request)
        if form is None:
            return error(request, 403, "Refused", "missing or wrong CSRF token", "/")
        try:
            with open_db() as st:
                sync_output(st, out_dir)
        except OsintdeskError as exc:
            return error(request, 400, "Reload failed", str(exc), "/")
        return RedirectResponse("/", status_code=303)

    @app.post("/publish")
    async def publish_view(request: Request) -> Response:
        form = await checked_form(request)
        if form is None:
            return error(request, 403, "Refused", "missing or wrong CSRF token", "/")
        with open_db() as st:
            files = publish(st, out_dir)
        stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        message = f"{len(files)} files written at {stamp}"
        return render(request, "error.html", title="Published", message=message, back="/")

    return app
