"""The review desk in headless Chromium: decisions persist, payloads stay inert, conflicts show.

Skipped when /usr/bin/chromium is absent. The app runs under uvicorn in a
thread on an ephemeral 127.0.0.1 port.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.review.builder import XSS_FLAG, build

from pipeline.review import open_store

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("/tmp/osintdesk-shots")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


class Served:
    def __init__(self, out_dir: Path, ids: dict[str, str], url: str) -> None:
        self.out_dir, self.ids, self.url = out_dir, ids, url


def _serve(out_dir: Path) -> Iterator[str]:
    import uvicorn

    from flows.web import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(out_dir, bind_host="127.0.0.1", port=port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[Served]:
    out_dir = tmp_path / "out"
    ids = build(out_dir, xss=True)
    for url in _serve(out_dir):
        yield Served(out_dir, ids, url)


def _status_of(page: Any, rid: str) -> str:
    return str(page.locator(f'tr[data-id="{rid}"] .badge').inner_text())


def test_decisions_persist_across_reload_and_reingest(browser: Any, served: Served) -> None:
    ids = served.ids
    page = browser.new_page()
    page.goto(served.url + "/?type=event&language=ar")
    first = page.locator("#queue tr.row").first.get_attribute("data-id")
    page.keyboard.press("j")  # select the first row ...
    with page.expect_navigation():
        page.keyboard.press("a")  # ... and accept it from the keyboard
    assert _status_of(page, first) == "accepted"

    page.goto(served.url + f"/record/{ids['ru_visit']}")
    page.fill('#edit input[name="set_date"]', "2013-11-12")
    with page.expect_navigation():
        page.click("#edit button[type=submit]")
    assert page.url.endswith(f"/record/{ids['ru_visit']}")
    page.reload()
    assert "2013-11-12 (day)" in page.inner_text(".facts")

    page.goto(served.url + "/?type=event")
    assert _status_of(page, first) == "accepted"
    assert _status_of(page, ids["ru_visit"]) == "accepted"

    build(served.out_dir, xss=True)  # the next pipeline run over the same sources
    with open_store(served.out_dir) as store:
        store.ingest_output(served.out_dir, "run-2")
        assert store.latest_run().id == "run-2"  # type: ignore[union-attr]
    page.reload()
    assert _status_of(page, first) == "accepted"
    assert _status_of(page, ids["ru_visit"]) == "accepted"
    assert "2013-11-12" in page.locator(f'tr[data-id="{ids["ru_visit"]}"]').inner_text()

    # screenshots for a human look: the Arabic record page and the timeline
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(served.url + f"/record/{ids['ar_visit']}")
    assert page.locator("blockquote").get_attribute("dir") == "rtl"
    page.screenshot(path=str(SHOTS / "record-ar.png"), full_page=True)
    accepted = {first, ids["ru_visit"]}
    for key in ("en_order", "en_delivery", "ar_visit"):
        page.goto(served.url + f"/record/{ids[key]}")
        with page.expect_navigation():
            page.click("#accept-form button")
        accepted.add(ids[key])
    page.goto(served.url + "/timeline")
    assert page.locator("svg.timeline circle").count() == len(accepted) == 5
    page.screenshot(path=str(SHOTS / "timeline.png"), full_page=True)
    page.close()


def test_hostile_document_executes_nothing(browser: Any, served: Served) -> None:
    ids = served.ids
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in (
        "/",
        f"/record/{ids['xss_event']}",
        f"/entity/{ids['xss_person']}",
        "/?source=evil",
    ):
        page.goto(served.url + path)
        page.wait_for_load_state("load")
        assert page.evaluate(f"typeof window.{XSS_FLAG}") == "undefined", path
    # the javascript: source is text, not a link
    page.goto(served.url + f"/record/{ids['xss_event']}")
    assert page.locator('a[href^="javascript:"]').count() == 0
    assert "javascript:" in page.locator(".nolink").inner_text()
    assert page.locator("mark").inner_text().count("<script>") == 1  # shown as text
    assert dialogs == []
    page.close()


def test_second_reviewer_sees_conflict(browser: Any, served: Served) -> None:
    rid = served.ids["en_order"]
    first, second = browser.new_context(), browser.new_context()
    try:
        a, b = first.new_page(), second.new_page()
        a.goto(served.url + f"/record/{rid}")
        b.goto(served.url + f"/record/{rid}")
        with a.expect_navigation():
            a.click("#accept-form button")
        b.fill('#reject-form input[name="note"]', "not an order")
        with b.expect_navigation():
            b.click("#reject-form button")
        assert "someone else decided first" in b.inner_text("#message")
        with open_store(served.out_dir) as store:
            assert [d.action for d in store.decisions(rid)] == ["accept"]
    finally:
        first.close()
        second.close()
