"""Re-runs cost almost nothing: conditional GET (ETag / Last-Modified) against a loopback server,
304 answers replayed from snapshots, unchanged bytes never decoded, cleaned or extracted
again, and `--refresh` fetching in full."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import pipeline.ingest as ingest_mod
from pipeline.config import Options
from pipeline.ingest import fetch_all, ingest_paths
from pipeline.revisit import FetchMemory
from pipeline.snapshot import replay
from schemas import EventRecord

TEXT = "Vietnam signed a contract for six Kilo-class submarines in December 2009."


class Site:
    """Pages whose body can change; answers 304 to a matching If-None-Match or
    If-Modified-Since, and counts what it sent."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        self.validators = "etag"
        self.sent: Counter[tuple[str, int]] = Counter()
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                body = site.bodies.get(self.path)
                if body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                etag = '"' + hashlib.sha256(body).hexdigest()[:12] + '"'
                day = int(hashlib.sha256(body).hexdigest(), 16) % 28 + 1
                modified = f"Mon, {day:02d} Jan 2024 00:00:00 GMT"
                if site.validators == "etag":
                    unchanged = self.headers.get("If-None-Match") == etag
                else:
                    unchanged = self.headers.get("If-Modified-Since") == modified
                status = 304 if unchanged else 200
                with site.lock:
                    site.sent[(self.path, status)] += 1
                self.send_response(status)
                if site.validators == "etag":
                    self.send_header("ETag", etag)
                else:
                    self.send_header("Last-Modified", modified)
                if status == 304:
                    self.end_headers()
                    return
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


@pytest.fixture
def site() -> Iterator[tuple[Site, str]]:
    state = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _options(**fetch: object) -> Options:
    options = Options()
    return options.model_copy(
        update={
            "fetch": options.fetch.model_copy(
                update={"allow_hosts": ["127.0.0.1"], "retries": 0, **fetch}
            )
        }
    )


@pytest.mark.parametrize("validators", ["etag", "last-modified"])
def test_unchanged_url_is_answered_304_and_replayed(
    site: tuple[Site, str], tmp_path: Path, validators: str
) -> None:
    state, base = site
    state.validators = validators
    state.bodies["/a"] = TEXT.encode()
    memory = FetchMemory(tmp_path)
    [first], _ = fetch_all(base + "/a", "url", _options(), memory)
    [again], _ = fetch_all(base + "/a", "url", _options(), memory)
    assert state.sent == {("/a", 200): 1, ("/a", 304): 1}
    assert again.status == 304
    assert again.data == first.data and again.sha256 == first.sha256
    assert again.location == first.location and again.fetched_at >= first.fetched_at

    state.bodies["/a"] = (TEXT + " The first arrived in 2013.").encode()
    [changed], _ = fetch_all(base + "/a", "url", _options(), memory)
    assert changed.status == 200 and changed.sha256 != first.sha256
    [after], _ = fetch_all(base + "/a", "url", _options(), memory)
    assert after.status == 304 and after.sha256 == changed.sha256, "the new version is remembered"


def test_refresh_fetches_in_full(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    state.bodies["/a"] = TEXT.encode()
    memory = FetchMemory(tmp_path)
    fetch_all(base + "/a", "url", _options(), memory)
    [again], _ = fetch_all(base + "/a", "url", _options(conditional=False), memory)
    assert again.status == 200
    assert state.sent == {("/a", 200): 2}


def test_lost_snapshot_means_an_unconditional_fetch(site: tuple[Site, str], tmp_path: Path) -> None:
    state, base = site
    state.bodies["/a"] = TEXT.encode()
    memory = FetchMemory(tmp_path)
    fetch_all(base + "/a", "url", _options(), memory)
    for path in (tmp_path / "snapshots").rglob("*.bin"):
        path.unlink()
    [again], _ = fetch_all(base + "/a", "url", _options(), memory)
    assert again.status == 200 and again.data == TEXT.encode()


def test_unchanged_document_is_not_processed_again(
    site: tuple[Site, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, base = site
    state.bodies["/a"] = TEXT.encode()
    out = tmp_path / "out"
    first, failures = ingest_paths([base + "/a"], options=_options(), out_dir=out)
    assert not failures
    ingest_mod.write_outputs(first, [], out_dir=out, run_id="r1", started=_now())

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged document was processed again")

    for stage in ("decode_bytes", "clean", "extract_document", "layout_paragraphs"):
        monkeypatch.setattr(ingest_mod, stage, forbidden)
    again, failures = ingest_paths([base + "/a"], options=_options(), out_dir=out)
    assert not failures
    assert state.sent[("/a", 304)] == 1
    [doc] = again
    assert doc.record.id == first[0].record.id
    assert doc.record.text == first[0].record.text
    assert doc.record.source.status == 304
    assert doc.extraction == first[0].extraction
    result = ingest_mod.write_outputs(again, [], out_dir=out, run_id="r2", started=_now())
    assert result.counts["reused"] == 1 and result.counts["not_modified"] == 1
    assert "reuse" in result.timings and "extract" not in result.timings

    # the same bytes under other options or another language hint: processed afresh
    fetched = replay(out, doc.record.source.sha256, doc.record.source.location)
    same = ingest_mod.reuse_unchanged(fetched, options=_options(), out_dir=out, source_id=None)
    assert same is not None
    other = _options()
    other = other.model_copy(
        update={"clean": other.clean.model_copy(update={"min_paragraph_chars": 5})}
    )
    assert ingest_mod.reuse_unchanged(fetched, options=other, out_dir=out, source_id=None) is None
    hinted = ingest_mod.reuse_unchanged(
        fetched, options=_options(), out_dir=out, source_id=None, language_hint="ru"
    )
    assert hinted is None


def _now() -> ingest_mod.dt.datetime:
    return ingest_mod.dt.datetime.now(ingest_mod.dt.UTC)


def test_same_bytes_through_two_urls_is_one_document(
    site: tuple[Site, str], tmp_path: Path
) -> None:
    state, base = site
    state.bodies["/a"] = state.bodies["/copy/of/a"] = TEXT.encode()
    state.bodies["/b"] = b"Hanoi and Moscow discussed Su-30MK2 fighters in 2014."
    out = tmp_path / "out"
    urls = [base + "/copy/of/a", base + "/b", base + "/a"]
    processed, failures = ingest_paths(urls, options=_options(), out_dir=out)
    assert not failures
    assert len(processed) == 2
    [doc] = [p.record for p in processed if p.record.source.sha256 == _sha(TEXT.encode())]
    assert doc.source.location == base + "/a"  # the first location in sorted order
    assert doc.source.also_at == [base + "/copy/of/a"]
    result = ingest_mod.write_outputs(processed, [], out_dir=out, run_id="r1", started=_now())
    assert result.counts["documents"] == 2
    assert len(list((out / "documents").glob("*.json"))) == 2
    events = _events(out)
    assert events, "the sample sentence gives an event"
    sentences = [e.evidence.sentence for e in events]
    assert len(sentences) == len(set(sentences)), "no event twice through the copy"
    assert {e.evidence.document_id for e in events} <= {p.record.id for p in processed}

    # a later ingest of only the copy folds into the same document
    again, _ = ingest_paths([base + "/copy/of/a"], options=_options(), out_dir=out)
    result = ingest_mod.write_outputs(
        again, [], out_dir=out, run_id="r2", started=_now(), keep_previous=lambda d: True
    )
    assert result.counts["documents"] == 2


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _events(out: Path) -> list[EventRecord]:
    lines = (out / "events.jsonl").read_text("utf-8").splitlines()
    return [EventRecord.model_validate_json(line) for line in lines if line.strip()]


def test_changed_language_data_re_extract(tmp_path: Path) -> None:
    """The extractor version (which keys reused documents and cached extractions) moves
    when a language folder's data change, not only the packaged data files."""
    from pipeline import lang as lang_registry
    from pipeline.ingest import extractor_info

    before = extractor_info().version
    toy = tmp_path / "langs" / "xq"
    toy.mkdir(parents=True)
    (toy / "language.yaml").write_text("code: xq\n", "utf-8")
    lang_registry.add_path(tmp_path / "langs")
    try:
        added = extractor_info().version
        (toy / "names.yaml").write_text("titles: [Dr]\n", "utf-8")
        extractor_info.cache_clear()
        edited = extractor_info().version
    finally:
        lang_registry.remove_path(tmp_path / "langs")
    assert len({before, added, edited}) == 3
    assert extractor_info().version == before
