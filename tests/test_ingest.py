"""End to end on the team's own small inputs: records valid, offsets exact, ids stable,
bad sources reported in one line without losing anything else."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from schemas import DocumentRecord, EventRecord, PersonRecord, WeaponRecord

runner = CliRunner()

EN = (
    "Vietnam ordered six Project 636.1 submarines from Russia in December 2009.\n\n"
    "In November 2014 Russia and Vietnam signed an agreement that eased the Russian navy's "
    "use of Cam Ranh Bay. President Vladimir Putin visited Hanoi in November 2013.\n"
)
RU = (
    "В декабре 2009 года Вьетнам заказал шесть подводных лодок проекта 636.1.\n\n"
    "Президент России Владимир Путин посетил Ханой в ноябре 2013 года.\n"
)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    files = {
        "en": ("en.txt", EN.encode("utf-8")),
        "ru": ("ru.txt", RU.encode("utf-8")),
        "binary": ("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
        "empty": ("empty.txt", b""),
        "gzip": ("archive.txt", gzip.compress(b"hello " * 100)),
        "malformed": ("broken.html", b"<html><body><div><p>\x00\x00\x00<<<</p>"),
    }
    paths = {}
    for key, (name, data) in files.items():
        paths[key] = folder / name
        paths[key].write_bytes(data)
    return paths


@pytest.fixture(scope="module")
def ingested(inputs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("out")
    args = ["ingest", *(str(p) for p in inputs.values()), str(inputs["en"].parent / "nope.txt")]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_good_documents_written_and_valid(ingested: tuple[Path, str]) -> None:
    out, _ = ingested
    docs = [
        DocumentRecord.model_validate_json(p.read_text("utf-8"))
        for p in (out / "documents").glob("*.json")
    ]
    assert sorted(d.language for d in docs) == ["en", "ru"]
    for doc in docs:
        assert doc.schema_version and doc.source.sha256
        for para in doc.paragraphs:
            assert doc.text[para.start : para.end] == para.text
        snapshot = out / str(doc.source.snapshot)
        assert snapshot.is_file()


def test_bad_sources_one_line_each(ingested: tuple[Path, str]) -> None:
    out, output = ingested
    run = json.loads(next((out / "runs").glob("*.json")).read_text("utf-8"))
    reasons = {Path(f["source"]).name: f["reason"] for f in run["failures"]}
    assert set(reasons) == {"photo.txt", "empty.txt", "archive.txt", "broken.html", "nope.txt"}
    assert "empty" in reasons["empty.txt"]
    assert "binary" in reasons["photo.txt"] or "binary" in reasons["archive.txt"]
    assert "not found" in reasons["nope.txt"] or "no such" in reasons["nope.txt"].lower()
    for name in reasons:
        failed_lines = [line for line in output.splitlines() if "failed:" in line and name in line]
        assert len(failed_lines) == 1


def test_records_valid_and_traceable(ingested: tuple[Path, str]) -> None:
    out, _ = ingested
    docs = {
        d.id: d
        for d in (
            DocumentRecord.model_validate_json(p.read_text("utf-8"))
            for p in (out / "documents").glob("*.json")
        )
    }
    people = [PersonRecord.model_validate_json(line) for line in (out / "people.jsonl").open()]
    weapons = [WeaponRecord.model_validate_json(line) for line in (out / "weapons.jsonl").open()]
    events = [EventRecord.model_validate_json(line) for line in (out / "events.jsonl").open()]
    for record in [*people, *weapons]:
        for m in record.mentions:
            assert docs[m.document_id].text[m.start : m.end] == m.text
    for event in events:
        ev = event.evidence
        assert docs[ev.document_id].text[ev.start : ev.end] == ev.sentence
    kilo = [w for w in weapons if w.id == "weapon:project-636-1"]
    assert kilo and {m.language for m in kilo[0].mentions} == {"en", "ru"}
    assert all(m.quantity == 6 for m in kilo[0].mentions)
    putin = [p for p in people if p.id == "person:vladimir-putin"]
    assert putin and {m.language for m in putin[0].mentions} == {"en", "ru"}
    types = {(e.type, e.date.value if e.date else None) for e in events}
    assert ("agreement_signed", "2014-11") in types
    assert ("arms_order", "2009-12") in types


def test_ids_stable_across_runs(inputs: dict[str, Path], tmp_path: Path) -> None:
    ids = []
    for n in range(2):
        out = tmp_path / f"run{n}"
        result = runner.invoke(app, ["ingest", str(inputs["en"]), "--out", str(out)])
        assert result.exit_code == 0, result.output
        ids.append(
            [json.loads(line)["id"] for line in (out / "events.jsonl").open()]
            + [p.stem for p in sorted((out / "documents").glob("*.json"))]
        )
    assert ids[0] == ids[1] and ids[0]


def test_decomposed_vietnamese_is_normalised(tmp_path: Path) -> None:
    import unicodedata

    text = (
        "Tháng 12 năm 2009, Thủ tướng Nguyễn Tấn Dũng thăm Moskva "
        "và ký hợp đồng mua sáu tàu ngầm Kilo."
    )
    source = tmp_path / "nfd.txt"
    source.write_text(unicodedata.normalize("NFD", text), "utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["ingest", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(next((out / "documents").glob("*.json")).read_text("utf-8"))
    assert doc["text"] == text and doc["language"] == "vi"
    people = [json.loads(line)["id"] for line in (out / "people.jsonl").open()]
    assert people == ["person:nguyen-tan-dung"]
    events = [json.loads(line) for line in (out / "events.jsonl").open()]
    found = sorted((e["type"], e["date"]["value"]) for e in events)
    assert found == [("arms_order", "2009-12"), ("diplomatic_visit", "2009-12")]


def test_models_are_released_before_linking(tmp_path: Path) -> None:
    """A run's linking needs no language model: the pipelines and detectors extraction
    built are dropped before the outputs are linked, and built again on next use, with
    the same outputs."""
    from pipeline.language import get_detector
    from pipeline.nlp import get_nlp

    src = tmp_path / "a.txt"
    src.write_text("Vietnam ordered six Kilo-class submarines from Russia in 2009.\n", "utf-8")
    built, detector = get_nlp("en"), get_detector()
    runner = CliRunner()
    for out in ("out", "again"):
        result = runner.invoke(app, ["ingest", str(src), "--out", str(tmp_path / out), "-q"])
        assert result.exit_code == 0, result.output
        assert get_nlp("en") is not built and get_detector() is not detector
        built, detector = get_nlp("en"), get_detector()
    for name in ("weapons", "events", "deals"):
        first = (tmp_path / "out" / f"{name}.jsonl").read_bytes()
        assert first and first == (tmp_path / "again" / f"{name}.jsonl").read_bytes()
