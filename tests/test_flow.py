"""The main job through Prefect (ephemeral local mode): a failing source never stops the run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.sources import Manifest, Source, save_manifest


@pytest.mark.usefixtures("prefect_harness")
def test_flow_runs_manifest_and_reports_failures(tmp_path: Path) -> None:
    from flows.ingest import ingest_flow

    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "vi.txt").write_text(
        "Tháng 11 năm 2014, Nga và Việt Nam ký thỏa thuận về việc tàu Nga sử dụng cảng Cam Ranh.\n",
        "utf-8",
    )
    (tmp_path / "raw" / "zh.txt").write_text(
        "2009年12月，越南向俄罗斯订购了6艘基洛级潜艇。\n", "utf-8"
    )
    manifest = tmp_path / "raw" / "sources.yaml"
    save_manifest(
        manifest,
        Manifest(
            sources=[
                Source(id="vi", kind="file", location="raw/vi.txt"),
                Source(id="zh", kind="file", location="raw/zh.txt"),
                Source(id="gone", kind="file", location="raw/gone.txt"),
                Source(id="off", kind="file", location="raw/off.txt", enabled=False),
            ]
        ),
    )
    out = tmp_path / "output"
    result = ingest_flow(manifest=str(manifest), out_dir=str(out))
    assert result.counts["documents"] == 2
    # recorded under the manifest's relative location, not this machine's absolute path
    assert sorted(d.location for d in result.documents) == ["raw/vi.txt", "raw/zh.txt"]
    assert [f.source for f in result.failures] == ["gone"]
    assert "not found" in result.failures[0].reason.lower()
    run = json.loads(next((out / "runs").glob("*.json")).read_text("utf-8"))
    assert run["languages"] == {"vi": 1, "zh": 1}
    weapons = [json.loads(line) for line in (out / "weapons.jsonl").open()]
    assert any(w["id"] == "weapon:kilo-class" for w in weapons)
    documents = sorted(p.name for p in (out / "documents").glob("*.json"))

    # The zh source disappears: the next run reports it and keeps its last good document.
    (tmp_path / "raw" / "zh.txt").unlink()
    again = ingest_flow(manifest=str(manifest), out_dir=str(out))
    assert sorted(f.source for f in again.failures) == ["gone", "zh"]
    assert sorted(p.name for p in (out / "documents").glob("*.json")) == documents
    weapons = [json.loads(line) for line in (out / "weapons.jsonl").open()]
    assert any(w["id"] == "weapon:kilo-class" for w in weapons)
    shutil.rmtree(out)
