"""The review web app through FastAPI's TestClient: pages, decisions, security guards."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from fixtures.review.builder import XSS_FLAG, build

from flows.web import allowed_hosts, create_app, safe_url
from pipeline.review import open_store, review_state

BASE = "http://127.0.0.1:8765"


@pytest.fixture()
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Path, dict[str, str]]]:
    out_dir = tmp_path / "out"
    ids = build(out_dir, xss=True)
    app = create_app(out_dir, bind_host="127.0.0.1", port=8765)
    with TestClient(app, base_url=BASE) as client:
        client.get("/")  # starts the session (its cookie holds the CSRF token)
        yield client, out_dir, ids


def _csrf(client: TestClient) -> str:
    """The session's CSRF token, as a page's forms carry it."""
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _post(client: TestClient, url: str, **form: str) -> httpx.Response:
    data = {"csrf": _csrf(client), **form}
    return client.post(url, data=data, follow_redirects=False)


def _version(out_dir: Path, rid: str) -> str:
    with open_store(out_dir) as store:
        return str(store.version(rid))


def test_pages_render_with_strict_csp_and_no_inline_script(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, _, ids = site
    for url in ("/", "/timeline", f"/record/{ids['ar_visit']}", "/entity/person:vladimir-putin"):
        response = client.get(url)
        assert response.status_code == 200, url
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        scripts = re.findall(r"<script[^>]*>", response.text)
        assert scripts == ['<script src="/static/review.js" defer>'], url
        assert " style=" not in response.text and " on" + "click=" not in response.text


def test_arabic_record_page_marks_evidence_right_to_left(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, _, ids = site
    html = client.get(f"/record/{ids['ar_visit']}").text
    assert '<blockquote lang="ar" dir="rtl"><p><mark>زار الرئيس الروسي' in html
    assert (
        '<span class="nolink" dir="auto">samples/ar_putin_hanoi.txt</span>' in html
    )  # a file, not a link
    assert f'href="/document/{ids["ar_doc"]}/snapshot"' in html


def test_english_evidence_sits_in_its_paragraph_with_source_link(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, _, ids = site
    html = client.get(f"/record/{ids['en_order']}").text
    assert "<mark>In December 2009, during a visit" in html
    assert 'href="https://example.org/news/vietnam-kilo-submarines" rel="noopener' in html
    assert 'dir="rtl"' not in html.split('<section class="evidence">')[1].split("</section>")[0]
    # the submarine is also mentioned in the Arabic document: shown right to left
    elsewhere = html.split('<section class="mentions elsewhere">')[1].split("</section>")[0]
    assert '<p lang="ar" dir="rtl">' in elsewhere and "<mark>كيلو</mark>" in elsewhere
    assert "<mark>Project 636.1</mark>" not in elsewhere  # not the evidence document again


def test_entity_page_lists_events_and_mentions_across_languages(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, _, ids = site
    html = client.get("/entity/weapon:project-636-1").text
    assert (
        f'href="/record/{ids["en_order"]}"' in html and f'href="/record/{ids["ar_order"]}"' in html
    )
    assert 'lang="ar" dir="rtl"' in html and "<mark>كيلو</mark>" in html
    assert "<mark>Project 636.1</mark>" in html


def test_snapshot_is_a_plain_text_attachment(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, _, ids = site
    response = client.get(f"/document/{ids['xss_doc']}/snapshot")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert b"<script>" in response.content  # served as-is, but never rendered
    assert client.get("/document/document:0000/snapshot").status_code == 404


def test_xss_payloads_are_escaped(site: tuple[TestClient, Path, dict[str, str]]) -> None:
    client, _, ids = site
    for url in ("/", f"/record/{ids['xss_event']}", f"/entity/{ids['xss_person']}"):
        html = client.get(url).text
        assert "<script>window" not in html, url
        assert "<img src=x" not in html and "<b>evil" not in html, url
        assert "&lt;script&gt;window." + XSS_FLAG in html or "&lt;img src=x" in html, url
        assert 'href="javascript:' not in html, url
    record = client.get(f"/record/{ids['xss_event']}").text
    assert f'<span class="nolink" dir="auto">javascript:window.{XSS_FLAG}=1</span>' in record


def test_post_without_or_with_wrong_csrf_token_is_refused(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, out_dir, ids = site
    url = f"/record/{ids['en_order']}/decide"
    plain = client.post(url, data={"action": "accept", "base_version": "0"})
    assert plain.status_code == 403
    wrong = client.post(url, data={"action": "accept", "base_version": "0", "csrf": "x" * 43})
    assert wrong.status_code == 403
    hostile_origin = client.post(
        url,
        data={"action": "accept", "base_version": "0", "csrf": _csrf(client)},
        headers={"Origin": "http://evil.example"},
    )
    assert hostile_origin.status_code == 403
    with open_store(out_dir) as store:
        assert store.decisions() == []
    assert client.get(url).status_code == 405  # state changes are POST only


def test_host_header_guard(site: tuple[TestClient, Path, dict[str, str]]) -> None:
    client, _, _ = site
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", headers={"Host": "evil.example:8765"}).status_code == 400
    assert client.get("/", headers={"Host": "127.0.0.1:9999"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost:8765"}).status_code == 200
    assert "localhost:8765" not in allowed_hosts("192.168.1.5", 8765)
    assert allowed_hosts("192.168.1.5", 8765) == frozenset({"192.168.1.5:8765"})


def test_accept_edit_and_conflict(site: tuple[TestClient, Path, dict[str, str]]) -> None:
    client, out_dir, ids = site
    rid = ids["en_delivery"]
    ok = _post(client, f"/record/{rid}/decide", action="accept", base_version="0", next="/")
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    # a second reviewer who loaded version 0 is told, not silently overwritten
    late = _post(client, f"/record/{rid}/decide", action="reject", base_version="0")
    assert late.status_code == 409
    assert "someone else decided first" in late.text
    edit = _post(
        client,
        f"/record/{ids['ru_visit']}/decide",
        action="edit",
        base_version=_version(out_dir, ids["ru_visit"]),
        set_date="2013-11-12",
        was_date="2013-11",
        set_type="diplomatic_visit",
        was_type="diplomatic_visit",
        next="//evil.example/",
    )
    assert edit.status_code == 303
    assert edit.headers["location"] == f"/record/{ids['ru_visit']}"
    with open_store(out_dir) as store:
        state = review_state(store)
        assert state.records[rid].status == "accepted"
        assert state.records[ids["ru_visit"]].data["date"]["value"] == "2013-11-12"
        assert store.decisions()[-1].payload == {"set": {"date": "2013-11-12"}}
    bad = _post(
        client, f"/record/{ids['ar_order']}/decide", action="edit", base_version="0", set_date="x"
    )
    assert bad.status_code == 400


def test_queue_filters(site: tuple[TestClient, Path, dict[str, str]]) -> None:
    client, _, ids = site
    html = client.get("/?type=event&language=ar").text
    assert ids["ar_visit"] in html and ids["ar_order"] in html and ids["en_order"] not in html
    html = client.get("/?type=event&date=2009").text
    assert ids["ar_order"] in html and ids["en_order"] in html and ids["ru_visit"] not in html
    html = client.get("/?source=example.com").text
    assert ids["ru_visit"] in html and ids["en_order"] not in html
    _post(client, f"/record/{ids['ar_order']}/decide", action="accept", base_version="0")
    html = client.get("/?status=accepted").text
    assert ids["ar_order"] in html and ids["ar_visit"] not in html


def test_merge_and_split_through_the_web(site: tuple[TestClient, Path, dict[str, str]]) -> None:
    client, out_dir, ids = site
    merged = _post(
        client,
        "/record/person:fladimir-butin/decide",
        action="merge",
        base_version="0",
        into="person:vladimir-putin",
    )
    assert merged.status_code == 303
    page = client.get("/entity/person:vladimir-putin").text
    assert "فلاديمير بوتين" in page and f'href="/record/{ids["ar_visit"]}"' in page
    seq = re.search(r'action="/split/(\d+)"', page)
    assert seq is not None
    assert _post(client, f"/split/{seq.group(1)}", next="/").status_code == 303
    with open_store(out_dir) as store:
        assert review_state(store).records["person:fladimir-butin"].merged_into is None


def test_timeline_shows_accepted_events_only(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, _, ids = site
    assert "<circle" not in client.get("/timeline").text
    for key in ("en_order", "ru_visit"):
        _post(client, f"/record/{ids[key]}/decide", action="accept", base_version="0")
    html = client.get("/timeline").text
    assert html.count("<circle") == 2
    assert "arms_order" in html and "diplomatic_visit" in html
    assert f'<a href="/record/{ids["en_order"]}"><circle' in html


def test_safe_url() -> None:
    assert safe_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    for bad in (
        "javascript:alert(1)",
        " JAVASCRIPT:alert(1)",
        "data:text/html,x",
        "file:///x",
        "//x",
    ):
        assert safe_url(bad) is None


def test_queue_date_filter_is_a_date_value(site: tuple[TestClient, Path, dict[str, str]]) -> None:
    client, _, ids = site
    html = client.get("/?type=event&date=201X").text  # 2010-2019: as text "201X" starts nothing
    assert ids["ru_visit"] in html and ids["en_delivery"] in html and ids["ru_delivery"] in html
    assert ids["en_order"] not in html and ids["ar_order"] not in html
    html = client.get("/?type=event&date=2013-21").text  # spring 2013: the visit was in November
    assert ids["ru_visit"] not in html and "No records match." in html
    html = client.get("/?type=event&date=20").text
    assert "not a date value" in html and "No records match." in html


def test_publish_from_the_web_writes_reviewed_folder(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, out_dir, ids = site
    raw = (out_dir / "events.jsonl").read_bytes()
    _post(client, f"/record/{ids['ru_visit']}/decide", action="reject", base_version="0")
    response = _post(client, "/publish")
    assert response.status_code == 200 and "files written to" in response.text
    assert (out_dir / "events.jsonl").read_bytes() == raw
    assert ids["ru_visit"] not in (out_dir / "reviewed" / "events.jsonl").read_text("utf-8")


def test_timeline_places_decades_and_edited_dates(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, _, ids = site
    _post(
        client,
        f"/record/{ids['en_order']}/decide",
        action="edit",
        base_version="0",
        set_date="199X",
        was_date="2009-12",
    )
    _post(client, f"/record/{ids['ru_visit']}/decide", action="accept", base_version="0")
    html = client.get("/timeline").text
    assert html.count("<circle") == 2
    # 199X sits at its middle (1995): the axis runs from 1994 to 2014 in steps of two
    assert ">1994<" in html and ">2014<" in html and ">1990<" not in html
    table = html.split("<tbody>")[1]
    assert table.index("199X") < table.index("2013-11")  # ordered by date value


@pytest.fixture()
def scripts_site(tmp_path: Path) -> Iterator[tuple[TestClient, Path, dict[str, str]]]:
    out_dir = tmp_path / "out"
    ids = build(out_dir, scripts=True)
    app = create_app(out_dir, bind_host="127.0.0.1", port=8765)
    with TestClient(app, base_url=BASE) as client:
        client.get("/")
        yield client, out_dir, ids


def _queue_ids(html: str) -> list[str]:
    return re.findall(r'<tr class="row [^"]*" data-id="([^"]+)"', html)


@pytest.mark.parametrize("query", ["Шойгу", "شويغو", "Shoigu", "绍伊古"])
def test_queue_search_across_scripts(
    scripts_site: tuple[TestClient, Path, dict[str, str]], query: str
) -> None:
    client, _, ids = scripts_site
    html = client.get("/", params={"q": query}).text
    assert sorted(_queue_ids(html)) == sorted(
        ["person:sergei-shoigu", ids["ru_shoigu"], ids["ar_shoigu"], ids["zh_shoigu"]]
    )
    assert 'name="q" value="' + query + '"' in html
    # filters combine with the search, and both survive in the decision forms' next URL
    html = client.get("/", params={"q": query, "language": "zh"}).text
    assert sorted(_queue_ids(html)) == sorted([ids["zh_shoigu"], "person:sergei-shoigu"])
    html = client.get("/", params={"q": query, "language": "zh", "type": "event"}).text
    assert _queue_ids(html) == [ids["zh_shoigu"]]
    row_form = html.split('class="inline accept"')[1]
    assert "q=" in row_form.split('name="next" value="')[1].split('"')[0]


def test_queue_pages_of_fifty_links_keep_filters(
    scripts_site: tuple[TestClient, Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _, _ = scripts_site
    html = client.get("/").text
    assert "page 1 of 1" in html and 'id="next-page"' not in html
    assert len(_queue_ids(html)) == int(html.split(" records match")[0].rsplit("· ", 1)[1])
    from pipeline.review import search

    monkeypatch.setattr(search, "PAGE_SIZE", 4)
    first = client.get("/", params={"type": "event"}).text
    assert "page 1 of 3" in first  # 9 events
    next_url = re.search(r'href="([^"]+)" rel="next"', first)
    assert next_url is not None and "type=event" in next_url.group(1)
    second = client.get(next_url.group(1).replace("&amp;", "&")).text
    one, two = _queue_ids(first), _queue_ids(second)
    assert len(one) == len(two) == 4 and not set(one) & set(two)
    assert 'rel="prev"' in second


def test_bulk_accept_then_undo_through_the_web(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, out_dir, ids = site
    chosen = [ids["en_order"], ids["ar_order"]]
    data = {
        "csrf": _csrf(client),
        "action": "accept",
        "next": "/?type=event",
        "focus": ids["ru_visit"],
        "pick": [f"{rid}@0" for rid in chosen],
    }
    response = client.post("/bulk", data=data, follow_redirects=False)
    assert response.status_code == 303
    assert (
        response.headers["location"] == f"/?type=event&focus={ids['ru_visit'].replace(':', '%3A')}"
    )
    with open_store(out_dir) as store:
        assert [(d.record_id, d.action) for d in store.decisions()] == [
            (rid, "accept") for rid in chosen
        ]
    html = client.get("/?type=event").text
    batch = re.search(r'name="batch" value="([0-9a-f]+)"', html)
    assert batch is not None and "Undo: accept of 2 records" in html
    assert _post(client, "/undo", batch=batch.group(1), next="/").status_code == 303
    with open_store(out_dir) as store:
        state = review_state(store)
        assert {state.records[r].status for r in chosen} == {"pending"}
        assert [d.action for d in store.decisions()] == ["accept", "accept", "undo", "undo"]
    assert 'id="undo"' not in client.get("/").text
    # a stale selection is refused as a whole
    stale = {
        "csrf": _csrf(client),
        "action": "reject",
        "pick": [f"{ids['en_order']}@0"],
    }
    assert client.post("/bulk", data=stale).status_code == 409


def test_changed_record_page_shows_old_decision_and_word_diff(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, out_dir, ids = site
    _post(client, f"/record/{ids['ru_delivery']}/decide", action="accept", base_version="0")
    _post(client, "/record/weapon:gepard-3-9/decide", action="accept", base_version="0")
    new = build(out_dir, xss=True, frigates="три")
    assert _post(client, "/sync").status_code == 303
    html = client.get("/?status=changed").text
    assert new["ru_delivery"] in _queue_ids(html)
    page = client.get(f"/record/{new['ru_delivery']}").text
    changed = page.split('id="changed"')[1].split("</section>")[0]
    assert "<strong>accept</strong>" in changed and f"(as {ids['ru_delivery']})" in changed
    assert '<del class="diff">два</del><ins class="diff">три</ins>' in changed
    assert "accepted the record" in page.split('id="history"')[1]
    # the weapon's mention moved document: its evidence reads the same, the decision holds
    assert "badge accepted" in client.get("/entity/weapon:gepard-3-9").text
    build(out_dir, xss=True, drop_gepard=True)
    _post(client, "/sync")
    queue = client.get("/").text
    orphans = queue.split('class="orphaned"')[1].split("</section>")[0]
    assert "получили два фрегата" in orphans  # the evidence it was made on, not a bare id


def test_history_reads_as_sentences(site: tuple[TestClient, Path, dict[str, str]]) -> None:
    client, _, ids = site
    client.post(
        "/reviewer",
        data={"csrf": _csrf(client), "reviewer": "Anna", "next": "/"},
    )
    rid = ids["en_order"]
    _post(
        client,
        f"/record/{rid}/decide",
        action="edit",
        base_version="0",
        set_date="2001-02",
        was_date="2009-12",
    )
    _post(
        client,
        f"/record/{rid}/decide",
        action="edit",
        base_version="1",
        set_date="2014-11",
        was_date="2001-02",
    )
    history = client.get(f"/record/{rid}").text.split('id="history"')[1]
    assert '<bdi>Anna</bdi> <span dir="auto">set date to 2001-02 (was 2009-12)</span>' in history
    assert "set date to 2014-11 (was 2001-02)" in history
    assert "{&#39;set&#39;" not in history and "{'set'" not in history


def test_scraped_text_is_direction_isolated(
    scripts_site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, _, _ = scripts_site
    page = client.get("/entity/person:sergei-shoigu").text
    assert '<li><bdi dir="auto" class="alias">سيرغي شويغو</bdi></li>' in page
    queue = client.get("/", params={"q": "Shoigu", "type": "person"}).text
    assert (
        '<a class="open" href="/record/person:sergei-shoigu"><bdi>Sergei Shoigu</bdi></a>' in queue
    )
    css = client.get("/static/review.css").text
    assert '"Noto Sans CJK SC"' in css and '"Noto Naskh Arabic"' in css


def test_entity_page_lists_co_occurring_people_and_mentions_by_language(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, _, ids = site
    html = client.get("/entity/weapon:project-636-1").text
    together = html.split('id="together"')[1].split("</section>")[0]
    assert '<a href="/entity/person:nguyen-tan-dung"><bdi>Nguyen Tan Dung</bdi></a> (1)' in together
    assert '<span class="lang">ar</span> 1 · <span class="lang">en</span> 1' in together
    events = html.split('<section class="events">')[1].split("</section>")[0]
    assert all(ids[k] in events for k in ("en_order", "ar_order", "en_delivery"))
    assert ids["ru_visit"] not in events
    merge = html.split('id="merge-form"')[1].split("</form>")[0]
    assert 'value="weapon:gepard-3-9"' in merge and 'value="weapon:project-636-1"' not in merge


def test_event_links_edited_by_search(
    scripts_site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, out_dir, ids = scripts_site
    found = client.get("/suggest", params={"type": "person", "q": "شويغو"}).json()
    assert found == [{"id": "person:sergei-shoigu", "name": "Sergei Shoigu"}]
    assert client.get("/suggest", params={"type": "event", "q": "x"}).status_code == 400
    rid = ids["ru_visit"]
    page = client.get(f"/record/{rid}").text
    assert 'name="set_people" id="set_people" value="person:vladimir-putin"' in page
    assert 'data-type="person" data-target="set_people"' in page
    ok = _post(
        client,
        f"/record/{rid}/decide",
        action="edit",
        base_version="0",
        set_people="person:vladimir-putin; person:sergei-shoigu",
        was_people="person:vladimir-putin",
        set_weapons="weapon:gepard-3-9",
        was_weapons="",
    )
    assert ok.status_code == 303
    with open_store(out_dir) as store:
        data = review_state(store).records[rid].data
    assert data["people"] == ["person:vladimir-putin", "person:sergei-shoigu"]
    assert [(w["id"], w["quantity"]) for w in data["weapons"]] == [("weapon:gepard-3-9", None)]
    history = client.get(f"/record/{rid}").text.split('id="history"')[1]
    assert (
        "set people to person:vladimir-putin; person:sergei-shoigu (was person:vladimir-putin)"
        in history
    )
    bad = _post(
        client,
        f"/record/{rid}/decide",
        action="edit",
        base_version="1",
        set_people="person:nobody",
        was_people="",
    )
    assert bad.status_code == 400 and "no such record in the latest run: person:nobody" in bad.text


def test_export_buttons_download_the_current_filter(
    scripts_site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    import csv
    import io
    import json

    client, _, ids = scripts_site
    html = client.get("/", params={"q": "Shoigu", "type": "event"}).text
    href = re.search(r'href="([^"]+)" id="export-csv"', html)
    assert href is not None
    response = client.get(href.group(1).replace("&amp;", "&"))
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(r["id"] for r in rows) == sorted(
        [ids["ru_shoigu"], ids["ar_shoigu"], ids["zh_shoigu"]]
    )
    assert any("绍伊古" in r["evidence"] for r in rows)
    ftm = client.get("/export", params={"format": "ftm", "q": "Shoigu", "type": "event"})
    entities = [json.loads(line) for line in ftm.text.splitlines()]
    schemas = sorted({e["schema"] for e in entities})
    assert schemas == ["Document", "Event", "Person"]
    present = {e["id"] for e in entities}
    involved = {i for e in entities for i in e["properties"].get("involved", [])}
    assert involved and involved <= present  # the person the events name is in the file
    assert sum(e["schema"] == "Event" for e in entities) == 3
    assert client.get("/export", params={"format": "xml"}).status_code == 400


def test_queue_csv_keeps_formulas_as_text() -> None:
    from pipeline.review.export import _cell

    assert _cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and _cell("+7") == "'+7"
    assert _cell("Шойгу") == "Шойгу"


def test_country_page_lists_its_events_by_year(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, _, ids = site
    html = client.get("/country/ru").text
    body = html.split('id="country-timeline"')[1]
    ru_events = ["en_order", "en_delivery", "ru_visit", "ar_visit", "ar_order", "ru_delivery"]
    assert all(ids[k] in body for k in ru_events)
    assert ids["xss_event"] not in body  # names Vietnam only
    assert body.index("<h2>2009</h2>") < body.index("<h2>2011</h2>") < body.index("<h2>2014</h2>")
    assert '<a href="/country/VN">VN</a> (6)' in html
    record = client.get(f"/record/{ids['en_order']}").text
    assert '<a href="/country/RU">RU</a>' in record
    assert "No events." in client.get("/country/zz").text


def test_deal_page_lists_its_reports_and_takes_a_decision(
    site: tuple[TestClient, Path, dict[str, str]],
) -> None:
    client, out_dir, ids = site
    deal = ids["deal_Project 636.1"]
    html = client.get(f"/record/{deal}").text
    assert "Project 636.1: RU → VN (2009)" in html
    for report in ("en_order", "ar_order", "en_delivery"):
        assert ids[report] in html  # each report of the deal, linked
    response = _post(
        client,
        f"/record/{deal}/decide",
        action="accept",
        reviewer="ana",
        base_version=_version(out_dir, deal),
    )
    assert response.status_code in (302, 303), response.text
    with open_store(out_dir) as store:
        assert review_state(store).records[deal].status == "accepted"


def test_timeline_shows_one_event_told_by_two_documents_once(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    ids = build(out_dir, clusters=True)
    app = create_app(out_dir, bind_host="127.0.0.1", port=8765)
    with TestClient(app, base_url=BASE) as client:
        client.get("/")
        # the December 2009 order, told in English and in Arabic: one real-world event
        for key in ("en_order", "ar_order", "ru_visit"):
            _post(client, f"/record/{ids[key]}/decide", action="accept", base_version="0")
        html = client.get("/timeline").text
    assert html.count("<circle") == 2
    assert "(2 sources)" in html
    assert '<td class="sources">2</td>' in html and '<td class="sources">1</td>' in html
