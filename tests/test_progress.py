"""Progress: plain periodic lines when not on a terminal, nothing extra with --quiet, and the
run report's counts and timings per stage."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.progress import Bar, Lines, Silent, reporter_for


def test_lines_report_done_total_rate_and_failures() -> None:
    stream = io.StringIO()
    lines = Lines(stream, interval=0.0)
    lines.stage("process", 3, "documents")
    lines.advance(1)
    lines.advance(1, failed=1)
    lines.close()
    lines.close()
    out = stream.getvalue().splitlines()
    assert out[0].startswith("osintdesk: process: 1/3 documents, ")
    assert "/s" in out[0] and "ETA" in out[0] and out[0].endswith("0 failed")
    assert out[1].startswith("osintdesk: process: 2/3 documents") and out[1].endswith("1 failed")
    assert len(out) == 2, "a state already shown is not repeated"


def test_lines_wait_for_the_interval() -> None:
    stream = io.StringIO()
    lines = Lines(stream, interval=3600.0)
    lines.stage("fetch", 100, "sources")
    for _ in range(99):
        lines.advance()
    assert stream.getvalue() == ""
    lines.advance()
    lines.close()
    [line] = stream.getvalue().splitlines()
    assert "100/100 sources" in line


def test_reporter_choice() -> None:
    assert isinstance(reporter_for(True, io.StringIO()), Silent)
    assert isinstance(reporter_for(False, io.StringIO()), Lines)  # not a terminal


def test_ingest_progress_and_quiet(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = str(tmp_path / "missing.txt")
    out = tmp_path / "out"
    loud = runner.invoke(app, ["ingest", missing, "--out", str(out)])
    assert "osintdesk: fetch: 1/1 inputs" in loud.output
    assert "1 failed" in loud.output
    quiet = runner.invoke(app, ["ingest", missing, "--out", str(out), "--quiet"])
    assert "osintdesk:" not in quiet.output
    assert "failures" in quiet.output, "the summary is still printed"
    [report, _] = sorted((out / "runs").glob("*.json"))
    data = json.loads(report.read_text("utf-8"))
    assert data["counts"]["failures"] == 1
    assert "link_write" in data["timings"]
    assert data["failures"][0]["reason"].startswith("fetch failed")


def test_bar_on_a_terminal_shows_counts_and_failures() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    bar = reporter_for(False, stream)
    assert isinstance(bar, Bar)
    bar.stage("fetch", 3, "sources")
    bar.advance(1)
    bar.advance(1, failed=1)
    bar.close()
    shown = stream.getvalue()
    assert "2/3" in shown and "sources" in shown and "1 failed" in shown and "ETA" in shown


def test_evaluate_progress_and_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """`evaluate` shows evaluations done of total (plain lines off a terminal), and only its
    tables with --quiet."""
    import types

    from pipeline.evaluate import Report, registry

    def fake(name: str) -> types.SimpleNamespace:
        report = Report(title=f"table {name}", columns=["x"], rows=[{"x": 1}])
        return types.SimpleNamespace(evaluate=lambda path=None: report)

    monkeypatch.setattr(registry, "EVALUATORS", {"one": "one", "two": "two"})
    monkeypatch.setattr(registry.importlib, "import_module", lambda name: fake(name))
    runner = CliRunner()
    loud = runner.invoke(app, ["evaluate", "all"])
    assert loud.exit_code == 0, loud.output
    assert "osintdesk: evaluate: 2/2 evaluations" in loud.output
    assert "table pipeline.evaluate.one" in loud.output
    quiet = runner.invoke(app, ["evaluate", "all", "--quiet"])
    assert "osintdesk:" not in quiet.output and "table pipeline.evaluate.two" in quiet.output


def test_export_progress_and_quiet(tmp_path: Path) -> None:
    """`export` shows reading the desk and each file written (plain lines off a
    terminal); with --quiet only the files and their counts."""
    from fixtures.review.builder import build

    from pipeline.review.export import EXPORT_FILES

    out_dir = tmp_path / "out"
    build(out_dir)
    runner = CliRunner()
    loud = runner.invoke(
        app, ["export", "--format", "csv", "--out", str(tmp_path / "x"), "--out-dir", str(out_dir)]
    )
    assert loud.exit_code == 0, loud.output
    assert "osintdesk: export: reading the desk: 2/2 parts" in loud.output
    assert "osintdesk: export: writing: 5/5 files" in loud.output
    written = sorted(p.name for p in (tmp_path / "x").iterdir())
    assert written == sorted(EXPORT_FILES["csv"])
    quiet = runner.invoke(
        app,
        ["export", "--format", "register", "--out", str(tmp_path / "y"), "--out-dir",
         str(out_dir), "--quiet"],
    )  # fmt: skip
    assert quiet.exit_code == 0, quiet.output
    assert "osintdesk:" not in quiet.output and "register.csv" in quiet.output
