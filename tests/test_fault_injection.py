"""Network faults from the reliability sweep (issue 12), served by one loopback server.

Every case must end as one FetchError line naming the source and the reason,
in bounded time and memory, with the good sources of the same call still
fetched. The bomb and slow-header cases run in a subprocess so that their
peak RSS can be measured on its own.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from pipeline.config import FetchOptions, load_options
from pipeline.errors import ConfigError, FetchError
from pipeline.fetch import AddressPolicy, FeedResult, check_address, fetch
from pipeline.urls import has_credentials, redact_url

REPO = Path(__file__).resolve().parents[1]
PAGE = b"<html><body><p>Cam Ranh Bay is a deep-water harbour in Vietnam.</p></body></html>"
PAGE_TWO = b"<html><body><p>Hai Phong is a port city in northern Vietnam.</p></body></html>"
BOMB_DECODED = 64 * 1024 * 1024  # zeros behind a few kilobytes of gzip, gzip
LONG_LABEL = "a" * 300
AUTH = "Basic " + base64.b64encode(b"analyst:hunter2").decode()


def _gzip(data: bytes, level: int = 9) -> bytes:
    packer = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    return packer.compress(data) + packer.flush()


def _bomb() -> bytes:
    packer = zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1 << 20)
    inner = b"".join(packer.compress(zeros) for _ in range(BOMB_DECODED >> 20)) + packer.flush()
    return _gzip(inner)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # the client hangs up on purpose in the deadline and size cases


def _handler(bomb: bytes) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def _send(self, body: bytes, ctype: str = "text/html", **headers: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            path, _, query = self.path.partition("?")
            if path == "/page":
                self._send(PAGE)
            elif path == "/page2":
                self._send(PAGE_TWO)
            elif path == "/bomb":
                self._send(bomb, Content_Encoding="gzip, gzip")
            elif path == "/double-gzip":
                self._send(_gzip(_gzip(PAGE)), Content_Encoding="gzip, gzip")
            elif path == "/raw-deflate":
                packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
                self._send(packer.compress(PAGE) + packer.flush(), Content_Encoding="deflate")
            elif path == "/five-gzip":
                body = PAGE
                for _ in range(5):
                    body = _gzip(body)
                self._send(body, Content_Encoding=", ".join(["gzip"] * 5))
            elif path == "/brotli":
                self._send(b"\x0b\x02\x80", Content_Encoding="br")
            elif path == "/slow-headers":
                self._drip(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Pad: " + b"a" * 400)
            elif path == "/redirect":
                self.send_response(302)
                # placeholders: a URL too long, or carrying a password, to redirect to
                target = parse_qs(query)["to"][0]
                target = target.replace("LONG", "http://example.org/" + "a" * 9000)
                target = target.replace("CREDS", base.replace("//", "//analyst:hunter2@"))
                self.send_header("Location", target)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path == "/feed.xml":
                links = [
                    f"{base}/page",
                    "http://a..b/x",
                    f"http://{LONG_LABEL}.example/x",
                    "http://[::1/x",
                    f"http://user:secret@127.0.0.1:{self.server.server_address[1]}/page",
                    f"{base}/page2",
                ]
                items = "".join(f"<item><link>{link}</link></item>" for link in links)
                feed = f'<?xml version="1.0"?><rss><channel>{items}</channel></rss>'
                self._send(feed.encode(), "application/rss+xml")
            elif path == "/private":
                if self.headers.get("Authorization") == AUTH:
                    self._send(PAGE)
                else:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def _drip(self, head: bytes) -> None:
            """Response headers one byte every 0.2 s, until the client hangs up."""
            for byte in head:
                try:
                    self.wfile.write(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.2)

    return Handler


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    httpd = _Server(("127.0.0.1", 0), _handler(_bomb()))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def opts(**kwargs: Any) -> FetchOptions:
    settings: dict[str, Any] = {"allow_hosts": ["127.0.0.1"], "timeout": 2, "retries": 0}
    settings.update(kwargs)
    return FetchOptions.model_validate(settings)


def _one_line_failure(url: str, options: FetchOptions, match: str) -> str:
    with pytest.raises(FetchError, match=match) as info:
        fetch(url, "url", options)
    message = str(info.value)
    assert "\n" not in message and len(message) < 1000
    return message


_MEASURE = """
import json, resource, sys, time
from pipeline.config import FetchOptions
from pipeline.errors import FetchError
from pipeline.fetch import fetch
options = FetchOptions.model_validate(json.loads(sys.argv[2]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.monotonic()
try:
    fetch(sys.argv[1], "url", options)
    outcome = "fetched"
except FetchError as exc:
    outcome = str(exc)
seconds = time.monotonic() - start
growth_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"outcome": outcome, "seconds": seconds, "growth_mb": growth_kb / 1024}))
"""


def _measured_fetch(url: str, settings: dict[str, Any], tree: Path = REPO) -> dict[str, Any]:
    """Fetch in a fresh interpreter: the outcome, the seconds and the growth of peak RSS."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, url, json.dumps(settings)],
        capture_output=True,
        text=True,
        timeout=20,  # the old code never ended on slow headers
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        cwd=tree,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- 1: gzip bomb


def test_stacked_gzip_bomb_is_cut_at_the_cap_with_bounded_memory(base: str) -> None:
    settings = {"allow_hosts": ["127.0.0.1"], "max_bytes": 1_000_000, "retries": 0}
    got = _measured_fetch(f"{base}/bomb", settings)
    assert "body larger than 1000000 bytes (decoded from gzip, gzip)" in got["outcome"]
    assert got["outcome"].startswith(f"{base}/bomb: fetch failed:")
    # 64 MB of zeros behind the two layers; decoding stops within a piece of the cap
    assert got["growth_mb"] < 32, got


def test_stacked_and_raw_encodings_still_decode(base: str) -> None:
    [double] = fetch(f"{base}/double-gzip", "url", opts())
    assert double.data == PAGE
    [raw] = fetch(f"{base}/raw-deflate", "url", opts())
    assert raw.data == PAGE
    _one_line_failure(f"{base}/brotli", opts(), "refused content encoding 'br'")
    _one_line_failure(f"{base}/five-gzip", opts(), "refused 5 stacked content codings")


# --------------------------------------------------------------------------- 2: slow headers


def test_slow_headers_end_at_the_deadline_with_bounded_memory(base: str) -> None:
    # one byte every 0.2 s never trips the 2 s read timeout; only the deadline ends it
    settings = {"allow_hosts": ["127.0.0.1"], "timeout": 2, "deadline_s": 1.0, "retries": 0}
    got = _measured_fetch(f"{base}/slow-headers", settings)
    assert "fetch deadline of 1 s (fetch.deadline_s)" in got["outcome"], got
    assert got["seconds"] < 5, got  # 1 s and some slack for a loaded machine
    assert got["growth_mb"] < 20, got


def test_readme_limits_table_gives_the_defaults() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    d = FetchOptions()
    for row in (
        f"`fetch.max_bytes` | {d.max_bytes} bytes",
        f"`fetch.deadline_s` | {d.deadline_s:g} s",
        f"`fetch.timeout` | {d.timeout:g} s",
        f"`fetch.max_redirects` | {d.max_redirects} |",
        f"`fetch.allow_hosts` | `{d.allow_hosts}`",
    ):
        assert row in readme


# --------------------------------------------------------------------------- 4: malformed URLs


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://a..b/", "empty label"),
        (f"http://{LONG_LABEL}.example/", "label longer than 63 characters"),
        ("http://example.org/" + "a" * 70_000, "URL longer than 8192 characters"),
        ("http://[::1/", "Invalid IPv6 URL"),
    ],
)
def test_malformed_url_is_one_line(url: str, reason: str) -> None:
    message = _one_line_failure(url, opts(), reason)
    assert message.startswith(url[:30])


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://a..b/", "empty label"),
        (f"http://{LONG_LABEL}.example/", "label longer than 63"),
        ("LONG", "URL longer than 8192"),
    ],
)
def test_redirect_to_malformed_url_is_one_line(base: str, target: str, reason: str) -> None:
    source = f"{base}/redirect?to={target}"
    message = _one_line_failure(source, opts(), reason)
    assert message.startswith(f"{base}/redirect?to=")
    assert "(redirect to http://" in message  # the hop that failed is named


def test_feed_keeps_good_entries_around_malformed_links(base: str) -> None:
    result = fetch(f"{base}/feed.xml", "feed", opts())
    assert isinstance(result, FeedResult)
    assert [item.data for item in result] == [PAGE, PAGE_TWO]
    reasons = [str(failure) for failure in result.failures]
    assert len(reasons) == 4
    assert all("\n" not in r for r in reasons)
    assert "empty label" in reasons[0] and "label longer than 63" in reasons[1]
    assert "Invalid IPv6 URL" in reasons[2] and "user name or password" in reasons[3]
    assert not any("secret" in r for r in reasons)


# --------------------------------------------------------------------------- 6: DNS rebinding


def test_connection_is_pinned_to_the_checked_address(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first answer (allowed) is checked; a second lookup would give 127.0.0.2, which
    is not on the list and where nothing listens: only the checked address may be used."""
    port = int(base.rsplit(":", 1)[1])
    real = socket.getaddrinfo
    answers: list[str] = []

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return real(host, *args, **kwargs)
        answers.append("127.0.0.1" if not answers else "127.0.0.2")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[-1], port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    [got] = fetch(f"http://rebind.test:{port}/page", "url", opts())
    assert got.data == PAGE
    assert answers == ["127.0.0.1"]  # one lookup, and the connection used it
    # the second answer is refused when it is the one checked
    message = _one_line_failure(
        f"http://rebind.test:{port}/page", opts(), r"refused loopback address 127\.0\.0\.2"
    )
    assert "fetch.allow_hosts" in message


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("2002:a00:1::1", "private"),  # 6to4 of 10.0.0.1
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", "link-local"),  # 6to4 of the metadata address
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
        ("64:ff9b::c0a8:1", "private"),  # NAT64 of 192.168.0.1
        ("::ffff:a00:1", "private"),  # IPv4-mapped 10.0.0.1
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "private"),  # Teredo, client 10.0.0.1
        ("2002:808:808::1", None),  # 6to4 of 8.8.8.8
        ("64:ff9b::808:808", None),  # NAT64 of 8.8.8.8
    ],
)
def test_ipv6_wrapping_an_ipv4_is_judged_by_it(address: str, why: str | None) -> None:
    assert check_address(address) == why


def test_6to4_of_a_private_address_is_refused_before_connecting() -> None:
    message = _one_line_failure(
        "http://[2002:a9fe:a9fe::1]/latest/meta-data/",
        opts(allow_hosts=[]),
        r"refused link-local address 2002:a9fe:a9fe::1 \(6to4 of 169\.254\.169\.254\)",
    )
    assert "fetch.allow_hosts" in message


# --------------------------------------------------------------------------- 7: allow_hosts


def test_allow_hosts_by_name_or_network(base: str) -> None:
    port = base.rsplit(":", 1)[1]
    assert fetch(f"{base}/page", "url", opts(allow_hosts=["127.0.0.0/8"]))[0].data == PAGE
    assert fetch(f"http://localhost:{port}/page", "url", opts(allow_hosts=["localhost"]))
    message = _one_line_failure(f"{base}/page", opts(allow_hosts=["10.1.2.0/24"]), "loopback")
    assert "add the host or network to fetch.allow_hosts in the options file" in message


def test_allow_hosts_names_match_as_they_go_on_the_wire() -> None:
    policy = AddressPolicy.from_options(opts(allow_hosts=["Пример.РФ.", "10.1.2.0/24"]))
    assert policy.refusal("xn--e1afmkfd.xn--p1ai", "10.9.9.9") is None  # listed by name
    assert policy.refusal("mirror.example", "10.1.2.7") is None  # listed by network
    assert policy.refusal("mirror.example", "::ffff:10.1.2.7") is None  # the same, mapped
    refused = policy.refusal("mirror.example", "10.1.3.7")
    assert refused is not None and refused.startswith("refused private address 10.1.3.7")


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "http://127.0.0.2:1/admin",  # loopback, but not the allowed address
    ],
)
def test_redirect_from_allowed_host_to_unlisted_address_is_refused(base: str, target: str) -> None:
    message = _one_line_failure(f"{base}/redirect?to={target}", opts(), "refused")
    assert "fetch.allow_hosts" in message


def test_allow_hosts_entries_are_validated_and_the_old_key_says_what_replaced_it(
    tmp_path: Path,
) -> None:
    old = tmp_path / "osintdesk.yaml"
    old.write_text("fetch:\n  allow_private_addresses: true\n", "utf-8")
    with pytest.raises(ConfigError, match="replaced by allow_hosts") as info:
        load_options(old)
    assert "\n" not in str(info.value)
    bad = tmp_path / "bad.yaml"
    bad.write_text("fetch:\n  allow_hosts: ['intranet..example']\n", "utf-8")
    with pytest.raises(ConfigError, match="neither a host name nor an IP address or network"):
        load_options(bad)
    good = tmp_path / "good.yaml"
    good.write_text("fetch:\n  allow_hosts: [Intranet.Example., 10.1.2.0/24]\n", "utf-8")
    assert load_options(good).fetch.allow_hosts == ["intranet.example", "10.1.2.0/24"]


# --------------------------------------------------------------------------- 13: credentials


def test_url_with_credentials_is_refused_and_not_shown(base: str) -> None:
    url = base.replace("http://", "http://analyst:hunter2@") + "/private"
    message = _one_line_failure(url, opts(), "user name or password")
    assert "hunter2" not in message and "analyst" not in message
    assert "fetch.credentials" in message
    redirect = f"{base}/redirect?to=CREDS/private"
    assert "hunter2" not in _one_line_failure(redirect, opts(), "user name or password")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://analyst:hunter2@example.org/a", "https://***@example.org/a"),
        ("https://hunter2@example.org/a", "https://***@example.org/a"),
        ("https://a:b@c:hunter2@example.org/a@b", "https://***@example.org/a@b"),
        ("https://example.org/a@b?x=@", "https://example.org/a@b?x=@"),  # no credentials
        ("https://analyst:hunter2@[::1/a", "https://***@[::1/a"),  # even if unparsable
    ],
)
def test_credentials_are_redacted_wherever_the_at_sign_is(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert has_credentials(url) == (shown != url)


def test_credentials_from_options_go_to_their_host_only(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OSINTDESK_TEST_PASSWORD", "hunter2")
    creds = {"127.0.0.1": {"username": "analyst", "password_env": "OSINTDESK_TEST_PASSWORD"}}
    options = opts(credentials=creds)
    assert fetch(f"{base}/private", "url", options)[0].data == PAGE
    assert "hunter2" not in repr(options)
    port = base.rsplit(":", 1)[1]
    other_host = opts(credentials=creds, allow_hosts=["localhost"])
    _one_line_failure(f"http://localhost:{port}/private", other_host, "HTTP 401")
    monkeypatch.delenv("OSINTDESK_TEST_PASSWORD")
    with pytest.raises(ValueError, match="OSINTDESK_TEST_PASSWORD is not set"):
        opts(credentials=creds)


def _main() -> None:
    """Peak-RSS growth and seconds of the bomb and slow-header fetches for a source tree:
    ``python tests/test_fault_injection.py [TREE] [--old-options]`` (docs/performance.md).
    ``--old-options`` allows loopback the way trees before allow_hosts did (they have no
    deadline; this tree is given 1 s, as in the test)."""
    tree = Path(next((a for a in sys.argv[1:] if not a.startswith("--")), REPO))
    allow: dict[str, Any] = (
        {"allow_private_addresses": True}
        if "--old-options" in sys.argv
        else {"allow_hosts": ["127.0.0.1"], "deadline_s": 1.0}
    )
    httpd = _Server(("127.0.0.1", 0), _handler(_bomb()))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    cases = [("bomb", {"max_bytes": 1_000_000}), ("slow-headers", {"timeout": 2})]
    for path, settings in cases:
        try:
            got = _measured_fetch(f"{base}/{path}", {**allow, **settings, "retries": 0}, tree)
            print(f"{path}: {got['growth_mb']:.1f} MB peak RSS growth, {got['seconds']:.1f} s")
        except subprocess.TimeoutExpired:
            print(f"{path}: no answer after 20 s (killed)")


if __name__ == "__main__":
    _main()
