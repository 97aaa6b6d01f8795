"""Fetching against a local HTTP server on 127.0.0.1 (never the live web)."""

from __future__ import annotations

import datetime as dt
import pickle
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.config import FetchOptions
from pipeline.errors import FetchError
from pipeline.fetch import (
    FeedResult,
    HTTPStatusFetchError,
    TransientFetchError,
    check_address,
    feed_entries,
    feed_links,
    fetch,
    fetch_with_retries,
    sniff_content_type,
)

PAGE = (
    b"<!doctype html><html><head><title>Cam Ranh</title></head><body>"
    b"<p>Cam Ranh Bay is a deep-water harbour in Khanh Hoa province, Vietnam.</p>"
    b"</body></html>"
)
PAGE_TWO = b"<html><body><p>Hai Phong is a port city in northern Vietnam.</p></body></html>"


class _State:
    def __init__(self) -> None:
        self.flaky_calls = 0
        self.lock = threading.Lock()


def _make_handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            return

        def _send(self, status: int, body: bytes, ctype: str | None = "text/html") -> None:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", '"v1"')
            self.end_headers()
            self.wfile.write(body)

        def _redirect(self, target: str, status: int = 302) -> None:
            self.send_response(status)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            path = self.path
            host = f"http://127.0.0.1:{self.server.server_address[1]}"
            if path == "/page":
                self._send(200, PAGE, "text/html; charset=utf-8")
            elif path == "/page2":
                self._send(200, PAGE_TWO, "text/html")
            elif path == "/untyped":
                self._send(200, PAGE, None)
            elif path == "/missing":
                self._send(404, b"not here", "text/plain")
            elif path == "/flaky":
                with state.lock:
                    state.flaky_calls += 1
                    calls = state.flaky_calls
                if calls == 1:
                    self._send(500, b"try later", "text/plain")
                else:
                    self._send(200, PAGE, "text/html")
            elif path == "/broken":
                self._send(503, b"down", "text/plain")
            elif path == "/slow":
                time.sleep(1.5)
                self._send(200, PAGE, "text/html")
            elif path == "/big":
                self._send(200, b"<p>" + b"x" * 5000 + b"</p>", "text/html")
            elif path == "/big-undeclared":
                # no Content-Length: the cap must hold while streaming
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                for _ in range(10):
                    self.wfile.write(b"y" * 1000)
                self.close_connection = True
            elif path == "/image":
                self._send(200, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
            elif path == "/octet":
                self._send(200, b"\x00\x01\x02binary", "application/octet-stream")
            elif path == "/loop-a":
                self._redirect("/loop-b")
            elif path == "/loop-b":
                self._redirect(f"{host}/loop-a")
            elif path.startswith("/chain/"):
                n = int(path.rsplit("/", 1)[1])
                if n == 0:
                    self._send(200, PAGE, "text/html")
                else:
                    self._redirect(f"/chain/{n - 1}", 301)
            elif path == "/to-file":
                self._redirect("file:///etc/passwd")
            elif path == "/to-ftp":
                self._redirect("ftp://127.0.0.1/pub/file.html")
            elif path == "/feed.xml":
                body = (
                    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                    "<title>Ports</title><link>/</link>"
                    f"<item><title>One</title><link>{host}/page</link></item>"
                    "<item><title>Two</title><link>/missing</link></item>"
                    "<item><title>Three</title><link>/page2</link></item>"
                    "</channel></rss>"
                ).encode()
                self._send(200, body, "application/rss+xml")
            elif path == "/entity-feed.xml":
                body = (
                    b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "boom">]>'
                    b"<rss><channel><item><link>&x;</link></item></channel></rss>"
                )
                self._send(200, body, "application/rss+xml")
            else:
                self._send(404, b"unknown", "text/plain")

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # the client hangs up on purpose in the timeout and size tests
        return


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, _State]]:
    state = _State()
    httpd = _QuietServer(("127.0.0.1", 0), _make_handler(state))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture()
def base(server: tuple[str, _State]) -> str:
    return server[0]


def opts(**kwargs: object) -> FetchOptions:
    settings: dict[str, object] = {
        "allow_hosts": ["127.0.0.1"],
        "timeout": 0.5,
        "retries": 2,
        "retry_backoff": 0.01,
    }
    settings.update(kwargs)
    return FetchOptions.model_validate(settings)


def test_html_page_is_fetched_with_metadata(base: str) -> None:
    [got] = fetch(f"{base}/page", "url", opts())
    assert got.data == PAGE
    assert got.status == 200
    assert got.content_type == "text/html"
    assert got.final_url == f"{base}/page"
    assert got.location == f"{base}/page"
    assert got.headers["etag"] == '"v1"'
    assert set(got.headers) <= {"content-type", "last-modified", "etag", "content-length"}
    assert got.fetched_at.tzinfo is not None and got.fetched_at.utcoffset().total_seconds() == 0
    assert len(got.sha256) == 64


def test_missing_content_type_is_sniffed(base: str) -> None:
    [got] = fetch(f"{base}/untyped", "url", opts())
    assert got.content_type == "text/html"


def test_404_is_a_failure_with_status(base: str) -> None:
    with pytest.raises(HTTPStatusFetchError) as info:
        fetch(f"{base}/missing", "url", opts())
    assert info.value.status == 404
    assert not isinstance(info.value, TransientFetchError)
    message = str(info.value)
    assert "404" in message and f"{base}/missing" in message and "\n" not in message


def test_500_then_200_succeeds_with_retries(server: tuple[str, _State]) -> None:
    base, state = server
    state.flaky_calls = 0
    delays: list[float] = []
    [got] = fetch_with_retries(f"{base}/flaky", "url", opts(), sleep=delays.append)
    assert got.data == PAGE
    assert state.flaky_calls == 2
    assert delays == [0.01]


def test_500_without_retries_is_transient(server: tuple[str, _State]) -> None:
    base, state = server
    state.flaky_calls = 0
    with pytest.raises(TransientFetchError, match="500"):
        fetch(f"{base}/flaky", "url", opts())


def test_retries_give_up_after_backoff_doubles(base: str) -> None:
    delays: list[float] = []
    with pytest.raises(TransientFetchError, match="503"):
        fetch_with_retries(f"{base}/broken", "url", opts(retries=3), sleep=delays.append)
    assert delays == [0.01, 0.02, 0.04]


def test_timeout_is_transient(base: str) -> None:
    with pytest.raises(TransientFetchError, match="timed out"):
        fetch(f"{base}/slow", "url", opts(timeout=0.5))


@pytest.mark.parametrize("path", ["/big", "/big-undeclared"])
def test_oversized_body_is_refused(base: str, path: str) -> None:
    with pytest.raises(FetchError, match="body larger than 1000 bytes"):
        fetch(f"{base}{path}", "url", opts(max_bytes=1000))


@pytest.mark.parametrize("path", ["/image", "/octet"])
def test_non_html_content_type_is_refused(base: str, path: str) -> None:
    with pytest.raises(FetchError, match="refused content type"):
        fetch(f"{base}{path}", "url", opts())


def test_redirect_loop_is_refused(base: str) -> None:
    with pytest.raises(FetchError, match="redirect loop"):
        fetch(f"{base}/loop-a", "url", opts())


def test_redirects_are_followed_up_to_the_limit(base: str) -> None:
    [got] = fetch(f"{base}/chain/3", "url", opts(max_redirects=3))
    assert got.final_url == f"{base}/chain/0"
    assert got.location == f"{base}/chain/3"
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(f"{base}/chain/4", "url", opts(max_redirects=3))


@pytest.mark.parametrize(("path", "scheme"), [("/to-file", "file"), ("/to-ftp", "ftp")])
def test_redirect_to_other_scheme_is_refused(base: str, path: str, scheme: str) -> None:
    with pytest.raises(FetchError, match=f"refused URL scheme '{scheme}'"):
        fetch(f"{base}{path}", "url", opts())


@pytest.mark.parametrize("url", ["file:///etc/hostname", "ftp://example.org/a.html", "gopher://x"])
def test_url_source_with_other_scheme_is_refused(url: str) -> None:
    with pytest.raises(FetchError, match="refused URL scheme"):
        fetch(url, "url", opts())


def test_private_address_refused_unless_allowed(base: str) -> None:
    with pytest.raises(FetchError, match=r"refused loopback address 127\.0\.0\.1"):
        fetch(f"{base}/page", "url", opts(allow_hosts=[]))
    port = base.rsplit(":", 1)[1]
    with pytest.raises(FetchError, match="refused loopback"):
        fetch(f"http://localhost:{port}/page", "url", opts(allow_hosts=[]))
    # an integer spelling of 127.0.0.1 resolves to loopback too
    with pytest.raises(FetchError, match="refused loopback"):
        fetch(f"http://2130706433:{port}/page", "url", opts(allow_hosts=[]))
    # and the same URL is fine when allowed
    assert fetch(f"{base}/page", "url", opts())[0].status == 200


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.10", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "private"),
        ("100.64.0.1", "non-public"),
        ("224.0.0.1", "multicast"),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_check_address(address: str, why: str | None) -> None:
    assert check_address(address) == why


def test_feed_with_one_failing_entry(base: str) -> None:
    result = fetch(f"{base}/feed.xml", "feed", opts())
    assert isinstance(result, FeedResult)
    assert [item.final_url for item in result] == [f"{base}/page", f"{base}/page2"]
    assert all(item.via == f"{base}/feed.xml" for item in result)
    assert len(result.failures) == 1
    failure = result.failures[0]
    assert isinstance(failure, HTTPStatusFetchError) and failure.status == 404
    assert f"{base}/missing" in str(failure)
    assert result.feed.kind == "feed" and result.feed.content_type == "application/rss+xml"


def test_feed_result_survives_pickling(base: str) -> None:
    result = fetch(f"{base}/feed.xml", "feed", opts())
    copy = pickle.loads(pickle.dumps(result))
    assert isinstance(copy, FeedResult)
    assert [item.sha256 for item in copy] == [item.sha256 for item in result]
    assert [str(f) for f in copy.failures] == [str(f) for f in result.failures]
    assert copy.failures[0].status == 404
    assert copy.feed == result.feed


def test_feed_respects_max_items(base: str) -> None:
    result = fetch_with_retries(f"{base}/feed.xml", "feed", opts(max_feed_items=1))
    assert [item.final_url for item in result] == [f"{base}/page"]
    assert isinstance(result, FeedResult) and result.failures == []


def test_feed_with_entities_is_refused(base: str) -> None:
    with pytest.raises(FetchError, match="DOCTYPE or entities"):
        fetch(f"{base}/entity-feed.xml", "feed", opts())


def test_feed_links_atom_and_rdf() -> None:
    atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b'<entry><link rel="edit" href="https://a.example/edit/1"/>'
        b'<link rel="alternate" href="/news/1"/></entry>'
        b'<entry><link href="https://a.example/news/2"/></entry>'
        b'<entry><link href="https://a.example/news/2"/></entry></feed>'
    )
    assert feed_links(atom, "atom", "https://a.example/feed") == [
        "https://a.example/news/1",
        "https://a.example/news/2",
    ]
    rdf = (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/"><item><link>https://b.example/x</link></item>'
        b"</rdf:RDF>"
    )
    assert feed_links(rdf, "rdf") == ["https://b.example/x"]
    with pytest.raises(FetchError, match="not an RSS or Atom feed"):
        feed_links(b"<html><body/></html>", "page")
    with pytest.raises(FetchError, match="not well-formed"):
        feed_links(b"<rss><channel>", "broken")


def test_feed_entry_dates_published_then_updated() -> None:
    atom = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b'<entry><link href="https://a.example/1"/><updated>2023-01-05T10:00:00+07:00</updated>'
        b"<published>2023-01-04T23:30:00-02:00</published></entry>"
        b'<entry><link href="https://a.example/2"/><updated>2023-01-06T01:00:00+07:00</updated>'
        b"</entry>"
        b'<entry><link href="https://a.example/3"/><published>someday</published></entry>'
        b"</feed>"
    )
    # published wins over updated; both are read in UTC (23:30 at -02:00 is the next day)
    assert [(e.link, e.published) for e in feed_entries(atom, "atom")] == [
        ("https://a.example/1", dt.date(2023, 1, 5)),
        ("https://a.example/2", dt.date(2023, 1, 5)),
        ("https://a.example/3", None),
    ]


def test_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("Vladivostok is a port on the Sea of Japan.\n", "utf-8")
    [got] = fetch(str(path), "file", opts())
    assert got.data == path.read_bytes()
    assert got.kind == "file" and got.status is None and got.final_url is None
    assert got.content_type == "text/plain"
    [relative] = fetch("note.txt", "file", opts(), base_dir=tmp_path)
    assert relative.sha256 == got.sha256
    assert relative.location == "note.txt"


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.html"
    with pytest.raises(FetchError, match="file not found") as info:
        fetch(str(missing), "file", opts())
    assert str(missing) in str(info.value)


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="is a directory"):
        fetch(str(tmp_path), "file", opts())


def test_file_over_size_cap_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 2000)
    with pytest.raises(FetchError, match="larger than 1000 bytes"):
        fetch(str(path), "file", opts(max_bytes=1000))


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(FetchError, match="unknown source kind"):
        fetch("x", "ftp", opts())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"<!DOCTYPE html><html>", "text/html"),
        (b'<?xml version="1.0"?><rss version="2.0">', "application/rss+xml"),
        (
            b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">',
            "application/atom+xml",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "application/octet-stream"),
        ("Простой текст".encode(), "text/plain"),
    ],
)
def test_sniff_content_type(head: bytes, expected: str) -> None:
    assert sniff_content_type(head) == expected
