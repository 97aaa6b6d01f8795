"""The sources manifest and `add`: what is refused, and that refusals are one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from pipeline.errors import ManifestError
from pipeline.sources import Manifest, Source, add_source, load_manifest, save_manifest

runner = CliRunner()


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "a.txt").write_text("Hanoi and Moscow signed an agreement.", "utf-8")
    save_manifest(tmp_path / "raw" / "sources.yaml", Manifest())
    return tmp_path


def test_add_file_and_url_round_trip(project: Path) -> None:
    manifest = project / "raw" / "sources.yaml"
    src = add_source(manifest, str(project / "raw" / "a.txt"), tags=["ru-vn", "ru-vn"])
    assert src.kind == "file" and src.location == "raw/a.txt" and src.tags == ["ru-vn"]
    url = add_source(manifest, "https://example.org/news/kilo.html", language="en")
    assert url.kind == "url" and url.language == "en"
    loaded = load_manifest(manifest)
    assert [s.id for s in loaded.sources] == [src.id, url.id]
    assert manifest.read_text("utf-8").startswith("# osintdesk sources manifest")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("ftp://example.org/a.txt", "scheme 'ftp' is not allowed"),
        ("javascript:alert(1)", "file not found"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("raw/missing.txt", "file not found"),
    ],
)
def test_add_refusals_are_one_line(project: Path, target: str, reason: str) -> None:
    with pytest.raises(ManifestError) as info:
        add_source(project / "raw" / "sources.yaml", target)
    message = str(info.value)
    assert reason in message and "\n" not in message and target in message


@pytest.mark.parametrize(
    "target",
    [
        "https://analyst:hunter2@example.org/feed.xml",
        "https://hunter2@example.org/feed.xml",
        "https://analyst:hunter2@[::1/x",
    ],
)
def test_add_refuses_credentials_without_showing_them(project: Path, target: str) -> None:
    manifest = project / "raw" / "sources.yaml"
    before = manifest.read_text("utf-8")
    result = runner.invoke(app, ["add", target, "--feed", "--manifest", str(manifest)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "hunter2" not in result.output
    if "[::1" not in target:
        assert "user name or password" in lines[0]
        assert "fetch.credentials" in lines[0] and "password_env" in lines[0]
    assert manifest.read_text("utf-8") == before


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://a..b/", "empty label"),
        ("http://" + "a" * 300 + ".example/", "label longer than 63"),
        ("http://example.org/" + "a" * 70_000, "URL longer than 8192"),
        ("http://[::1/", "Invalid IPv6 URL"),
    ],
)
def test_add_refuses_malformed_urls_in_one_line(project: Path, target: str, reason: str) -> None:
    with pytest.raises(ManifestError, match=reason) as info:
        add_source(project / "raw" / "sources.yaml", target)
    assert "\n" not in str(info.value) and len(str(info.value)) < 600


def test_hand_written_credentials_in_the_manifest_are_refused_unshown(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    path = tmp_path / "raw" / "sources.yaml"
    path.write_text(
        "sources:\n- {id: mirror, kind: url, location: 'https://analyst:hunter2@example.org/'}\n",
        "utf-8",
    )
    with pytest.raises(ManifestError, match="user name or password") as info:
        load_manifest(path)
    assert "hunter2" not in str(info.value)
    # a malformed host is the fetch's to refuse, in one line, while the run goes on
    path.write_text("sources:\n- {id: typo, kind: url, location: 'http://a..b/'}\n", "utf-8")
    assert [s.id for s in load_manifest(path).sources] == ["typo"]


def test_add_refuses_duplicates(project: Path) -> None:
    manifest = project / "raw" / "sources.yaml"
    add_source(manifest, "https://example.org/a")
    with pytest.raises(ManifestError, match="already in the manifest"):
        add_source(manifest, "HTTPS://EXAMPLE.org/a#comments")
    add_source(manifest, str(project / "raw" / "a.txt"))
    with pytest.raises(ManifestError, match="already in the manifest"):
        add_source(manifest, str(project / "raw" / ".." / "raw" / "a.txt"))


def test_outside_project_needs_copy(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "../evil name.txt"
    outside.write_text("Nga và Việt Nam ký thỏa thuận.", "utf-8")
    manifest = project / "raw" / "sources.yaml"
    with pytest.raises(ManifestError, match="outside the project"):
        add_source(manifest, str(outside))
    src = add_source(manifest, str(outside), copy=True)
    copied = project / src.location
    assert copied.is_file() and copied.parent == project / "raw" / "added"
    assert ".." not in src.location and " " not in copied.name
    assert copied.read_text("utf-8") == outside.read_text("utf-8")


def test_directory_is_refused(project: Path) -> None:
    with pytest.raises(ManifestError, match="not a regular file"):
        add_source(project / "raw" / "sources.yaml", str(project / "raw"))


def test_manifest_is_strict(tmp_path: Path) -> None:
    (tmp_path / "raw").mkdir()
    path = tmp_path / "raw" / "sources.yaml"
    path.write_text(
        "sources:\n  - id: a\n    kind: url\n    location: https://x.org\n    color: red\n"
    )
    with pytest.raises(ManifestError, match="color"):
        load_manifest(path)
    path.write_text("sources:\n  - {id: a, kind: feed, location: 'gopher://x.org'}\n")
    with pytest.raises(ManifestError, match="only http and https"):
        load_manifest(path)
    path.write_text(
        "sources:\n  - {id: a, kind: url, location: 'https://x.org/1'}\n"
        "  - {id: a, kind: url, location: 'https://x.org/2'}\n"
    )
    with pytest.raises(ManifestError, match="duplicate source id"):
        load_manifest(path)


def test_source_model_rejects_bad_ids() -> None:
    with pytest.raises(ValueError):
        Source(id="../etc", kind="file", location="raw/a.txt")
