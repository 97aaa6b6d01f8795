"""What keeps hostile pages and other sites from steering the review desk.

* Jinja2 with autoescape on; data is never marked safe. Links are rendered only
  for http(s) URLs (:func:`safe_url`), everything else as text.
* A strict Content-Security-Policy: no inline script or style; the only script
  is ``/static/review.js``.
* State changes are POST only, with a per-session CSRF token (cookie + form
  field, compared with ``hmac.compare_digest``) and an Origin check.
* The Host header must be the bound address (or localhost/127.0.0.1 when bound
  to loopback): a DNS-rebinding guard.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import Response

log = logging.getLogger(__name__)

CSRF_COOKIE = "osintdesk_csrf"
REVIEWER_COOKIE = "osintdesk_reviewer"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


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


def safe_next(value: object, default: str) -> str:
    """A local redirect target: a path on this site, never another origin."""
    text = str(value or "")
    if text.startswith("/") and not text.startswith("//") and "\\" not in text:
        return text
    return default


def add_guard(app: FastAPI, hosts: frozenset[str]) -> None:
    """Refuse foreign Host headers and set the security headers on every response."""
    app.state.hosts = hosts

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


def csrf_token(request: Request) -> tuple[str, bool]:
    """The session's CSRF token, and whether it is new (then it must be set as a cookie)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) >= 32 and token.replace("-", "").replace("_", "").isalnum():
        return token, False
    return secrets.token_urlsafe(32), True


async def checked_form(request: Request) -> dict[str, str] | None:
    """The POSTed form when its CSRF token and Origin are good, else None."""
    form = await request.form()
    sent = str(form.get("csrf", ""))
    cookie = request.cookies.get(CSRF_COOKIE, "")
    origin = request.headers.get("origin")
    hosts: frozenset[str] = request.app.state.hosts
    if origin is not None and urlsplit(origin).netloc.lower() not in hosts:
        return None
    if not sent or not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
        return None
    return {k: str(v) for k, v in form.items()}


def reviewer_of(request: Request, form: dict[str, str]) -> str:
    return form.get("reviewer") or request.cookies.get(REVIEWER_COOKIE) or "reviewer"
