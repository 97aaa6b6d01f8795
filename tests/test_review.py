"""Review decisions as overrides: re-applied on every run, never silently dropped."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fixtures.review.builder import build, build_layout_1

from pipeline.errors import ConflictError, ReviewError
from pipeline.review import (
    Store,
    decide,
    open_store,
    publish,
    refresh_after_run,
    review_state,
    split,
    sync_output,
)

PUTIN, BUTIN = "person:vladimir-putin", "person:fladimir-butin"


@pytest.fixture()
def desk(tmp_path: Path) -> Iterator[tuple[Store, Path, dict[str, str]]]:
    out_dir = tmp_path / "out"
    ids = build(out_dir)
    store = open_store(out_dir)
    store.ingest_output(out_dir, "run-1")
    yield store, out_dir, ids
    store.close()


def _decide(store: Store, rid: str, action: str, **kwargs: object) -> None:
    decide(store, rid, action, reviewer="ana", base_version=store.version(rid), **kwargs)  # type: ignore[arg-type]


def test_everything_starts_pending(desk: tuple[Store, Path, dict[str, str]]) -> None:
    store, _, _ = desk
    state = review_state(store)
    assert {r.status for r in state.records.values()} == {"pending"}
    assert state.orphaned == []


def test_accept_reject_edit(desk: tuple[Store, Path, dict[str, str]]) -> None:
    store, _, ids = desk
    _decide(store, ids["en_order"], "accept")
    _decide(store, ids["ru_visit"], "reject", note="duplicate of the Arabic report")
    _decide(
        store, ids["en_delivery"], "edit", payload={"set": {"date": "2014-01", "quantity": "2"}}
    )
    state = review_state(store)
    assert state.records[ids["en_order"]].status == "accepted"
    assert state.records[ids["ru_visit"]].status == "rejected"
    edited = state.records[ids["en_delivery"]]
    assert edited.status == "accepted"
    assert edited.data["date"]["value"] == "2014-01"
    assert edited.data["date"]["precision"] == "month"
    assert edited.data["weapons"][0]["quantity"] == 2
    assert edited.raw["date"]["value"] == "2014"  # the raw extraction is untouched
    assert state.records[ids["ru_visit"]].decisions[0].note == "duplicate of the Arabic report"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date": "2014-13"}, "date '2014-13': 13 is not a month"),
        ({"date": "2014-02-30"}, "day is out of range for month"),
        ({"date": "14.11.2014"}, "not an EDTF value"),
        ({"date": "2015/2014"}, "the range ends before it starts"),
        ({"type": "party"}, "invalid event"),
        ({"confidence": "1"}, "not editable"),
        ({"quantity": "six"}, "not a whole number"),
    ],
)
def test_bad_edits_are_refused_in_one_line(
    desk: tuple[Store, Path, dict[str, str]], changes: dict[str, str], message: str
) -> None:
    store, _, ids = desk
    with pytest.raises(ReviewError, match=message) as info:
        _decide(store, ids["en_order"], "edit", payload={"set": changes})
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(ids["en_order"] + ": ")
    assert store.decisions() == []


@pytest.mark.parametrize(
    ("value", "precision"),
    [
        ("2014-11-27", "day"),
        ("2014-11", "month"),
        ("2014-21", "season"),
        ("2014-34", "quarter"),
        ("2014", "year"),
        ("201X", "decade"),
        ("19XX", "century"),
        ("1965-07/1974-12", "range"),
        (" 2013-11-12 ", "day"),
    ],
)
def test_date_edit_sets_value_and_precision(
    desk: tuple[Store, Path, dict[str, str]], value: str, precision: str
) -> None:
    store, _, ids = desk
    _decide(store, ids["en_order"], "edit", payload={"set": {"date": value}})
    date = review_state(store).records[ids["en_order"]].data["date"]
    assert (date["value"], date["precision"]) == (value.strip(), precision)
    assert date["text"] == "December 2009"  # what the source said stays


def test_merge_moves_mentions_and_event_references_and_split_undoes_it(
    desk: tuple[Store, Path, dict[str, str]],
) -> None:
    store, _, ids = desk
    _decide(store, BUTIN, "merge", payload={"into": PUTIN})
    state = review_state(store)
    putin = state.records[PUTIN]
    assert state.records[BUTIN].merged_into == PUTIN
    assert BUTIN not in {r.id for r in state.survivors()}
    assert {m["language"] for m in putin.data["mentions"]} == {"ru", "ar"}
    assert "فلاديمير بوتين" in putin.data["aliases"]
    assert state.records[ids["ar_visit"]].data["people"] == [PUTIN]
    merge_seq = store.decisions()[-1].seq

    with pytest.raises(ReviewError, match="already merged"):
        _decide(store, BUTIN, "merge", payload={"into": "person:nguyen-tan-dung"})
    with pytest.raises(ReviewError, match="only two people or two weapons"):
        _decide(store, PUTIN, "merge", payload={"into": "weapon:gepard-3-9"})

    split(store, merge_seq, reviewer="ben", note="different transliteration, same man? no")
    state = review_state(store)
    assert state.records[BUTIN].merged_into is None
    assert {m["language"] for m in state.records[PUTIN].data["mentions"]} == {"ru"}
    assert state.records[ids["ar_visit"]].data["people"] == [BUTIN]
    with pytest.raises(ReviewError, match="no active merge"):
        split(store, merge_seq, reviewer="ben")


def test_canonical_link_edit_acts_as_merge(desk: tuple[Store, Path, dict[str, str]]) -> None:
    store, _, ids = desk
    _decide(store, BUTIN, "edit", payload={"set": {"canonical": PUTIN}})
    state = review_state(store)
    assert state.records[BUTIN].merged_into == PUTIN
    assert state.records[ids["ar_visit"]].data["people"] == [PUTIN]


def test_decisions_reapplied_after_reingest(desk: tuple[Store, Path, dict[str, str]]) -> None:
    store, out_dir, ids = desk
    _decide(store, ids["en_order"], "accept")
    _decide(store, ids["ru_visit"], "edit", payload={"set": {"date": "2013-11-12"}})
    _decide(store, BUTIN, "merge", payload={"into": PUTIN})
    build(out_dir)  # the next run, same sources
    store.ingest_output(out_dir, "run-2")
    state = review_state(store)
    assert state.records[ids["en_order"]].status == "accepted"
    assert state.records[ids["ru_visit"]].data["date"]["value"] == "2013-11-12"
    assert state.records[BUTIN].merged_into == PUTIN
    assert state.orphaned == []


def test_changed_evidence_goes_back_to_queue_with_old_decision(
    desk: tuple[Store, Path, dict[str, str]],
) -> None:
    store, out_dir, ids = desk
    _decide(store, ids["en_delivery"], "edit", payload={"set": {"date": "2014-01"}})
    _decide(store, ids["en_order"], "accept")
    # a better date extractor now reads "the start of 2014": same id, new evidence
    build(out_dir, delivery_date_text="the start of 2014")
    store.ingest_output(out_dir, "run-2")
    state = review_state(store)
    rec = state.records[ids["en_delivery"]]
    assert rec.status == "changed"
    assert [d.action for d in rec.stale] == ["edit"]
    assert rec.data["date"]["value"] == "2014"  # the old edit is shown, not applied
    assert state.records[ids["en_order"]].status == "accepted"  # untouched evidence
    _decide(store, ids["en_delivery"], "accept")
    assert review_state(store).records[ids["en_delivery"]].status == "accepted"


def test_new_mention_changes_entity_evidence(desk: tuple[Store, Path, dict[str, str]]) -> None:
    store, out_dir, _ = desk
    _decide(store, PUTIN, "accept")
    build(out_dir, extra_putin_doc=True)
    store.ingest_output(out_dir, "run-2")
    assert review_state(store).records[PUTIN].status == "changed"


def test_orphaned_decision_is_reported_not_deleted(
    desk: tuple[Store, Path, dict[str, str]],
) -> None:
    store, out_dir, ids = desk
    _decide(store, ids["ru_delivery"], "accept")
    _decide(store, "weapon:gepard-3-9", "alias", payload={"name": "Gepard"})
    build(out_dir, drop_gepard=True)
    store.ingest_output(out_dir, "run-2")
    state = review_state(store)
    assert sorted(d.record_id for d in state.orphaned) == [ids["ru_delivery"], "weapon:gepard-3-9"]
    assert len(store.decisions()) == 2
    with pytest.raises(ReviewError, match="no such record in the latest run"):
        _decide(store, ids["ru_delivery"], "reject")


def test_stale_version_raises_conflict(desk: tuple[Store, Path, dict[str, str]]) -> None:
    store, _, ids = desk
    rid = ids["ar_order"]
    decide(store, rid, "accept", reviewer="ana", base_version=0)
    with pytest.raises(ConflictError, match="changed since you loaded it"):
        decide(store, rid, "reject", reviewer="ben", base_version=0)
    assert [d.reviewer for d in store.decisions(rid)] == ["ana"]


def test_alias_goes_to_overlay_file_not_packaged_data(
    desk: tuple[Store, Path, dict[str, str]],
) -> None:
    store, out_dir, _ = desk
    decide(
        store,
        "weapon:project-636-1",
        "alias",
        reviewer="ana",
        base_version=0,
        payload={"name": "Варшавянка"},
        out_dir=out_dir,
    )
    overlay = yaml.safe_load((out_dir / "reference_overrides.yaml").read_text("utf-8"))
    assert overlay["weapons"] == [
        {"id": "weapon:project-636-1", "name": "Project 636.1", "aliases": ["Варшавянка"]}
    ]
    assert "Варшавянка" in review_state(store).records["weapon:project-636-1"].data["aliases"]


RAW_FILES = ("people.jsonl", "weapons.jsonl", "events.jsonl", "deals.jsonl")
LAYOUT_1_FILES = RAW_FILES[:3]  # layout 1 had no deals


def _raw(out_dir: Path, names: tuple[str, ...] = RAW_FILES) -> dict[str, bytes]:
    return {name: (out_dir / name).read_bytes() for name in names}


def _ids(path: Path) -> set[str]:
    return {json.loads(line)["id"] for line in path.read_text("utf-8").splitlines()}


def test_publish_writes_reviewed_folder_and_never_the_raw_files(
    desk: tuple[Store, Path, dict[str, str]],
) -> None:
    store, out_dir, ids = desk
    raw = _raw(out_dir)
    _decide(store, BUTIN, "merge", payload={"into": PUTIN})
    _decide(store, ids["ru_visit"], "reject")
    written = publish(store, out_dir)
    assert _raw(out_dir) == raw  # the pipeline's files are untouched
    reviewed = out_dir / "reviewed"
    assert {p.relative_to(out_dir).as_posix() for p in written} == {
        "reviewed/people.jsonl",
        "reviewed/weapons.jsonl",
        "reviewed/events.jsonl",
        "reviewed/deals.jsonl",
        "reviewed/manifest.json",
        "reference_overrides.yaml",
    }
    assert BUTIN not in _ids(reviewed / "people.jsonl")
    assert ids["ru_visit"] not in _ids(reviewed / "events.jsonl")
    assert not (out_dir / "review").exists()  # layout 1's manifest folder
    manifest = json.loads((reviewed / "manifest.json").read_text("utf-8"))
    assert manifest["layout"] == 2 and manifest["run"] == "run-1"
    assert manifest["status"][ids["ru_visit"]] == "rejected"
    first = {name: (reviewed / name).read_bytes() for name in RAW_FILES}
    # publishing is no new run, and the reviewed files are never read as raw records
    assert sync_output(store, out_dir) is None
    (reviewed / "people.jsonl").write_text("not json\n", "utf-8")
    assert sync_output(store, out_dir) is None
    build(out_dir, extra_putin_doc=True)  # a real new run
    assert sync_output(store, out_dir) is not None
    state = review_state(store)
    assert BUTIN in state.records and ids["ru_visit"] in state.records
    assert state.records[BUTIN].merged_into == PUTIN
    publish(store, out_dir)
    assert "event:" in (reviewed / "events.jsonl").read_text("utf-8")
    assert (reviewed / "events.jsonl").read_bytes() != first["events.jsonl"]  # the new visit
    assert BUTIN not in _ids(reviewed / "people.jsonl")


def test_refresh_after_run_ingests_and_publishes(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    ids = build(out_dir)
    refresh_after_run(out_dir, "20261120T100000Z-aaaaaa")
    assert not (out_dir / "reviewed").exists()  # nothing decided, nothing published
    with open_store(out_dir) as store:
        _decide(store, ids["ru_visit"], "reject")
    build(out_dir)
    summary = refresh_after_run(out_dir, "20261121T100000Z-bbbbbb")
    assert summary["status"]["rejected"] == 1
    assert ids["ru_visit"] not in _ids(out_dir / "reviewed" / "events.jsonl")
    assert ids["ru_visit"] in _ids(out_dir / "events.jsonl")  # raw stays raw


def test_cli_review_commands(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from flows.review_cli import export_command, review_app

    out_dir = tmp_path / "out"
    ids = build(out_dir)
    runner = CliRunner()
    opts = ["--out-dir", str(out_dir)]

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(review_app, [*args, *opts])
        return result.exit_code, result.stdout, result.stderr

    code, out, _ = run("list", "--type", "event", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 6 and {r["status"] for r in rows} == {"pending"}
    assert run("accept", ids["en_order"])[0] == 0
    assert run("reject", ids["ru_visit"], "--note", "dup")[0] == 0
    assert run("edit", ids["ar_order"], "--set", "date=2009-12")[0] == 0
    code, out, _ = run("merge", BUTIN, PUTIN)
    assert code == 0 and out.startswith("#4 merge")
    assert run("split", "4")[0] == 0
    assert run("alias", PUTIN, "Путин В. В.")[0] == 0
    code, out, _ = run("list", "--status", "accepted")
    assert ids["en_order"] in out and ids["ar_order"] in out and ids["ru_visit"] not in out
    # errors: one line on stderr, exit code 1, no traceback
    code, out, err = run("edit", ids["en_order"], "--set", "confidence=1")
    assert code == 1 and err.count("\n") == 1 and err.startswith("error: ")
    assert "Traceback" not in out + err
    code, _, err = run("accept", "event:does-not-exist")
    assert code == 1 and "no such record" in err
    for command in ("list", "accept", "reject", "edit", "merge", "split", "alias", "serve"):
        assert runner.invoke(review_app, [command, "--help"]).exit_code == 0

    app = typer.Typer()
    app.command("export")(export_command)
    app.command("noop")(lambda: None)
    result = runner.invoke(
        app, ["export", "--format", "csv", "--out", str(tmp_path / "csv"), *opts]
    )
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "csv" / "register.csv").exists()


def test_layout_1_output_is_migrated_once_with_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out_dir = tmp_path / "out"
    ids = build_layout_1(out_dir)
    # layout 1: reviewed records sat where raw ones belong
    published = _raw(out_dir, LAYOUT_1_FILES)
    assert BUTIN not in _ids(out_dir / "people.jsonl")
    pristine = tmp_path / "pristine"
    build(pristine)  # the same run's raw files, for comparison
    with caplog.at_level(logging.INFO), open_store(out_dir) as store:
        lines = [r.getMessage() for r in caplog.records if "layout" in r.getMessage()]
        assert len(lines) == 1 and "\n" not in lines[0]
        assert f"{out_dir}/: moved reviewed files to {out_dir / 'reviewed'}/ (layout 2)" in lines[0]
        # reviewed files now in reviewed/, byte for byte as layout 1 published them
        assert {n: (out_dir / "reviewed" / n).read_bytes() for n in LAYOUT_1_FILES} == published
        # the raw files are raw again: the records the pipeline wrote
        for name in LAYOUT_1_FILES:
            restored = [json.loads(x) for x in (out_dir / name).read_text("utf-8").splitlines()]
            original = [json.loads(x) for x in (pristine / name).read_text("utf-8").splitlines()]
            assert sorted(restored, key=lambda r: r["id"]) == sorted(
                original, key=lambda r: r["id"]
            )
        assert not (out_dir / "review").exists()
        manifest = json.loads((out_dir / "reviewed" / "manifest.json").read_text("utf-8"))
        assert manifest["layout"] == 2 and manifest["migrated_from_layout"] == 1
        # the same run, not a new one; decisions still apply; publishing gives the same files
        assert sync_output(store, out_dir) is None
        assert [r.id for r in store.runs()] == ["run-1"]
        state = review_state(store)
        assert state.records[BUTIN].merged_into == PUTIN
        assert state.records[ids["ru_visit"]].status == "rejected"
        publish(store, out_dir)
        assert {n: (out_dir / "reviewed" / n).read_bytes() for n in LAYOUT_1_FILES} == published
    caplog.clear()
    with caplog.at_level(logging.INFO), open_store(out_dir):
        assert not [r for r in caplog.records if "layout" in r.getMessage()]


def test_layout_1_files_rewritten_by_a_later_run_are_raw_already(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    ids = build_layout_1(out_dir)
    build(out_dir)  # the pipeline ran again after the last publish of layout 1
    raw = _raw(out_dir)
    summary = refresh_after_run(out_dir, "run-2")
    assert _raw(out_dir) == raw
    assert not (out_dir / "review" / "published.json").exists()
    assert summary["status"]["rejected"] == 1
    assert ids["ru_visit"] not in _ids(out_dir / "reviewed" / "events.jsonl")
    assert BUTIN not in _ids(out_dir / "reviewed" / "people.jsonl")


def test_cli_migrates_before_publishing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from typer.testing import CliRunner

    from flows.review_cli import review_app

    out_dir = tmp_path / "out"
    build_layout_1(out_dir)
    result = CliRunner().invoke(review_app, ["publish", "--out-dir", str(out_dir)])
    assert result.exit_code == 0, result.output
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage().count("moved reviewed files to") for r in warnings] == [1]
    assert "loaded run" not in result.stderr  # the migrated dir is the same run
    assert str(out_dir / "reviewed" / "people.jsonl") in result.stdout
    assert BUTIN in _ids(out_dir / "people.jsonl")
