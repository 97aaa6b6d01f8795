"""The desk every route works on, and server-side rendering of its pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader

from flows.web.security import REVIEWER_COOKIE, csrf_token
from pipeline import lang as lang_registry
from pipeline.review import STATUSES, Store, open_store
from schemas.records import EventType, WeaponCategory

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
# languages outside the registry that are written right to left (paragraphs keep their
# detected language even when no pipeline reads it)
OTHER_RTL = frozenset({"fa", "ur", "he", "ps", "yi"})
EVENT_TYPES: tuple[str, ...] = get_args(EventType)
WEAPON_CATEGORIES: tuple[str, ...] = get_args(WeaponCategory)


def text_dir(language: str | None) -> str:
    rtl = lang_registry.is_rtl(language) or (language or "") in OTHER_RTL
    return "rtl" if rtl else "ltr"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
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
    return env


@dataclass(frozen=True)
class Desk:
    """One output dir served: its folder and the page templates."""

    out_dir: Path
    env: Environment

    def store(self) -> Store:
        return open_store(self.out_dir)


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def can_decide(request: Request) -> bool:
    """Whether this request's user may decide: a reviewer, or anyone where no login is
    needed and nobody logged in (the gate in :mod:`flows.web.auth` enforces it)."""
    user = getattr(request.state, "user", None)
    if user is not None:
        return bool(user.can_decide)
    return not getattr(request.app.state, "login_required", False)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page from template ``name``, with the session's CSRF token, who is deciding, and
    whether they may (viewers get no decision buttons)."""
    user = getattr(request.state, "user", None)
    reviewer = user.name if user else (request.cookies.get(REVIEWER_COOKIE, "") or "reviewer")
    html = (
        desk_of(request)
        .env.get_template(name)
        .render(
            csrf=csrf_token(request),
            reviewer=reviewer,
            user=user,
            can_decide=can_decide(request),
            login_required=getattr(request.app.state, "login_required", False),
            path=request.url.path,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code)


def error(request: Request, status_code: int, title: str, message: str, back: str) -> Response:
    return render(request, "error.html", status_code, title=title, message=message, back=back)


def refused(request: Request, back: str) -> Response:
    """The answer to a POST without a good CSRF token or from another origin."""
    return error(request, 403, "Refused", "missing or wrong CSRF token", back)
