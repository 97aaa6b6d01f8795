"""Logins on the review desk: when they are asked, sessions, roles, CSRF, limits, Host guard."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from fixtures.review.builder import build
from pydantic import ValidationError
from typer.testing import CliRunner

from flows.web import create_app
from flows.web.auth import SECRET_FILE, SESSION_COOKIE, FailedLogins, LoginLimiter
from pipeline.config import ReviewOptions
from pipeline.review import open_store
from pipeline.review.users import add_user, remove_user

ANNA = ("anna", "anna's long password")
VERA = ("vera", "vera's long password")
PUBLIC = "192.0.2.10"  # a documentation address: binding there means a team desk
BASE = f"http://{PUBLIC}:8765"


@pytest.fixture(scope="module")
def team_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    out = tmp_path_factory.mktemp("team") / "out"
    ids = build(out)
    with open_store(out) as store:
        add_user(store, ANNA[0], "reviewer", ANNA[1])
        add_user(store, VERA[0], "viewer", VERA[1])
    return out, ids


def _client(out: Path, host: str = PUBLIC, **options: object) -> TestClient:
    review = ReviewOptions.model_validate(options)
    app = create_app(out, bind_host=host, port=8765, options=review)
    scheme = "https" if review.secure_cookie else "http"  # as behind a TLS proxy
    return TestClient(app, base_url=f"{scheme}://{host}:8765")


def _csrf(client: TestClient, page: str = "/login") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(page).text)
    assert found, f"no CSRF token on {page}"
    return found.group(1)


def _login(client: TestClient, name: str, password: str, nxt: str = "/") -> httpx.Response:
    data = {"csrf": _csrf(client), "name": name, "password": password, "next": nxt}
    return client.post("/login", data=data, follow_redirects=False)


def _decide(client: TestClient, out: Path, rid: str, **extra: str) -> httpx.Response:
    with open_store(out) as store:
        version = str(store.version(rid))
    data = {"csrf": _csrf(client, "/"), "action": "accept", "base_version": version, **extra}
    return client.post(f"/record/{rid}/decide", data=data, follow_redirects=False)


def _decisions(out: Path) -> list[tuple[str, str, str]]:
    with open_store(out) as store:
        return [(d.record_id, d.action, d.reviewer) for d in store.decisions()]


def test_a_desk_off_loopback_asks_for_a_login(team_out: tuple[Path, dict[str, str]]) -> None:
    out, ids = team_out
    with _client(out) as client:
        page = client.get("/?type=event", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=%2F%3Ftype%3Devent"
        assert client.get(f"/record/{ids['en_order']}", follow_redirects=False).status_code == 303
        assert client.get("/export?format=csv", follow_redirects=False).status_code == 303
        assert client.get("/static/review.css").status_code == 200
        before = _decisions(out)
        refused = client.post(
            f"/record/{ids['en_order']}/decide",
            data={"csrf": _csrf(client), "action": "accept", "base_version": "0"},
        )
        assert refused.status_code == 403 and _decisions(out) == before


def test_loopback_needs_no_login_unless_asked(team_out: tuple[Path, dict[str, str]]) -> None:
    out, _ = team_out
    with _client(out, host="127.0.0.1") as client:
        page = client.get("/")
        assert page.status_code == 200 and 'action="/reviewer"' in page.text
    with _client(out, host="127.0.0.1", require_login=True) as client:
        assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=%2F"


def test_reviewer_decides_as_themself_not_as_a_typed_name(tmp_path: Path) -> None:
    out = tmp_path / "out"
    ids = build(out)
    with open_store(out) as store:
        add_user(store, ANNA[0], "reviewer", ANNA[1])
    with _client(out) as client:
        assert _login(client, "anna", "wrong password!").status_code == 401
        ok = _login(client, *ANNA, nxt="/timeline")
        assert ok.status_code == 303 and ok.headers["location"] == "/timeline"
        page = client.get("/")
        assert 'id="user-name">anna</bdi> (reviewer)' in page.text
        assert 'action="/reviewer"' not in page.text and "Accept selected" in page.text
        assert _decide(client, out, ids["en_order"], reviewer="Mallory").status_code == 303
        client.post("/reviewer", data={"csrf": _csrf(client, "/"), "reviewer": "Mallory"})
        assert _decide(client, out, ids["ar_order"]).status_code == 303
    assert [d[2] for d in _decisions(out)] == ["anna", "anna"]


def test_viewer_reads_but_every_change_is_refused(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    ids = build(out)
    with open_store(out) as store:
        add_user(store, VERA[0], "viewer", VERA[1])
    rid = ids["en_order"]
    with _client(out) as client:
        assert _login(client, *VERA).status_code == 303
        queue = client.get("/")
        record = client.get(f"/record/{rid}")
        assert queue.status_code == record.status_code == 200
        for html in (queue.text, record.text):
            assert "/decide" not in html and 'action="/bulk"' not in html
            assert 'action="/publish"' not in html and 'action="/sync"' not in html
        assert 'id="user-name">vera</bdi> (viewer)' in queue.text
        assert client.get("/export?format=csv").status_code == 200
        token = _csrf(client, "/")
        posts = {
            f"/record/{rid}/decide": {"action": "accept", "base_version": "0"},
            "/bulk": {"action": "accept", "pick": f"{rid}@0"},
            "/undo": {"batch": "x"},
            "/split/1": {},
            "/sync": {},
            "/publish": {},
            "/reviewer": {"reviewer": "x"},
        }
        for url, form in posts.items():
            answer = client.post(url, data={"csrf": token, **form}, follow_redirects=False)
            assert answer.status_code == 403, url
            assert "Viewers cannot decide" in answer.text
        assert not (out / "reviewed").exists()
        out_of = client.post("/logout", data={"csrf": token}, follow_redirects=False)
        assert out_of.status_code == 303 and out_of.headers["location"] == "/login"
        assert client.get("/", follow_redirects=False).status_code == 303
    assert _decisions(out) == []


def test_csrf_token_belongs_to_the_session_and_a_login_renews_it(
    team_out: tuple[Path, dict[str, str]],
) -> None:
    out, ids = team_out
    with _client(out) as client, _client(out) as other:
        before = _csrf(client)
        # a login form without the session's token is refused
        bare = client.post("/login", data={"name": ANNA[0], "password": ANNA[1]})
        assert bare.status_code == 403
        foreign = {"csrf": _csrf(other), "name": ANNA[0], "password": ANNA[1]}
        assert client.post("/login", data=foreign).status_code == 403
        assert _login(client, *ANNA).status_code == 303
        after = _csrf(client, "/")
        assert after != before
        stale = {"csrf": before, "action": "accept", "base_version": "0"}
        rid = ids["en_delivery"]
        assert client.post(f"/record/{rid}/decide", data=stale).status_code == 403
        assert all(d[0] != rid for d in _decisions(out))


def test_session_cookie_is_signed_httponly_lax_with_a_private_secret(
    team_out: tuple[Path, dict[str, str]],
) -> None:
    out, _ = team_out
    with _client(out, secure_cookie=True, session_hours=2) as client:
        answer = _login(client, *ANNA)
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith(f"{SESSION_COOKIE}=")
        low = cookie.lower()
        assert "httponly" in low and "samesite=lax" in low and "secure" in low
        assert "max-age=7200" in low and ANNA[1] not in cookie
        session = cookie.split(";", 1)[0].split("=", 1)[1]
    secret = out / SECRET_FILE
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    # the same secret signs for the next desk over this folder: the session still holds
    with _client(out) as again:
        kept = {"Cookie": f"{SESSION_COOKIE}={session}"}
        assert again.get("/", headers=kept, follow_redirects=False).status_code == 200
        body, _, signature = session.rpartition(".")
        flipped = "A" if signature[0] != "A" else "B"
        forged = {"Cookie": f"{SESSION_COOKIE}={body}.{flipped}{signature[1:]}"}
        assert again.get("/", headers=forged, follow_redirects=False).status_code == 303


def test_logout_ends_the_login_for_a_copied_cookie_too(
    team_out: tuple[Path, dict[str, str]],
) -> None:
    out, _ = team_out
    with _client(out) as client:
        answer = _login(client, *ANNA)
        copied = {"Cookie": answer.headers["set-cookie"].split(";", 1)[0]}
        assert client.get("/", headers=copied, follow_redirects=False).status_code == 200
        token = _csrf(client, "/")
        out_of = client.post("/logout", data={"csrf": token}, follow_redirects=False)
        assert out_of.status_code == 303
    with _client(out) as thief:
        assert thief.get("/", headers=copied, follow_redirects=False).status_code == 303


def test_removed_user_or_new_password_ends_the_session(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(out)
    with open_store(out) as store:
        add_user(store, ANNA[0], "reviewer", ANNA[1])
    with _client(out) as client:
        assert _login(client, *ANNA).status_code == 303
        assert client.get("/", follow_redirects=False).status_code == 200
        with open_store(out) as store:
            add_user(store, ANNA[0], "reviewer", "a brand new password", replace=True)
        assert client.get("/", follow_redirects=False).status_code == 303
        assert _login(client, ANNA[0], "a brand new password").status_code == 303
        with open_store(out) as store:
            remove_user(store, ANNA[0])
        assert client.get("/", follow_redirects=False).status_code == 303


def test_failed_logins_are_limited_per_name_and_per_address(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(out)
    with open_store(out) as store:
        add_user(store, ANNA[0], "reviewer", ANNA[1])
        add_user(store, VERA[0], "viewer", VERA[1])
    with _client(out) as client:
        for _ in range(5):
            assert _login(client, ANNA[0], "not the password").status_code == 401
        blocked = _login(client, *ANNA)  # the right password, too late
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert "Too many failed logins" in blocked.text
        assert _login(client, *VERA).status_code == 303  # another name from here still can
        for n in range(15):  # 5 + 15 = 20 failures from this address, under many names
            assert _login(client, f"guess{n}", "not the password").status_code == 401
        assert _login(client, *VERA).status_code == 429


def test_failed_logins_window_and_bounded_memory() -> None:
    now = [1000.0]
    limits = FailedLogins(limit=3, window_s=60.0, max_keys=100, clock=lambda: now[0])
    for _ in range(3):
        assert limits.wait("anna") == 0
        limits.failed("anna")
    assert limits.wait("anna") == pytest.approx(60.0)
    now[0] += 30
    assert limits.wait("anna") == pytest.approx(30.0)
    now[0] += 30.5
    assert limits.wait("anna") == 0  # the oldest failure left the window
    for n in range(10_000):
        limits.failed(f"addr-{n}")
    assert len(limits) == 100
    limiter = LoginLimiter()
    for _ in range(5):
        limiter.failed("Anna", "10.0.0.1")
    assert limiter.wait("ANNA", "10.0.0.2") > 0  # names compare case-folded
    limiter.succeeded("anna")
    assert limiter.wait("anna", "10.0.0.2") == 0


def test_host_guard_accepts_the_public_host_names(team_out: tuple[Path, dict[str, str]]) -> None:
    out, ids = team_out
    options = {"public_hosts": ["Desk.Example.org", "proxy.example.org:8443"]}
    with _client(out, **options) as client:
        for host, code in [
            ("desk.example.org", 303),
            ("desk.example.org:8765", 303),
            ("proxy.example.org:8443", 303),
            ("proxy.example.org", 400),
            ("evil.example", 400),
        ]:
            answer = client.get("/", headers={"Host": host}, follow_redirects=False)
            assert answer.status_code == code, host
        assert _login(client, *ANNA).status_code == 303
        data = {"csrf": _csrf(client, "/"), "action": "reject", "base_version": "0"}
        rid = ids["ru_visit"]
        evil = client.post(
            f"/record/{rid}/decide", data=data, headers={"Origin": "https://evil.example"}
        )
        assert evil.status_code == 403
        good = client.post(
            f"/record/{rid}/decide",
            data=data,
            headers={"Origin": "https://desk.example.org"},
            follow_redirects=False,
        )
        assert good.status_code == 303
    with pytest.raises(ValidationError, match="1-65535"):
        ReviewOptions(public_hosts=["desk.example.org:99999"])
    with pytest.raises(ValidationError, match="not allowed"):
        ReviewOptions(public_hosts=["desk example"])


def test_login_page_escapes_the_name_and_stays_on_this_site(
    team_out: tuple[Path, dict[str, str]],
) -> None:
    out, _ = team_out
    with _client(out) as client:
        hostile = '<img src=x onerror="alert(1)">'
        answer = _login(client, hostile, "whatever password")
        assert answer.status_code == 401
        assert hostile not in answer.text and "&lt;img src=x" in answer.text
        page = client.get("/login?next=//evil.example/x")
        assert 'name="next" value="/"' in page.text
        away = _login(client, *ANNA, nxt="https://evil.example/")
        assert away.headers["location"] == "/"


def test_serve_refuses_a_team_desk_without_a_reviewer(tmp_path: Path) -> None:
    from flows.review_cli import review_app

    out = tmp_path / "out"
    build(out)
    result = CliRunner().invoke(
        review_app, ["serve", "--host", "0.0.0.0", "--port", "1", "--out-dir", str(out)]
    )
    assert result.exit_code == 1
    assert "no reviewer yet" in result.stderr and "osintdesk users add" in result.stderr


def test_every_route_that_changes_something_is_gated(tmp_path: Path) -> None:
    """Routes are read from the app's routers, so a route added later is covered too."""
    from fastapi.routing import APIRoute

    from flows.web.app import ROUTE_MODULES

    out = tmp_path / "out"
    build(out)
    with open_store(out) as store:
        add_user(store, VERA[0], "viewer", VERA[1])
    with _client(out) as client:
        changing = [
            re.sub(r"\{[^}]+\}", "1", route.path)
            for module in ROUTE_MODULES
            for route in module.router.routes
            if isinstance(route, APIRoute)
            and route.methods - {"GET", "HEAD"}
            and route.path not in ("/login", "/logout")
        ]
        assert {"/bulk", "/undo", "/publish", "/record/1/decide"} <= set(changing)
        token = _csrf(client)
        for url in changing:  # nobody logged in
            assert client.post(url, data={"csrf": token}).status_code == 403, url
        assert _login(client, *VERA).status_code == 303
        token = _csrf(client, "/")
        for url in changing:  # a viewer
            assert client.post(url, data={"csrf": token}).status_code == 403, url
    assert _decisions(out) == [] and not (out / "reviewed").exists()
