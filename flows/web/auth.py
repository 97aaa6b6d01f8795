"""Logins for the review desk: signed sessions, who is logged in, what they may do.

* The session is Starlette's signed cookie (``SessionMiddleware``, itsdangerous):
  HttpOnly, SameSite=Lax, Secure when ``review.secure_cookie``. Its key is a random
  secret in ``OUT/review.secret`` (mode 0600), made once, atomically.
* The cookie holds a random session id; the store's ``sessions`` table holds its
  digest, the user and the expiry (:mod:`pipeline.review.users`). Every request
  looks the login up, so logging out, a new password or removing the user ends it
  at once (a copied cookie included), and a changed role counts at once.
* A login is required when the desk binds to anything but loopback, and on
  loopback when ``review.require_login`` is set. Without one, pages redirect to
  ``/login`` and other requests get 403.
* Viewers read; every request that changes something (anything but GET and
  HEAD, except logging out) is refused with 403 for them, in one place, so a
  new route cannot forget the check.
* Failed logins are limited per user name and per client address
  (:class:`FailedLogins`), in bounded memory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import tempfile
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware

from flows.web.render import error
from flows.web.security import CSRF_KEY, LOOPBACK
from pipeline.config import ReviewOptions
from pipeline.errors import ReviewError
from pipeline.review import open_store
from pipeline.review.users import User, close_session, session_user

log = logging.getLogger(__name__)

SESSION_COOKIE = "osintdesk_session"
SECRET_FILE = "review.secret"
SESSION_KEY = "sid"  # the login's id in the signed cookie
OPEN_PATHS = frozenset({"/login"})
"""Paths served without a login (besides ``/static/``)."""
READ_METHODS = frozenset({"GET", "HEAD"})
LOGIN_CHECKS_AT_ONCE = 2
"""Password checks run at the same time (each argon2 check holds 64 MiB)."""
NextApp = Callable[[Request], Awaitable[Response]]


def login_required(bind_host: str, options: ReviewOptions) -> bool:
    """A login is asked for on every address but loopback, and on loopback when set."""
    return options.require_login or bind_host.lower() not in LOOPBACK


def session_secret(out_dir: Path) -> str:
    """The key that signs session cookies: ``OUT/review.secret``, made on first use.

    Written to a private temporary file (mode 0600) and linked into place, so no
    process ever reads half a secret and two desks starting at once agree on one.
    """
    path = Path(out_dir) / SECRET_FILE
    if not path.exists():
        fd, tmp = tempfile.mkstemp(prefix=".review.secret.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):  # another desk made it first
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    if path.is_symlink() or not path.is_file():
        raise ReviewError(f"{path}: the session secret must be a regular file")
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("%s: mode %o gave others access; set to 0600", path, mode)
        path.chmod(0o600)
    secret = path.read_text("ascii", errors="replace").strip()
    if len(secret) < 32:
        raise ReviewError(f"{path}: session secret is damaged; delete it (everyone logs in again)")
    return secret


@dataclass
class FailedLogins:
    """Failed logins per key (a user name, a client address) in a sliding window.

    A key with ``limit`` failures in the last ``window_s`` seconds is blocked until
    the oldest of them leaves the window. At most ``max_keys`` keys are kept: the
    least recently failed is forgotten first, so memory stays bounded however many
    names or addresses an attacker tries.
    """

    limit: int
    window_s: float
    max_keys: int = 10_000
    clock: Callable[[], float] = time.monotonic
    _failures: OrderedDict[str, deque[float]] = field(default_factory=OrderedDict)

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        times = self._failures.get(key)
        if not times:
            return 0.0
        now = self.clock()
        while times and now - times[0] >= self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0.0
        if len(times) < self.limit:
            return 0.0
        return self.window_s - (now - times[0])

    def failed(self, key: str) -> None:
        times = self._failures.pop(key, None) or deque(maxlen=self.limit)
        times.append(self.clock())
        self._failures[key] = times  # most recent last
        while len(self._failures) > self.max_keys:
            self._failures.popitem(last=False)

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)

    def __len__(self) -> int:
        return len(self._failures)


@dataclass
class LoginLimiter:
    """Both limits of the login form: 5 failures a user name and 20 a client address
    (an office behind one address has several users) in 15 minutes."""

    per_user: FailedLogins = field(default_factory=lambda: FailedLogins(5, 900.0))
    per_address: FailedLogins = field(default_factory=lambda: FailedLogins(20, 900.0))

    def wait(self, name: str, address: str) -> float:
        return max(self.per_user.wait(name.casefold()), self.per_address.wait(address))

    def failed(self, name: str, address: str) -> None:
        self.per_user.failed(name.casefold())
        self.per_address.failed(address)

    def succeeded(self, name: str) -> None:
        self.per_user.forget(name.casefold())


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_user(request: Request) -> User | None:
    user: User | None = getattr(request.state, "user", None)
    return user


def start_session(request: Request, session_id: str) -> None:
    """The cookie of a new login: nothing of the session before survives (CSRF token
    included), so a token planted before the login is useless after it."""
    request.session.clear()
    request.session[SESSION_KEY] = session_id
    request.session[CSRF_KEY] = secrets.token_urlsafe(32)


def session_id_of(request: Request) -> str | None:
    value = request.session.get(SESSION_KEY)
    return value if isinstance(value, str) and value else None


def end_session(request: Request) -> None:
    request.session.clear()


def _session_user(out_dir: Path, session_id: str) -> User | None:
    with open_store(out_dir) as store:
        return session_user(store, session_id)


def close_login(out_dir: Path, session_id: str) -> None:
    with open_store(out_dir) as store:
        close_session(store, session_id)


def add_sessions(app: FastAPI, out_dir: Path, options: ReviewOptions) -> None:
    """Signed session cookies (add after the login gate: middleware added later runs first)."""
    app.state.session_hours = options.session_hours
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(out_dir),
        session_cookie=SESSION_COOKIE,
        max_age=int(options.session_hours * 3600),
        same_site="lax",
        https_only=options.secure_cookie,
    )


def add_login_gate(app: FastAPI, out_dir: Path, *, required: bool) -> None:
    """Who is logged in (``request.state.user``), and the refusals that follow from it."""
    app.state.login_required = required
    app.state.limiter = LoginLimiter()
    app.state.login_slots = anyio.CapacityLimiter(LOGIN_CHECKS_AT_ONCE)

    @app.middleware("http")
    async def gate(request: Request, call_next: NextApp) -> Response:
        user = None
        session_id = session_id_of(request)
        if session_id is not None:
            user = await run_in_threadpool(_session_user, out_dir, session_id)
            if user is None:  # logged out, expired, a new password, removed: it is over
                end_session(request)
        request.state.user = user
        path = request.url.path
        if path in OPEN_PATHS or path.startswith("/static/"):
            return await call_next(request)
        if user is None and required:
            if request.method in READ_METHODS:
                target = path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse("/login?" + urlencode({"next": target}), 303)
            return error(request, 403, "Log in first", "this desk needs a login", "/login")
        changes = request.method not in READ_METHODS and path != "/logout"
        if user is not None and not user.can_decide and changes:
            log.warning("viewer %s refused: %s %s", user.name, request.method, path)
            return error(request, 403, "Viewers cannot decide", f"{user.name} may read only", "/")
        return await call_next(request)
