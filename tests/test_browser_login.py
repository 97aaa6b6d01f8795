"""Logging in to the review desk in headless Chromium: a reviewer decides, a viewer cannot.

Skipped when /usr/bin/chromium is absent (like tests/test_browser.py, whose browser
and server helpers these tests use).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.review.builder import build
from test_browser import CHROMIUM, Served, _serve, _status_of, browser

from pipeline.config import ReviewOptions
from pipeline.review import open_store
from pipeline.review.users import add_user

__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with test_browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]

PASSWORDS = {"anna": "anna's long password", "vera": "vera's long password"}


@pytest.fixture()
def team(tmp_path: Path) -> Iterator[Served]:
    """A desk that asks for a login (on loopback, by review.require_login)."""
    out_dir = tmp_path / "out"
    ids = build(out_dir)
    with open_store(out_dir) as store:
        add_user(store, "anna", "reviewer", PASSWORDS["anna"])
        add_user(store, "vera", "viewer", PASSWORDS["vera"])
    for url in _serve(out_dir, ReviewOptions(require_login=True)):
        yield Served(out_dir, ids, url)


def _log_in(page: Any, name: str, password: str | None = None) -> None:
    page.fill("#login-name", name)
    page.fill("#login-password", password or PASSWORDS[name])
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")


def test_reviewer_logs_in_accepts_and_logs_out(browser: Any, team: Served) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(team.url + "/?type=event")
    assert "/login?next=" in page.url and page.locator("#queue").count() == 0
    _log_in(page, "anna", "not anna's password")
    assert "Wrong name or password" in page.inner_text("#login-problem")
    _log_in(page, "anna")
    assert page.url == team.url + "/?type=event"  # back where the login was asked
    assert page.inner_text("#user-name") == "anna"
    cookie = next(c for c in context.cookies() if c["name"] == "osintdesk_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    first = page.locator("#queue tr.row").first.get_attribute("data-id")
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("a")
    assert _status_of(page, first) == "accepted"
    with open_store(team.out_dir) as store:
        assert [(d.record_id, d.action, d.reviewer) for d in store.decisions()] == [
            (first, "accept", "anna")
        ]
    page.goto(team.url + f"/record/{first}")
    assert "anna" in page.inner_text("#history")
    with page.expect_navigation():
        page.click("#logout button")
    assert page.url.startswith(team.url + "/login")
    page.goto(team.url + "/")
    assert "/login" in page.url
    context.close()


def test_viewer_reads_but_cannot_decide(browser: Any, team: Served) -> None:
    context = browser.new_context()
    page = context.new_page()
    rid = team.ids["en_order"]
    page.goto(team.url + f"/record/{rid}")
    _log_in(page, "vera")
    assert page.url == team.url + f"/record/{rid}"
    assert page.inner_text("#user-name") == "vera"
    assert page.locator("#accept-form, #reject-form, #edit, #alias-form").count() == 0
    page.keyboard.press("a")  # the accept key finds nothing to press
    page.goto(team.url + "/?type=event")
    assert page.locator("#queue tr.row").count() > 0
    assert page.locator("#bulk, #queue form.accept, #queue input.pick").count() == 0
    page.keyboard.press("j")
    page.keyboard.press("a")
    page.keyboard.press("x")
    # a hand-made POST with the session's own CSRF token is refused too
    status = page.evaluate(
        """async (rid) => {
            const body = new URLSearchParams({
                csrf: document.querySelector('#logout input[name=csrf]').value,
                action: 'accept', base_version: '0'});
            const answer = await fetch('/record/' + rid + '/decide', {method: 'POST', body});
            return answer.status;
        }""",
        rid,
    )
    assert status == 403
    assert page.url == team.url + "/?type=event"
    with open_store(team.out_dir) as store:
        assert store.decisions() == []
    context.close()
