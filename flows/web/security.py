"""What keeps hostile pages and other sites from steering the review desk.

* Jinja2 with autoescape on; data is never marked safe. Links are rendered only
  for http(s) URLs (:func:`safe_url`), everything else as text.
* A strict Content-Security-Policy: no inline script or style; the only script
  is ``/static/review.js``.
* State changes are POST only, with a CSRF token kept in the signed session
  cookie and sent in a form field (compared with ``hmac.compare_digest``), and an
  Origin check. Logging in starts a new session with a new token.
* The Host header must be the bound address (or localhost/127.0.0.1 when bound
  to loopback) or a configured public host name: a DNS-rebinding guard.
* Logins, roles and failed-login limits: :mod:`flows.web.auth`.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import Response

log = logging.getLogger(__name__)

REVIEWER_COOKIE = "osintdesk_reviewer"
CSRF_KEY = "csrf"  # the CSRF token's key in the signed session
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def allowed_hosts(bind_host: str, port: int, public_hosts: Iterable[str] = ()) -> frozenset[str]:
    """Host header values accepted for an app bound to ``bind_host:port``, and for the
    configured ``public_hosts`` (``name`` bare and with ``port``, ``name:port`` exactly)."""
    names = {bind_host.lower()}
    if bind_host.lower() in LOOPBACK:
        names |= LOOPBACK
    hosts: set[str] = set()
    for name in names:
        shown = f"[{name}]" if ":" in name else name
        hosts.add(f"{shown}:{port}")
        if port == 80:
            hosts.add(shown)
    for entry in public_hosts:
        hosts.add(entry)
        if not entry.rsplit("]", 1)[-1].count(":"):
            hosts.add(f"{entry}:{port}")
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


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made (and so sent in the session cookie) on first use."""
    token = request.session.get(CSRF_KEY)
    if isinstance(token, str) and len(token) >= 32:
        return token
    token = secrets.token_urlsafe(32)
    request.session[CSRF_KEY] = token
    return token


async def checked_form(request: Request) -> dict[str, str] | None:
    """The POSTed form when its CSRF token (the session's) and Origin are good, else None."""
    form = await request.form()
    sent = str(form.get("csrf", ""))
    expected = request.session.get(CSRF_KEY)
    origin = request.headers.get("origin")
    hosts: frozenset[str] = request.app.state.hosts
    if origin is not None and urlsplit(origin).netloc.lower() not in hosts:
        return None
    if not sent or not isinstance(expected, str) or not expected:
        return None
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        return None
    return {k: str(v) for k, v in form.items()}


def reviewer_of(request: Request, form: dict[str, str]) -> str:
    """Who decides: the logged-in user; without a login, the name the reviewer typed."""
    user = getattr(request.state, "user", None)
    if user is not None:
        return str(user.name)
    return form.get("reviewer") or request.cookies.get(REVIEWER_COOKIE) or "reviewer"
