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


def _serve(out_dir: Path, options: Any = None) -> Iterator[str]:
    """The desk over ``out_dir`` on an ephemeral port; ``options``: its ReviewOptions."""
    import uvicorn

    from flows.web import create_app

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = create_app(out_dir, bind_host="127.0.0.1", port=port, options=options)
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


# -- issue 13: search, pages, bulk, keyboard flow, changed evidence, CJK glyphs ----------


@pytest.fixture()
def scripts_served(tmp_path: Path) -> Iterator[Served]:
    out_dir = tmp_path / "out"
    ids = build(out_dir, scripts=True)
    for url in _serve(out_dir):
        yield Served(out_dir, ids, url)


def _row_ids(page: Any) -> list[str]:
    return [
        str(x)
        for x in page.eval_on_selector_all("#queue tr.row", "rs => rs.map(r => r.dataset.id)")
    ]


def _selected(page: Any) -> str:
    return str(page.eval_on_selector("#queue tr.selected", "r => r.dataset.id"))


def test_search_across_scripts_finds_the_same_records(browser: Any, scripts_served: Served) -> None:
    ids = scripts_served.ids
    expected = sorted(
        ["person:sergei-shoigu", ids["ru_shoigu"], ids["ar_shoigu"], ids["zh_shoigu"]]
    )
    page = browser.new_page()
    page.goto(scripts_served.url + "/")
    for query in ("Шойгу", "شويغو", "Shoigu", "绍伊古"):
        page.fill("#q", query)
        with page.expect_navigation():
            page.press("#q", "Enter")
        assert sorted(_row_ids(page)) == expected, query
    # a filter narrows the search
    page.select_option('select[name="type"]', "person")
    with page.expect_navigation():
        page.click("#filters button[type=submit]")
    assert _row_ids(page) == ["person:sergei-shoigu"]
    page.close()


def test_paging_walks_every_record_once(
    browser: Any, scripts_served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.review import search

    monkeypatch.setattr(search, "PAGE_SIZE", 4)
    page = browser.new_page()
    page.goto(scripts_served.url + "/?type=event")
    seen: list[str] = []
    while True:
        seen += _row_ids(page)
        if page.locator("#next-page").count() == 0:
            break
        with page.expect_navigation():
            page.click("#next-page")
    assert len(seen) == len(set(seen)) == 9  # every event once
    assert "page 3 of 3" in page.inner_text("#pages")
    with page.expect_navigation():
        page.click("#prev-page")
    assert _row_ids(page) == seen[4:8]
    page.close()


def test_bulk_accept_with_shift_click_and_undo(browser: Any, served: Served) -> None:
    page = browser.new_page()
    page.goto(served.url + "/?type=event&status=pending")
    before = _row_ids(page)
    boxes = page.locator("#queue input.pick")
    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])  # the range 0..2
    assert page.inner_text("#picked-count") == "3"
    with page.expect_navigation():
        page.click("#bulk-accept")
    with open_store(served.out_dir) as store:
        decisions = store.decisions()
    assert [(d.record_id, d.action) for d in decisions] == [(r, "accept") for r in before[:3]]
    page.goto(served.url + "/?type=event")
    assert {_status_of(page, r) for r in before[:3]} == {"accepted"}
    assert _status_of(page, before[3]) == "pending"
    with page.expect_navigation():
        page.click("#undo button")
    assert {_status_of(page, r) for r in before[:3]} == {"pending"}
    assert page.locator("#undo").count() == 0  # one undo
    # all on this page
    page.goto(served.url + "/?type=event&language=ar")
    page.check("#pick-all")
    with page.expect_navigation():
        page.click("#bulk-reject")
    assert {_status_of(page, r) for r in _row_ids(page)} == {"rejected"}
    page.close()


def test_keyboard_flow_never_skips_a_record(browser: Any, served: Served) -> None:
    page = browser.new_page()
    page.goto(served.url + "/?type=event")
    order = _row_ids(page)
    page.keyboard.press("j")
    assert _selected(page) == order[0]
    for i in range(3):
        with page.expect_navigation():
            page.keyboard.press("a" if i != 1 else "r")
        # the highlight sits on the next undecided record, not on a position
        assert _selected(page) == order[i + 1]
    page.keyboard.press("j")
    assert _selected(page) == order[4]
    page.keyboard.press("k")
    assert _selected(page) == order[3]
    # the last undecided row: once decided, the highlight goes back to the nearest
    # undecided one, never onto a decided row at the same position
    last = len(order) - 1
    while _selected(page) != order[last]:
        page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("a")
    assert _selected(page) == order[last - 1]
    with open_store(served.out_dir) as store:
        assert [(d.record_id, d.action) for d in store.decisions()] == [
            (order[0], "accept"),
            (order[1], "reject"),
            (order[2], "accept"),
            (order[last], "accept"),
        ]
    # e: the record page with its first editable field focused; ? shows the help
    with page.expect_navigation():
        page.keyboard.press("e")
    page.wait_for_load_state("load")
    assert page.evaluate("document.activeElement.name") == "set_date"
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("e")
    assert page.evaluate("document.activeElement.name") == "set_date"
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    assert "accept the highlighted record" in page.inner_text("#help")
    page.keyboard.press("Escape")
    assert not page.locator("#help").is_visible()
    page.close()


def test_changed_evidence_round_trip(browser: Any, served: Served) -> None:
    ids = served.ids
    page = browser.new_page()
    page.goto(served.url + f"/record/{ids['ru_delivery']}")
    with page.expect_navigation():
        page.click("#accept-form button")
    new = build(served.out_dir, xss=True, frigates="три")  # the source is edited
    page.goto(served.url + "/")
    with page.expect_navigation():
        page.click('form[action="/sync"] button')
    page.goto(served.url + "/?status=changed")
    assert _row_ids(page) == [new["ru_delivery"]]
    with page.expect_navigation():
        page.click(f'tr[data-id="{new["ru_delivery"]}"] a.open')
    assert page.inner_text("#diff del") == "два" and page.inner_text("#diff ins") == "три"
    assert "accept" in page.inner_text("#changed")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "changed.png"), full_page=True)
    with page.expect_navigation():
        page.click("#accept-form button")
    page.goto(served.url + "/?type=event")
    assert _status_of(page, new["ru_delivery"]) == "accepted"
    page.close()


def _fonts_for(language: str) -> set[str]:
    """Font families fontconfig says cover ``language`` (empty without fc-list)."""
    import shutil
    import subprocess

    if shutil.which("fc-list") is None:
        return set()
    listed = subprocess.run(
        ["fc-list", f":lang={language}", "family"], capture_output=True, text=True, check=False
    ).stdout
    return {name.strip() for line in listed.splitlines() for name in line.split(",")}


def test_chinese_record_renders_glyphs_not_boxes(browser: Any, scripts_served: Served) -> None:
    chinese_fonts = _fonts_for("zh")
    if not chinese_fonts:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk; see README)")
    page = browser.new_page()
    page.goto(scripts_served.url + f"/record/{scripts_served.ids['zh_shoigu']}")
    assert page.locator("blockquote").get_attribute("lang") == "zh"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "record-zh.png"), full_page=True)
    # Which fonts drew the evidence: without a CJK font Chromium draws each Han
    # character as a missing-glyph box in the page's first font (DejaVu Sans here), and
    # reports that font; measuring widths against a missing glyph cannot tell, as a CJK
    # font's own missing-glyph box is one em wide like its Han glyphs.
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    mark = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "blockquote mark"})
    used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": mark["nodeId"]})["fonts"]
    han = sum(1 for c in page.inner_text("blockquote mark") if "\u4e00" <= c <= "\u9fff")
    cjk_glyphs = sum(f["glyphCount"] for f in used if f["familyName"] in chinese_fonts)
    assert cjk_glyphs >= han > 20, f"Han characters drawn with {used}"
    # and two different characters look different (boxes would be alike)
    page.evaluate(
        """() => {
        const quote = document.querySelector('blockquote');
        for (const [id, text] of [['han-a', '国'], ['han-b', '防']]) {
            const span = document.createElement('span');
            span.id = id; span.textContent = text; quote.appendChild(span);
        }
    }"""
    )
    assert page.locator("#han-a").screenshot() != page.locator("#han-b").screenshot()
    page.close()
