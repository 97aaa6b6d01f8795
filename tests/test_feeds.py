"""Feeds at scale against a loopback server: 200 feeds, 190 unchanged on the second run (304,
no body), per-feed item limits, per-host concurrency and Retry-After."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.config import Options
from pipeline.fetch import fetch_with_retries
from pipeline.ingest import fetch_source, process_items
from pipeline.revisit import FetchMemory
from pipeline.sources import Source

FEEDS = 200


class Site:
    def __init__(self) -> None:
        self.items: dict[int, list[str]] = {
            n: [f"/item/{n}/0", f"/item/{n}/1"] for n in range(FEEDS)
        }
        self.sent: Counter[tuple[str, int]] = Counter()
        self.in_flight = 0
        self.most_in_flight = 0
        self.busy_hits: list[float] = []
        self.lock = threading.Lock()
        self.dated: dict[str, str] = {}  # item path -> the feed's <pubDate> element

    def feed(self, n: int) -> bytes:
        entries = "".join(
            f"<item><title>{path}</title><link>{path}</link>{self.dated.get(path, '')}</item>"
            for path in self.items[n]
        )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel>{entries}</channel></rss>'.encode()
        )

    def body(self, path: str) -> tuple[bytes, str] | None:
        if path.startswith("/feed/"):
            return self.feed(int(path.split("/")[2].removesuffix(".xml"))), "application/rss+xml"
        if path.startswith("/item/"):
            return f"Report {path}: Vietnam ordered patrol boats in 2024.".encode(), "text/plain"
        return None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                # in flight from the request's arrival until its answer starts (the client
                # may send its next request as soon as it has read an answer)
                with site.lock:
                    site.in_flight += 1
                    site.most_in_flight = max(site.most_in_flight, site.in_flight)
                time.sleep(0.002)
                self._answer()

            def send_response(self, code: int, message: str | None = None) -> None:
                with site.lock:
                    site.in_flight -= 1
                super().send_response(code, message)

            def _answer(self) -> None:
                if self.path == "/busy":
                    with site.lock:
                        site.busy_hits.append(time.monotonic())
                        first = len(site.busy_hits) == 1
                    if first:
                        self.send_response(429)
                        self.send_header("Retry-After", "1")
                        self.end_headers()
                        return
                    self.path = "/item/0/0"
                found = site.body(self.path)
                if found is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data, ctype = found
                etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
                status = 304 if self.headers.get("If-None-Match") == etag else 200
                with site.lock:
                    site.sent[(self.path.split("/")[1], status)] += 1
                self.send_response(status)
                self.send_header("ETag", etag)
                if status == 200:
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if status == 200:
                    self.wfile.write(data)

        return Handler


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    state = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _options(**fetch: object) -> Options:
    options = Options()
    settings = {"allow_hosts": ["127.0.0.1"], "retries": 0, "per_host_delay": 0.0, **fetch}
    return options.model_copy(update={"fetch": options.fetch.model_copy(update=settings)})


def _run(sources: list[Source], out: Path, options: Options) -> int:
    memory = FetchMemory(out)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda s: fetch_source(s, root=out, options=options, memory=memory), sources)
        )
    assert all(not failures for _, failures in results)
    return sum(len(items) for items, _ in results)


def test_two_hundred_feeds_190_unchanged(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    sources = [
        Source(id=f"feed-{n}", kind="feed", location=f"{base}/feed/{n}.xml") for n in range(FEEDS)
    ]
    out = tmp_path / "out"
    assert _run(sources, out, _options()) == 2 * FEEDS
    assert state.sent == {("feed", 200): FEEDS, ("item", 200): 2 * FEEDS}
    assert state.most_in_flight <= 2, "per-host concurrency holds across threads"

    for n in range(10):  # ten feeds gain an entry
        state.items[n].append(f"/item/{n}/2")
    state.sent.clear()
    assert _run(sources, out, _options()) == 2 * FEEDS + 10
    assert state.sent[("feed", 304)] == FEEDS - 10, "190 feeds unchanged: no body sent"
    assert state.sent[("feed", 200)] == 10
    assert state.sent[("item", 304)] == 2 * FEEDS
    assert state.sent[("item", 200)] == 10, "only the new entries are transferred"


def test_per_feed_item_limit(site: tuple[Site, str], tmp_path: Path) -> None:
    _, base = site
    limited = Source(id="one", kind="feed", location=f"{base}/feed/3.xml", max_items=1)
    items, _ = fetch_source(limited, root=tmp_path, options=_options(), memory=None)
    assert [i.fetched.location for i in items] == [f"{base}/item/3/0"]
    with pytest.raises(ValueError, match="feeds only"):
        Source(id="page", kind="url", location=f"{base}/item/3/0", max_items=1)


def test_retry_after_is_honoured(site: tuple[Site, str]) -> None:
    state, base = site
    options = _options(retries=1, retry_backoff=0.0)
    [fetched] = fetch_with_retries(f"{base}/busy", "url", options.fetch)
    assert fetched.status == 200
    first, second = state.busy_hits
    assert second - first >= 0.95, "the retry waited for Retry-After: 1"


def test_feed_item_date_is_the_publication_date(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    # an evening GMT date stays that day; an entry without a date gets none
    state.dated["/item/5/0"] = "<pubDate>Tue, 12 Mar 2024 21:30:00 GMT</pubDate>"
    source = Source(id="feed-5", kind="feed", location=f"{base}/feed/5.xml")
    out = tmp_path / "out"
    items, _ = fetch_source(source, root=out, options=_options(), memory=FetchMemory(out))
    assert [i.fetched.listed for i in items] == [dt.date(2024, 3, 12), None]
    done, failures = process_items(items, options=_options(), out_dir=out)
    assert not failures
    dated, undated = (p.record for p in done)
    assert (dated.published, dated.published_basis) == (dt.date(2024, 3, 12), "feed")
    assert (undated.published, undated.published_basis) == (None, None)


def test_feed_item_date_survives_a_304_replay(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    state.dated["/item/6/0"] = "<pubDate>Wed, 13 Mar 2024 08:00:00 GMT</pubDate>"
    source = Source(id="feed-6", kind="feed", location=f"{base}/feed/6.xml")
    out = tmp_path / "out"
    for _ in range(2):  # the second fetch is answered 304 and replayed from the snapshot
        items, _ = fetch_source(source, root=out, options=_options(), memory=FetchMemory(out))
    assert state.sent[("item", 304)] == 2
    assert items[0].fetched.listed == dt.date(2024, 3, 13)
