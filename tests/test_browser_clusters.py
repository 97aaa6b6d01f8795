# ruff: noqa: F811 (the browser fixture is imported from test_browser and used by name)
"""Event clusters on the review desk in headless Chromium: one row with its sources, one
decision for every report, a merge and a split from the cluster page.

Skipped when /usr/bin/chromium is absent (the browser fixture is test_browser's).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixtures.review.builder import build
from test_browser import CHROMIUM, Served, _row_ids, _serve, browser  # noqa: F401

from pipeline.review import open_store, review_state

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]
SHOIGU = ("ru_shoigu", "ar_shoigu", "zh_shoigu")


@pytest.fixture()
def clustered(tmp_path: Path) -> Iterator[Served]:
    out_dir = tmp_path / "out"
    ids = build(out_dir, scripts=True, clusters=True)
    for url in _serve(out_dir):
        yield Served(out_dir, ids, url)


def _cluster_row(page: Any) -> Any:
    return page.locator('#queue tr.row[data-id^="cluster:"]', has_text="3 reports")


def test_queue_shows_a_cluster_once_and_accepts_all_its_reports(
    browser: Any, clustered: Served
) -> None:
    ids = clustered.ids
    page = browser.new_page()
    page.goto(clustered.url + "/?type=event")
    rows = _row_ids(page)
    assert not set(rows) & {ids[r] for r in SHOIGU}  # the reports are not rows of their own
    row = _cluster_row(page)
    assert row.count() == 1
    assert "3 reports · 3 sources" in row.inner_text()
    with page.expect_navigation():
        row.locator("form.accept button").click()
    assert _cluster_row(page).locator(".badge").inner_text() == "accepted"
    # the cluster page lists every source with its language, all accepted
    with page.expect_navigation():
        _cluster_row(page).locator("a.open").click()
    assert "3 reports (NumMentions) · 3 sources (NumSources)" in page.inner_text("#cluster-counts")
    reports = page.locator("#reports tr.report")
    assert reports.count() == 3
    assert {reports.nth(i).locator(".badge").inner_text() for i in range(3)} == {"accepted"}
    assert {reports.nth(i).locator("td").nth(2).inner_text() for i in range(3)} == {
        "ru",
        "ar",
        "zh",
    }
    assert "accepted the event with all its reports (3 reports)" in page.inner_text("#history")
    with open_store(clustered.out_dir) as store:
        state = review_state(store)
    assert {state.records[ids[r]].status for r in SHOIGU} == {"accepted"}
    page.close()


def test_merge_two_clusters_then_split_one_off_from_the_page(
    browser: Any, clustered: Served
) -> None:
    ids = clustered.ids
    page = browser.new_page()
    # Putin's visit in Russian; the Arabic report names an unlinked "فلاديمير بوتين"
    page.goto(clustered.url + f"/record/{ids['ru_visit']}")
    page.goto(clustered.url + f"/cluster/{ids['ru_visit']}")
    assert page.locator("#reports tr.report").count() == 1
    page.fill('#merge-form input[name="into_id"]', ids["ar_visit"])
    with page.expect_navigation():
        page.click("#merge-button")
    assert page.locator("#reports tr.report").count() == 2
    assert "merged " in page.inner_text("#history")
    page.goto(clustered.url + "/?type=event")
    merged = [r for r in _row_ids(page) if r.startswith("cluster:")]
    assert ids["ru_visit"] not in _row_ids(page) and ids["ar_visit"] not in _row_ids(page)
    assert len(merged) == 3  # Shoigu's visit, the 2009 order, and Putin's visit now
    # split the Arabic report off again
    page.goto(clustered.url + f"/cluster/{ids['ru_visit']}")
    page.check(f'#reports input[value="{ids["ar_visit"]}"]')
    with page.expect_navigation():
        page.click("#split-button")
    assert page.locator("#reports tr.report").count() == 1
    history = page.inner_text("#history")
    assert "split 1 report off" in history and "merged " in history
    page.goto(clustered.url + "/?type=event")
    assert {ids["ru_visit"], ids["ar_visit"]} <= set(_row_ids(page))
    page.close()
