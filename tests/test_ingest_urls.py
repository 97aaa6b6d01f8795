"""URL sources through the whole ingest, against a local server on 127.0.0.1 only:
each URL is either ingested or recorded as failed with its reason, and the run goes on."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.config import Options
from pipeline.ingest import ingest_paths

ARTICLE = (
    "<html><head><meta charset='utf-8'><title>Камрань</title></head><body>"
    "<nav><a href='/'>Главная</a> | <a href='/news'>Новости</a></nav>"
    "<article><p>В ноябре 2014 года Россия и Вьетнам подписали соглашение об упрощённом "
    "порядке захода российских военных кораблей в порт Камрань.</p>"
    "<p>В декабре 2009 года Вьетнам заказал шесть подводных лодок проекта 636.1, "
    "последняя из них прибыла в Камрань в январе 2017 года.</p></article>"
    "</body></html>"
).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # the client hangs up on purpose in the timeout and size cases; anything else is a bug
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    calls = {"flaky": 0}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path == "/ok":
                self._send(200, ARTICLE, "text/html; charset=utf-8")
            elif self.path == "/missing":
                self._send(404, b"gone", "text/plain")
            elif self.path == "/flaky":
                calls["flaky"] += 1
                if calls["flaky"] == 1:
                    self._send(500, b"busy", "text/plain")
                else:
                    self._send(200, ARTICLE.replace(b"2017", b"2016"), "text/html")
            elif self.path == "/slow":
                time.sleep(1.5)
                self._send(200, ARTICLE, "text/html")
            elif self.path == "/huge":
                self._send(200, b"<p>" + b"x" * 300_000 + b"</p>", "text/html")
            elif self.path == "/image":
                self._send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")
            elif self.path.startswith("/loop"):
                self.send_response(302)
                self.send_header("Location", "/loop-again" if self.path == "/loop" else "/loop")
                self.send_header("Content-Length", "0")
                self.end_headers()

    httpd = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_urls_ingested_or_failed_with_reason(server: str, tmp_path: Path) -> None:
    options = Options.model_validate(
        {
            "fetch": {
                "allow_hosts": ["127.0.0.1"],  # the test server is on loopback
                "timeout": 0.5,
                "retries": 2,
                "retry_backoff": 0,
                "max_bytes": 100_000,
            }
        }
    )
    paths = ["ok", "missing", "flaky", "slow", "huge", "image", "loop"]
    urls = [f"{server}/{p}" for p in paths]
    processed, failures = ingest_paths(urls, options=options, out_dir=tmp_path)

    assert sorted(p.record.source.location.rsplit("/", 1)[1] for p in processed) == ["flaky", "ok"]
    for item in processed:
        assert item.record.language == "ru" and item.record.source.status == 200
        assert "Главная" not in item.record.text  # the menu is not main text
    reasons = {f.source.rsplit("/", 1)[1]: f.reason for f in failures}
    assert set(reasons) == {"missing", "slow", "huge", "image", "loop"}
    assert "404" in reasons["missing"]
    assert "timed out" in reasons["slow"].lower() or "timeout" in reasons["slow"].lower()
    assert "100000" in reasons["huge"].replace(",", "")
    assert "image/png" in reasons["image"]
    assert "redirect" in reasons["loop"].lower()
    assert all("\n" not in r for r in reasons.values())


def test_private_addresses_refused_by_default(server: str, tmp_path: Path) -> None:
    processed, failures = ingest_paths([f"{server}/ok"], options=Options(), out_dir=tmp_path)
    assert not processed
    assert len(failures) == 1 and "refused loopback address" in failures[0].reason
    assert "fetch.allow_hosts" in failures[0].reason  # where to allow it


def test_malformed_and_credential_urls_fail_alone(server: str, tmp_path: Path) -> None:
    """Issue 12: a malformed URL raised a traceback and the good source of the same call was
    not processed; a URL with a password showed it in the failure line."""
    options = Options.model_validate({"fetch": {"allow_hosts": ["127.0.0.1"], "retries": 0}})
    secret = server.replace("http://", "http://analyst:hunter2@") + "/ok"
    targets = ["http://a..b/", "http://" + "a" * 300 + ".example/", secret, f"{server}/ok"]
    processed, failures = ingest_paths(targets, options=options, out_dir=tmp_path)
    assert [p.record.source.location for p in processed] == [f"{server}/ok"]
    assert len(failures) == 3
    assert "empty label" in failures[0].reason and "label longer than 63" in failures[1].reason
    assert "user name or password" in failures[2].reason
    assert all("hunter2" not in f.line() and "\n" not in f.line() for f in failures)
