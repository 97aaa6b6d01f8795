"""Logging in and out of the desk (see :mod:`flows.web.auth` for sessions and limits)."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from flows.web.auth import (
    LoginLimiter,
    client_address,
    close_login,
    current_user,
    end_session,
    session_id_of,
    start_session,
)
from flows.web.render import desk_of, refused, render
from flows.web.security import checked_form, safe_next
from pipeline.review import open_store
from pipeline.review.users import MAX_PASSWORD, User, authenticate, open_session

log = logging.getLogger(__name__)

router = APIRouter()


def _check(out_dir: Path, name: str, password: str, hours: float) -> tuple[User, str] | None:
    """The user and a new login's id when the password is theirs, else None."""
    with open_store(out_dir) as store:
        user = authenticate(store, name, password)
        return (user, open_session(store, user, hours)) if user is not None else None


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    target = safe_next(next, "/")
    if current_user(request) is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "login.html", next=target, login_name="", problem="")


@router.post("/login")
async def login(request: Request) -> Response:
    """Check name and password; limited per name and per client address."""
    form = await checked_form(request)
    if form is None:
        return refused(request, "/login")
    name = form.get("name", "").strip()[:100]
    password = form.get("password", "")[: MAX_PASSWORD + 1]
    target = safe_next(form.get("next"), "/")
    address = client_address(request)
    limiter: LoginLimiter = request.app.state.limiter
    # a password check takes 64 MiB and most of a core for a moment: two at a time, and the
    # failures are read and counted inside the slot, so a burst runs past the limit by one at most
    async with request.app.state.login_slots:
        wait = limiter.wait(name, address)
        if wait > 0:
            minutes = max(1, math.ceil(wait / 60))
            log.warning("login refused for %r from %s: too many failures", name, address)
            response = render(
                request,
                "login.html",
                429,
                next=target,
                login_name=name,
                problem=f"Too many failed logins; try again in {minutes} min.",
            )
            response.headers["Retry-After"] = str(math.ceil(wait))
            return response
        out_dir = desk_of(request).out_dir
        hours = request.app.state.session_hours
        login = await anyio.to_thread.run_sync(_check, out_dir, name, password, hours)
        if login is None:
            limiter.failed(name, address)
    if login is None:
        log.warning("failed login for %r from %s", name, address)
        problem = "Wrong name or password."
        return render(request, "login.html", 401, next=target, login_name=name, problem=problem)
    user, session_id = login
    limiter.succeeded(name)
    start_session(request, session_id)
    request.state.user = user
    log.info("%s logged in from %s", user.name, address)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
async def logout(request: Request) -> Response:
    if await checked_form(request) is None:
        return refused(request, "/")
    user = current_user(request)
    session_id = session_id_of(request)
    if session_id is not None:
        await anyio.to_thread.run_sync(close_login, desk_of(request).out_dir, session_id)
    end_session(request)
    if user is not None:
        log.info("%s logged out", user.name)
    return RedirectResponse("/login" if request.app.state.login_required else "/", 303)
