"""The command line: help everywhere, one-line errors, and the README's commands existing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from flows.cli import app

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _commands() -> list[list[str]]:
    root = get_command(app)
    paths: list[list[str]] = []
    for name, cmd in root.commands.items():  # type: ignore[attr-defined]
        paths.append([name])
        for sub in getattr(cmd, "commands", {}) or {}:
            paths.append([name, sub])
    return paths


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p))
def test_every_command_has_help(path: list[str]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    root = get_command(app)
    cmd = root
    for part in path:
        cmd = cmd.commands[part]  # type: ignore[attr-defined]
    assert (cmd.help or "").strip(), f"`osintdesk {' '.join(path)}` has no help text"


def test_readme_commands_exist() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    used = set(re.findall(r"^osintdesk ([a-z]+)", readme, flags=re.M))
    known = {p[0] for p in _commands()}
    assert used, "README shows no osintdesk commands"
    assert used <= known, f"README mentions unknown commands: {sorted(used - known)}"
    for target in ("run", "test"):
        assert f"make {target}" in readme
    makefile = (REPO / "Makefile").read_text("utf-8")
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (REPO / ".ci" / "run").read_text("utf-8")


def test_add_refusal_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    manifest = tmp_path / "raw" / "sources.yaml"
    result = runner.invoke(app, ["add", "ftp://example.org/x", "--manifest", str(manifest)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "scheme 'ftp' is not allowed" in lines[0]
    assert "Traceback" not in result.output


def test_lang_reads_stdin() -> None:
    text = "Россия и Вьетнам подписали соглашение.\n首页\nThe frigates were delivered in 2011.\n"
    result = runner.invoke(app, ["lang", "-"], input=text)
    assert result.exit_code == 0, result.output
    codes = [line.split("\t")[0] for line in result.output.splitlines()]
    assert codes == ["ru", "zh", "en"]


def test_lang_unknown_backend_is_refused() -> None:
    result = runner.invoke(app, ["lang", "--backend", "magic", "-"], input="hello\n")
    assert result.exit_code == 1 and "lingua or langdetect" in result.output


def test_serve_without_server_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    result = runner.invoke(app, ["serve", "--cron", "0 6 * * *"])
    assert result.exit_code == 1
    assert "no Prefect server reachable" in result.output


def test_serve_rejects_bad_cron() -> None:
    result = runner.invoke(app, ["serve", "--cron", "every tuesday"])
    assert result.exit_code == 1 and "invalid cron expression" in result.output


def test_console_script_installed() -> None:
    exe = Path(sys.executable).parent / "osintdesk"
    assert exe.exists()
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    assert "ingest" in out.stdout


def test_add_now_ingests_under_the_manifest_location(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    doc = tmp_path / "raw" / "vn.txt"
    doc.write_text("Tháng 1 năm 2014, tàu ngầm Hà Nội đến Cam Ranh.\n", "utf-8")
    manifest = tmp_path / "raw" / "sources.yaml"
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["add", str(doc), "--now", "--manifest", str(manifest), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "added vn (file): raw/vn.txt" in result.output
    record = json.loads(next((out / "documents").glob("*.json")).read_text("utf-8"))
    assert record["source"]["location"] == "raw/vn.txt"
    assert record["source"]["source_id"] == "vn" and record["language"] == "vi"


def test_run_with_invalid_manifest_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    manifest = tmp_path / "raw" / "sources.yaml"
    manifest.write_text("sources:\n  - {id: a, kind: url, location: 'ftp://x.org/a'}\n")
    result = runner.invoke(app, ["run", "--manifest", str(manifest), "--out", str(tmp_path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "only http and https" in lines[0], result.output
