"""Hostile and careless files: special files, races on the manifest, big copies, killed
writes, odd encodings, huge or deeply nested texts, formula cells (issue 12)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from filelock import FileLock
from typer.testing import CliRunner

from flows.cli import app
from pipeline.clean import MAX_TREE_DEPTH, clean
from pipeline.config import CleanOptions, FetchOptions, Options
from pipeline.decode import decode_bytes
from pipeline.errors import FetchError, ManifestError, ReviewError
from pipeline.fetch import fetch_file
from pipeline.ingest import fetch_source
from pipeline.review.export import _csv_bytes, csv_cell
from pipeline.sources import Source, add_source, load_manifest, manifest_lock
from pipeline.write import atomic_write_text

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
needs_dev_zero = pytest.mark.skipif(
    not Path("/dev/zero").exists() or not Path("/proc/self/status").exists(),
    reason="no /dev/zero or /proc",
)


def _project(tmp_path: Path) -> Path:
    (tmp_path / "raw").mkdir()
    return tmp_path / "raw" / "sources.yaml"


def _write_manifest(path: Path, *entries: dict[str, object]) -> None:
    path.write_text(yaml.safe_dump({"sources": list(entries)}), "utf-8")


# ------------------------------------------------------------------ 3. special files


@needs_fifo
def test_fifo_is_refused_at_once_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            fetch_file(str(fifo), FetchOptions())
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(5)
    if worker.is_alive():  # unblock the reader so the test process can end
        with open(fifo, "wb"):
            pass
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], FetchError)
    assert "FIFO" in str(outcome[0]) and "not a regular file" in str(outcome[0])
    assert len(str(outcome[0]).splitlines()) == 1


_DEV_ZERO_CHILD = textwrap.dedent(
    """
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 31, 1 << 31))
    from pipeline.config import FetchOptions
    from pipeline.errors import FetchError
    from pipeline.fetch import fetch_file
    try:
        fetch_file(sys.argv[1], FetchOptions())
        print("read")
    except FetchError as exc:
        print(exc)
    # VmHWM: this program's peak RSS (ru_maxrss would include the forking pytest process)
    with open("/proc/self/status") as status:
        print(next(line for line in status if line.startswith("VmHWM")).strip())
    """
)


@needs_dev_zero
def test_symlink_to_dev_zero_is_refused_with_bounded_memory(tmp_path: Path) -> None:
    link = tmp_path / "zero.txt"
    link.symlink_to("/dev/zero")
    done = subprocess.run(
        [sys.executable, "-c", _DEV_ZERO_CHILD, str(link)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=REPO,
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr[-2000:]
    assert "character device, not a regular file" in lines[0], done.stdout
    peak_mb = int(lines[-1].split()[1]) / 1024  # "VmHWM:  123456 kB"
    assert peak_mb < 400, f"peak RSS {peak_mb:.0f} MB"


def test_file_over_the_cap_is_refused_while_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 5000)
    with pytest.raises(FetchError, match="larger than 1000 bytes"):
        fetch_file(str(big), FetchOptions(max_bytes=1000))


# ------------------------------------------------------------------ 12. confinement


def test_manifest_file_source_outside_the_project_is_refused(tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    secret = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", "utf-8")
    _write_manifest(
        manifest,
        {"id": "passwd", "kind": "file", "location": str(secret)},
        {"id": "up", "kind": "file", "location": "../" + secret.name},
    )
    for source in load_manifest(manifest).sources:
        with pytest.raises(FetchError) as info:
            fetch_source(source, root=tmp_path, options=Options())
        assert "outside the project" in str(info.value) and "outside: true" in str(info.value)


def test_symlink_inside_the_project_to_outside_is_refused(tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    secret = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    secret.write_text("secret\n", "utf-8")
    (tmp_path / "raw" / "link.txt").symlink_to(secret)
    _write_manifest(manifest, {"id": "link", "kind": "file", "location": "raw/link.txt"})
    with pytest.raises(FetchError, match="outside the project"):
        fetch_source(load_manifest(manifest).sources[0], root=tmp_path, options=Options())


def test_outside_true_allows_a_file_elsewhere(tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    elsewhere = tmp_path.parent / f"{tmp_path.name}-notes.txt"
    elsewhere.write_text("Notes on the delivery.\n", "utf-8")
    _write_manifest(
        manifest, {"id": "notes", "kind": "file", "location": str(elsewhere), "outside": True}
    )
    items, failures = fetch_source(
        load_manifest(manifest).sources[0], root=tmp_path, options=Options()
    )
    assert not failures and items[0].fetched.data == b"Notes on the delivery.\n"


@needs_dev_zero
def test_manifest_location_dev_zero_is_refused_even_when_outside_is_allowed(
    tmp_path: Path,
) -> None:
    manifest = _project(tmp_path)
    _write_manifest(manifest, {"id": "zero", "kind": "file", "location": "/dev/zero"})
    with pytest.raises(FetchError, match="outside the project"):
        fetch_source(load_manifest(manifest).sources[0], root=tmp_path, options=Options())
    _write_manifest(
        manifest, {"id": "zero", "kind": "file", "location": "/dev/zero", "outside": True}
    )
    with pytest.raises(FetchError, match="character device"):
        fetch_source(load_manifest(manifest).sources[0], root=tmp_path, options=Options())


# ------------------------------------------------------------------ 5. concurrent add


_ADD_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from pipeline.sources import add_source
    add_source(Path(sys.argv[1]), sys.argv[2])
    """
)


def test_ten_concurrent_adds_are_all_kept(tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    urls = [f"https://news{i}.example/article-{i}.html" for i in range(10)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _ADD_CHILD, str(manifest), url],
            env=env,
            cwd=REPO,
            stderr=subprocess.PIPE,
        )
        for url in urls
    ]
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err.decode()[-2000:]
    kept = {s.location for s in load_manifest(manifest).sources}
    assert kept == set(urls)


def test_held_lock_gives_one_line_after_the_timeout(tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    with FileLock(str(manifest) + ".lock"):
        started = time.monotonic()
        with pytest.raises(ManifestError) as info, manifest_lock(manifest, timeout=0.2):
            pass
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert "another osintdesk command" in message and "sources.yaml.lock" in message
    assert len(message.splitlines()) == 1


# ------------------------------------------------------------------ 8. one line, not a traceback


def test_add_with_a_bad_language_is_one_line(tmp_path: Path) -> None:
    manifest = _project(tmp_path)
    result = runner.invoke(
        app,
        ["add", "https://a.example/x.html", "--language", "english", "--manifest", str(manifest)],
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "language" in lines[0] and "english" in lines[0]
    assert "Traceback" not in result.output and "validation error" not in result.output
    assert not manifest.exists()


@pytest.mark.parametrize(
    "content",
    [
        bytes(range(256)) * 8,  # binary
        b"\xff\xfe\x00garbage\x80\x81",  # not UTF-8
        b"sources:\n  - \x00\x01\x02\n",  # NUL and control bytes
    ],
)
def test_binary_manifest_is_one_line(tmp_path: Path, content: bytes) -> None:
    manifest = _project(tmp_path)
    manifest.write_bytes(content)
    with pytest.raises(ManifestError) as info:
        load_manifest(manifest)
    assert str(manifest) in str(info.value)
    result = runner.invoke(app, ["add", "https://a.example/x", "--manifest", str(manifest)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and str(manifest) in lines[0], result.output
    result = runner.invoke(app, ["run", "--manifest", str(manifest), "--out", str(tmp_path)])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and len(lines) == 1, result.output


# ------------------------------------------------------------------ 9. streamed copy


def test_add_copy_streams_a_big_file(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    manifest = _project(project)
    big = tmp_path / "big report.txt"
    line = b"The ministry reported the delivery of six aircraft to the navy.\n"
    with big.open("wb") as handle:
        for _ in range(40_000_000 // len(line)):
            handle.write(line)
    tracemalloc.start()
    try:
        source = add_source(manifest, str(big), copy=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000, f"peak {peak / 1e6:.1f} MB while copying 40 MB"
    copied = project / source.location
    assert copied.parent == project / "raw" / "added"
    assert copied.stat().st_size == big.stat().st_size
    assert not [p for p in copied.parent.iterdir() if p.name.endswith(".tmp")]


# ------------------------------------------------------------------ 10. killed writes


def test_stale_temp_files_of_killed_writes_are_removed(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    stale = folder / ".people.jsonl.k2j4h5g_.tmp"
    fresh = folder / ".events.jsonl.a1b2c3d4.tmp"  # a write in progress elsewhere
    mine = folder / "notes.tmp"  # not ours: never touched
    for path in (stale, fresh, mine):
        path.write_text("partial", "utf-8")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    os.utime(mine, (hour_ago, hour_ago))
    atomic_write_text(folder / "people.jsonl", "{}\n")
    assert not stale.exists()
    assert fresh.exists() and mine.exists()
    assert (folder / "people.jsonl").read_text("utf-8") == "{}\n"


# ------------------------------------------------------------------ 11. texts


RU = "Министерство обороны сообщило о поставке шести самолётов во Вьетнам в 2014 году.\n" * 8
ZH = "越南国防部宣布，从俄罗斯购买了六架战斗机。该合同于二〇一三年签署。\n" * 8
EN = "<p>The ministry said six aircraft were delivered to Vietnam in 2014.</p>\n" * 8


@pytest.mark.parametrize("text", [RU, ZH, EN], ids=["ru", "zh", "en"])
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_bom_are_decoded(text: str, codec: str) -> None:
    decoded = decode_bytes(text.encode(codec), source="wide.txt")
    assert decoded.text == text and decoded.encoding == codec


def test_stray_nul_in_html_is_dropped_and_counted() -> None:
    page = ("<html><body>" + EN * 3 + "</body></html>").encode()  # 1.8 kB
    data = page[:40] + b"\x00" + page[40:200] + b"\x00" + page[200:]
    decoded = decode_bytes(data, source="https://a.example/page.html", is_html=True)
    assert decoded.nul_bytes == 2
    assert decoded.text == page.decode()


def test_deeply_nested_html_keeps_its_text() -> None:
    depth = 100_000
    page = (
        "<html><head><title>t</title><script>var x = '<div>';</script></head><body>"
        + "<div>" * depth
        + "<p>The ministry confirmed the delivery of six Su-30MK2 fighters in 2014.</p>"
        + "</div>" * depth
        + "<p>The contract was signed in Moscow &amp; announced a year later.</p></body></html>"
    )
    cleaned = clean(page, source="deep.html", is_html=True, options=CleanOptions())
    assert cleaned.method == "tag-strip"
    assert cleaned.paragraphs == [
        "The ministry confirmed the delivery of six Su-30MK2 fighters in 2014.",
        "The contract was signed in Moscow & announced a year later.",
    ]


def test_ordinary_html_is_not_taken_for_deep() -> None:
    rows = "".join(f"<li>item {i}<p>para {i}" for i in range(MAX_TREE_DEPTH * 2))
    page = f"<html><body><article><h1>Title</h1>{rows}</article></body></html>"
    from pipeline.clean import nesting_depth

    assert nesting_depth(page, MAX_TREE_DEPTH) == 4  # html, body, article, h1


def test_paragraph_longer_than_max_length_is_processed_in_chunks() -> None:
    import spacy

    from pipeline.extract import _process
    from schemas import Paragraph

    nlp = spacy.blank("en")
    nlp.max_length = 500
    sentence = "Vietnam ordered six Su-30MK2 fighters from Russia in 2013. "
    body = "Short opening paragraph.\n\n" + sentence * 40
    start = body.index("Vietnam")
    paragraphs = [
        Paragraph(text=body[:24], language="en", start=0, end=24),
        Paragraph(text=body[start:].strip(), language="en", start=start, end=len(body) - 1),
    ]
    pieces = _process("doc:x", body, "en", paragraphs, nlp, None)
    assert len(pieces) > 2
    for offset, doc in pieces:
        assert len(doc.text) <= nlp.max_length
        assert body[offset : offset + len(doc.text)] == doc.text  # offsets stay right
    # every character of the long paragraph is in exactly one piece, in order
    joined = "".join(doc.text for offset, doc in pieces if offset >= start)
    assert joined == body[start : len(body) - 1]
    # cut after a sentence end, not inside a word
    assert all(doc.text.endswith(". ") for offset, doc in pieces[1:-1])


def test_paragraph_over_max_length_is_extracted_with_right_offsets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # spaCy refuses texts over nlp.max_length (1,000,000); the real English pipeline with a
    # small max_length stands in for a text of over a million characters, which is slow
    from pipeline.config import ExtractOptions
    from pipeline.extract import extract_document
    from pipeline.ingest import extractor_info
    from pipeline.nlp import get_nlp
    from schemas import Paragraph

    nlp = get_nlp("en")
    monkeypatch.setattr(nlp, "max_length", 2_000)
    filler = "The weather stayed calm over the harbour that week. " * 100  # 5,200 chars
    body = filler + "In 2014 Vietnam received six Su-30MK2 fighters from Russia."
    paragraph = Paragraph(text=body, language="en", start=0, end=len(body))
    extraction = extract_document(
        "document:long",
        body,
        [paragraph],
        published=None,
        options=ExtractOptions(),
        extractor=extractor_info(),
        get_pipeline=lambda lang: nlp,
    )
    found = [w.mention for w in extraction.weapons]
    assert [m.text for m in found] == ["Su-30MK2"], found
    assert all(body[m.start : m.end] == m.text for m in found)
    assert found[0].start > 2 * nlp.max_length  # in the third chunk


# ------------------------------------------------------------------ 14. CSV cells


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Su-30MK2", "Su-30MK2"),
        ("", ""),
        (6, 6),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, expected: object) -> None:
    assert csv_cell(value) == expected


def test_csv_export_escapes_formula_cells() -> None:
    data = _csv_bytes(["name", "quantity"], [{"name": "=1+2", "quantity": 6}])
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [{"name": "'=1+2", "quantity": "6"}]


def test_ftm_export_without_followthemoney_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.review import open_store
    from pipeline.review.export import export

    monkeypatch.setitem(sys.modules, "followthemoney", None)  # import fails
    out = tmp_path / "out"
    out.mkdir()
    with open_store(out) as store, pytest.raises(ReviewError) as info:
        export(store, "ftm", tmp_path / "ftm")
    assert "pip install 'osintdesk[ftm]'" in str(info.value)
    assert not (tmp_path / "ftm").exists()


# ------------------------------------------------------------------ 8. run: no Prefect tracebacks


@pytest.mark.usefixtures("prefect_harness")
def test_run_reports_failed_sources_without_tracebacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    import flows.ingest as flow_module
    import pipeline.ingest as ingest_module
    from pipeline.fetch import TransientFetchError

    attempts: list[str] = []

    def always_down(source: Source, **kwargs: object) -> object:
        attempts.append(source.id)
        raise TransientFetchError(source.location, "HTTP 503 Service Unavailable")

    monkeypatch.setattr(ingest_module, "fetch_source", always_down)
    monkeypatch.setattr(
        flow_module,
        "fetch_source",
        flow_module.fetch_source.with_options(retries=2, retry_delay_seconds=0),
    )
    manifest = _project(tmp_path)
    _write_manifest(manifest, {"id": "down", "kind": "url", "location": "https://a.example/x"})
    result = flow_module.ingest_flow(manifest=str(manifest), out_dir=str(tmp_path / "out"))
    assert attempts == ["down"] * 3  # retried, then reported
    assert [f.line() for f in result.failures] == [
        "down: fetch failed: HTTP 503 Service Unavailable"
    ]
    err = capfd.readouterr().err
    assert "Traceback" not in err, err
    assert len([line for line in err.splitlines() if "down" in line]) <= 1, err
