"""The Dask engine (flows/engine.py): output identical to one process, a dead worker's batch
retried once and recorded. Local clusters of two single-threaded worker processes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("distributed")
pytest.importorskip("prefect_dask")

import cloudpickle  # after the skips: part of the dask extra

from flows.cli import app
from flows.engine import process_on_pool
from pipeline.config import EngineOptions, Options
from pipeline.ingest import Failure, Item, Processed, fetch_paths, process_items
from pipeline.sources import Manifest, Source, save_manifest

# the worker processes unpickle this module's functions by value (tests/ is not a package)
cloudpickle.register_pickle_by_value(sys.modules[__name__])

runner = CliRunner()

TEXTS = {
    "vi.txt": "Tháng 11 năm 2014, Nga và Việt Nam ký thỏa thuận về việc tàu Nga sử dụng cảng "
    "Cam Ranh.\n",
    "ar.txt": "وقّعت فيتنام عام 2009 عقداً مع روسيا لشراء ست غواصات من طراز كيلو.\n",
    "en.txt": "Vietnam ordered six Project 636.1 submarines from Russia in December 2009.\n",
    "vi2.txt": "Năm 2013, Tổng thống Nga Vladimir Putin thăm Hà Nội.\n",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for name, text in TEXTS.items():
        (folder / name).write_text(text, "utf-8")
    return folder


def _outputs(out: Path) -> dict[str, bytes]:
    """Every output file but the run report, with the fetch times (the only field that
    differs between two runs of the same bytes) taken out of documents and snapshots."""
    files: dict[str, bytes] = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or rel.startswith(("runs/", "review")):
            continue
        data = path.read_bytes()
        if rel.startswith(("documents/", "snapshots/")) and rel.endswith(".json"):
            data = b"\n".join(line for line in data.splitlines() if b'"fetched_at"' not in line)
        files[rel] = data
    return files


def test_ingest_with_two_workers_writes_what_one_process_writes(
    corpus: Path, tmp_path: Path
) -> None:
    # the same bytes under a second path: one document on either path (merge_duplicates)
    copy = tmp_path / "copy" / "en.txt"
    copy.parent.mkdir()
    copy.write_bytes((corpus / "en.txt").read_bytes())
    inputs = [str(p) for p in sorted(corpus.iterdir())] + [str(copy)]
    outs = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        result = runner.invoke(
            app, ["ingest", *inputs, "--out", str(out), "--workers", str(workers)]
        )
        assert result.exit_code == 0, result.output
        outs[workers] = _outputs(out)
    assert len([k for k in outs[1] if k.startswith("documents/")]) == len(TEXTS)
    assert outs[1]["events.jsonl"]  # something was extracted
    documents = [v for k, v in outs[1].items() if k.startswith("documents/")]
    assert sum(str(copy).encode() in v for v in documents) == 1  # listed in also_at
    assert outs[2] == outs[1]


def _dies_once(items: list[Item], *, options: Options, out_dir: Path) -> object:
    """Kill this worker process the first time any batch runs; later batches work."""
    try:
        with (out_dir / "killed-a-worker").open("x"):
            pass
    except FileExistsError:
        return process_items(items, options=options, out_dir=out_dir)
    os._exit(1)


def test_a_dead_worker_loses_no_document(corpus: Path, tmp_path: Path) -> None:
    options = Options(engine=EngineOptions(workers=2, batch_size=1))
    items, failures = fetch_paths([str(p) for p in sorted(corpus.iterdir())], options=options)
    assert not failures
    incidents: list[str] = []
    processed: list[Processed] = []
    failed: list[Failure] = []
    for done, more in process_on_pool(
        items, options=options, out_dir=tmp_path, incidents=incidents, process=_dies_once
    ):
        processed.extend(done)
        failed.extend(more)
    assert (tmp_path / "killed-a-worker").exists()
    assert not failed
    # every document, in the order given
    assert [p.record.source.location for p in processed] == [i.fetched.location for i in items]
    # the batch it was running (and one already queued on it) went to the other worker
    assert 1 <= len(incidents) <= 2
    assert all("worker lost" in line and "retried once" in line for line in incidents)


@pytest.mark.usefixtures("prefect_harness")
def test_run_with_two_workers_writes_what_one_process_writes(corpus: Path, tmp_path: Path) -> None:
    from flows.ingest import run_ingest

    raw = tmp_path / "raw"
    raw.mkdir()
    sources = []
    for name in sorted(TEXTS):
        (raw / name).write_bytes((corpus / name).read_bytes())
        sources.append(Source(id=name.split(".")[0], kind="file", location=f"raw/{name}"))
    manifest = raw / "sources.yaml"
    save_manifest(manifest, Manifest(sources=sources))
    outs = {}
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        result = run_ingest(
            manifest=str(manifest),
            out_dir=str(out),
            engine_options=EngineOptions(workers=workers, batch_size=1),
        )
        assert result.counts["documents"] == len(TEXTS)
        assert result.incidents == []
        run = json.loads(next((out / "runs").glob("*.json")).read_text("utf-8"))
        assert run["incidents"] == []
        outs[workers] = _outputs(out)
    assert outs[2] == outs[1]


def test_bad_dask_address_is_refused_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ingest", "x.txt", "--out", str(tmp_path), "--dask-address", "h:1"]
    )
    assert result.exit_code != 0
    assert "dask_address" in result.output and "Traceback" not in result.output


def test_scheduled_runs_take_the_engine_from_serve_or_the_options_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import flows.ingest as flow_module
    from pipeline.errors import ConfigError

    seen: list[EngineOptions | None] = []
    monkeypatch.setattr(
        flow_module, "run_ingest", lambda *args, **kwargs: seen.append(kwargs["engine_options"])
    )
    scheduled = flow_module.scheduled_flow.fn
    scheduled("raw/sources.yaml", str(tmp_path), None, {"workers": 2, "batch_size": 1})
    scheduled("raw/sources.yaml", str(tmp_path), None, None)  # the options file decides
    assert seen == [EngineOptions(workers=2, batch_size=1), None]
    with pytest.raises(ConfigError, match="serve options"):
        scheduled("raw/sources.yaml", str(tmp_path), None, {"workers": 0})
