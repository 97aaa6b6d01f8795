"""Review decisions as overrides: re-applied on every run, never silently dropped."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from fixtures.review.builder import build, build_layout_1

from pipeline.errors import ConflictError, ReviewError, StoreIntegrityError
from pipeline.review import (
    Store,
    decide,
    decide_many,
    last_batch,
    open_store,
    publish,
    refresh_after_run,
    review_state,
    split,
    sync_output,
    undo_batch,
)
from pipeline.review.diff import word_diff
from pipeline.review.search import Filters, queue_page
from pipeline.review.state import evidence_text
from pipeline.review.store import stable_keys

PUTIN, BUTIN = "person:vladimir-putin", "person:fladimir-butin"


@pytest.fixture()
def desk(tmp_path: Path, store_url: str | None) -> Iterator[tuple[Store, Path, dict[str, str]]]:
    """A store with one run, on SQLite and on PostgreSQL (``store_url``, conftest.py)."""
    out_dir = tmp_path / "out"
    ids = build(out_dir)
    store = open_store(out_dir, store_url)
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
        "reviewed/organisations.jsonl",
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


# -- search and pages (issue 13, item 1) ------------------------------------------------


@pytest.fixture()
def scripts_desk(
    tmp_path: Path, store_url: str | None
) -> Iterator[tuple[Store, Path, dict[str, str]]]:
    """Records in every script, on SQLite and on PostgreSQL: search has the same results."""
    out_dir = tmp_path / "out"
    ids = build(out_dir, scripts=True)
    store = open_store(out_dir, store_url)
    store.ingest_output(out_dir, "run-1")
    yield store, out_dir, ids
    store.close()


SHOIGU = "person:sergei-shoigu"


@pytest.mark.parametrize("query", ["Шойгу", "шойгу", "شويغو", "Shoigu", "SHOIGU", "绍伊古"])
def test_search_finds_the_same_person_in_every_script(
    scripts_desk: tuple[Store, Path, dict[str, str]], query: str
) -> None:
    store, _, ids = scripts_desk
    page = queue_page(store, Filters(q=query))
    found = {r.id for r in page.records}
    # the person through its aliases, and each report of the visit through its people's names
    assert found == {SHOIGU, ids["ru_shoigu"], ids["ar_shoigu"], ids["zh_shoigu"]}
    assert page.total == 4


def test_search_folds_diacritics_and_short_cjk_terms(
    scripts_desk: tuple[Store, Path, dict[str, str]],
) -> None:
    store, _, ids = scripts_desk
    # Vietnamese diacritics typed or not
    assert {r.id for r in queue_page(store, Filters(q="Nguyễn Tấn Dũng")).records} == {
        "person:nguyen-tan-dung",
        ids["en_order"],
    }
    # Arabic with harakat finds the undotted text; a two-character Chinese word
    assert ids["ar_order"] in {r.id for r in queue_page(store, Filters(q="وَقَّعَت")).records}
    assert [r.id for r in queue_page(store, Filters(q="河内")).records] == [ids["zh_shoigu"]]
    # several words: all of them, in any order; a word found nowhere finds nothing
    assert [r.id for r in queue_page(store, Filters(q="ханой шойгу")).records] == [ids["ru_shoigu"]]
    assert queue_page(store, Filters(q="Шойгу Gepard")).total == 0
    # FTS syntax in the box is text, not a query
    assert queue_page(store, Filters(q='"Шойгу" OR NEAR(')).total == 0


def test_filters_combine_with_search(scripts_desk: tuple[Store, Path, dict[str, str]]) -> None:
    store, _, ids = scripts_desk
    shoigu = Filters(q="Shoigu", type="event")
    assert queue_page(store, shoigu).total == 3
    assert [r.id for r in queue_page(store, replace(shoigu, language="ar")).records] == [
        ids["ar_shoigu"]
    ]
    assert queue_page(store, replace(shoigu, source="example.cn")).total == 1
    assert queue_page(store, replace(shoigu, date="2018")).total == 3
    assert queue_page(store, replace(shoigu, date="2013")).total == 0
    assert queue_page(store, replace(shoigu, date="not a date")).total == 0
    _decide(store, ids["ru_shoigu"], "accept")
    assert [r.id for r in queue_page(store, replace(shoigu, status="accepted")).records] == [
        ids["ru_shoigu"]
    ]
    assert queue_page(store, replace(shoigu, status="pending")).total == 2


def test_pages_are_stable_and_disjoint(scripts_desk: tuple[Store, Path, dict[str, str]]) -> None:
    store, _, ids = scripts_desk
    everything = queue_page(store, Filters(), size=1000)
    total = everything.total
    assert total == len(everything.records) >= 15
    count = -(-total // 4)
    pages = [queue_page(store, Filters(), number=n, size=4) for n in range(1, count + 1)]
    assert {p.pages for p in pages} == {count} and pages[0].total == total
    seen = [r.id for p in pages for r in p.records]
    assert seen == [r.id for r in everything.records]  # no overlap, no gap, same order
    past_the_end = queue_page(store, Filters(), number=count + 5, size=4)
    assert past_the_end.number == count and past_the_end.records == pages[-1].records
    # the order: changed, pending, accepted, rejected; then type, undated first, date, id
    _decide(store, ids["ar_order"], "reject")
    _decide(store, ids["en_order"], "accept")
    order = [r.id for r in queue_page(store, Filters(), size=1000).records]
    assert order[-2:] == [ids["en_order"], ids["ar_order"]]
    events = [r for r in queue_page(store, Filters(type="event", status="pending")).records]
    dates = [r.date for r in events if r.date is not None]
    assert dates == sorted(dates)


def test_index_follows_decisions_merges_and_runs(
    scripts_desk: tuple[Store, Path, dict[str, str]],
) -> None:
    store, out_dir, ids = scripts_desk
    arabic = Filters(q="فلاديمير")
    assert {r.id for r in queue_page(store, arabic).records} == {BUTIN, ids["ar_visit"]}
    _decide(store, BUTIN, "merge", payload={"into": PUTIN})
    # the merged-away record leaves the queue; its name is now one of Putin's, so the
    # Russian report of Putin's visit is found by the Arabic name too
    assert {r.id for r in queue_page(store, arabic).records} == {
        PUTIN,
        ids["ar_visit"],
        ids["ru_visit"],
    }
    _decide(store, PUTIN, "alias", payload={"name": "ВВП"})
    assert {r.id for r in queue_page(store, Filters(q="ввп")).records} == {
        PUTIN,
        ids["ar_visit"],
        ids["ru_visit"],
    }
    build(out_dir, scripts=True, drop_gepard=True)
    store.ingest_output(out_dir, "run-2")
    assert queue_page(store, Filters(q="Gepard")).total == 0


# -- evidence changes come back flagged (item 5) -----------------------------------------


def test_edited_source_brings_decision_back_as_changed_with_diff(
    desk: tuple[Store, Path, dict[str, str]],
) -> None:
    store, out_dir, ids = desk
    _decide(store, ids["ru_delivery"], "accept", note="checked")
    _decide(store, ids["ru_visit"], "reject")
    new = build(out_dir, frigates="три")  # the source now says three frigates
    store.ingest_output(out_dir, "run-2")
    assert new["ru_delivery"] != ids["ru_delivery"]  # the id changes with the document
    state = review_state(store)
    rec = state.records[new["ru_delivery"]]
    assert rec.status == "changed"
    assert [(d.action, d.note, d.record_id) for d in rec.stale] == [
        ("accept", "checked", ids["ru_delivery"])
    ]
    assert rec.was is not None
    old_text = evidence_text("event", rec.was)
    assert word_diff(old_text, evidence_text("event", rec.data)) == [
        ("same", "В 2011 году ВМС Вьетнама получили "),
        ("removed", "два"),
        ("added", "три"),
        ("same", " фрегата «Гепард-3.9»."),
    ]
    # the other sentence of the edited document reads the same: its decision still holds
    assert state.records[new["ru_visit"]].status == "rejected"
    assert state.orphaned == []
    assert queue_page(store, Filters(status="changed")).total == 1
    # re-deciding the changed record settles it
    _decide(store, new["ru_delivery"], "accept")
    assert review_state(store).records[new["ru_delivery"]].status == "accepted"


def test_stable_key_survives_numbers_but_not_other_parties() -> None:
    base = {
        "id": "event:1",
        "type": "arms_delivery",
        "trigger": "получили",
        "people": [],
        "countries": ["RU", "VN"],
        "weapons": [{"id": "weapon:gepard-3-9", "quantity": 2}],
        "evidence": {"document_id": "document:a", "start": 10, "end": 60},
    }
    locations = {"document:a": "https://example.com/x", "document:b": "https://example.com/x"}

    def key(**changes: object) -> str:
        data = {**base, **changes}
        return stable_keys([("event", data)], locations)["event:1"]

    same = key(
        weapons=[{"id": "weapon:gepard-3-9", "quantity": 3}],
        evidence={"document_id": "document:b", "start": 12, "end": 70},
    )
    assert same == key()
    assert key(countries=["RU", "IN"]) != key()
    assert key(weapons=[{"id": "weapon:project-636-1", "quantity": 2}]) != key()
    assert key(trigger="поставили") != key()
    assert stable_keys([("person", {"id": PUTIN})], {}) == {PUTIN: PUTIN}


def test_gone_record_keeps_its_old_evidence_text(
    desk: tuple[Store, Path, dict[str, str]],
) -> None:
    store, out_dir, ids = desk
    _decide(store, ids["ru_delivery"], "accept")
    build(out_dir, drop_gepard=True)
    store.ingest_output(out_dir, "run-2")
    state = review_state(store)
    [orphan] = [d for d in state.orphaned if d.record_id == ids["ru_delivery"]]
    assert evidence_text("event", state.earlier[orphan.seq]).startswith("В 2011 году ВМС")
    page = queue_page(store, Filters())
    assert [d.seq for d in page.orphaned] == [orphan.seq]
    assert "получили два фрегата" in evidence_text("event", page.earlier[orphan.seq])


def test_same_id_changed_evidence_shows_what_it_was(
    desk: tuple[Store, Path, dict[str, str]],
) -> None:
    store, out_dir, ids = desk
    _decide(store, ids["en_delivery"], "accept")
    build(out_dir, delivery_date_text="the start of 2014")
    store.ingest_output(out_dir, "run-2")
    rec = review_state(store).records[ids["en_delivery"]]
    assert rec.status == "changed"
    assert rec.was is not None and rec.was["date"]["text"] == "2014"


# -- bulk decisions with one undo (item 2) -----------------------------------------------


def test_bulk_accept_logs_one_decision_per_record_and_undo_restores(
    desk: tuple[Store, Path, dict[str, str]],
) -> None:
    store, _, ids = desk
    _decide(store, ids["ar_order"], "reject")  # decided before: undo must bring this back
    chosen = [ids["en_order"], ids["ar_order"], ids["ru_visit"]]
    batch = decide_many(
        store, [(rid, store.version(rid)) for rid in chosen], "accept", reviewer="ana"
    )
    assert [d.record_id for d in batch.decisions] == chosen
    assert {d.action for d in batch.decisions} == {"accept"}
    assert len({d.payload["batch"] for d in batch.decisions}) == 1
    state = review_state(store)
    assert {state.records[r].status for r in chosen} == {"accepted"}
    assert last_batch(store) == replace(batch, decisions=batch.decisions)
    undone = undo_batch(store, batch.id, reviewer="ana")
    assert [(d.action, d.payload["seq"]) for d in undone] == [
        ("undo", d.seq) for d in batch.decisions
    ]
    state = review_state(store)
    assert state.records[ids["en_order"]].status == "pending"
    assert state.records[ids["ru_visit"]].status == "pending"
    assert state.records[ids["ar_order"]].status == "rejected"
    last = last_batch(store)
    assert last is not None and last.undone
    with pytest.raises(ReviewError, match="already undone"):
        undo_batch(store, batch.id, reviewer="ana")
    assert len(store.decisions()) == 1 + 3 + 3  # nothing deleted


def test_bulk_is_all_or_nothing_on_a_conflict(desk: tuple[Store, Path, dict[str, str]]) -> None:
    store, _, ids = desk
    _decide(store, ids["ar_order"], "accept")
    with pytest.raises(ConflictError):
        decide_many(store, [(ids["en_order"], 0), (ids["ar_order"], 0)], "reject", reviewer="b")
    assert [d.record_id for d in store.decisions()] == [ids["ar_order"]]
    with pytest.raises(ReviewError, match="only accept and reject"):
        decide_many(store, [(ids["en_order"], 0)], "edit", reviewer="b")


def test_old_store_is_migrated_with_its_decisions(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    ids = build(out_dir)
    db = out_dir / "review.sqlite"
    with Store(db) as store:
        store.ingest_output(out_dir, "run-1")
        _decide(store, ids["en_order"], "accept")
    # the schema of version 1: no undo, no stable keys
    conn = sqlite3.connect(db)
    conn.executescript(
        "BEGIN; CREATE TABLE d1 AS SELECT * FROM decisions; DROP TABLE decisions;"
        " CREATE TABLE decisions (seq INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL,"
        " action TEXT NOT NULL CHECK (action IN ('accept', 'reject', 'edit', 'merge', 'split',"
        " 'alias')), payload TEXT NOT NULL DEFAULT '{}', reviewer TEXT NOT NULL, at TEXT NOT NULL,"
        " evidence_hash TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',"
        " base_version INTEGER NOT NULL); INSERT INTO decisions SELECT * FROM d1; DROP TABLE d1;"
        " ALTER TABLE records DROP COLUMN stable_key; PRAGMA user_version = 0; COMMIT;"
    )
    conn.close()
    with Store(db) as store:
        assert [d.action for d in store.decisions()] == ["accept"]
        assert store.successors([]) == {}
        keys = store._conn.execute("SELECT COUNT(*) FROM records WHERE stable_key IS NULL")
        assert keys.fetchone()[0] == 0
        undo = undo_target = store.decisions()[0].seq
        decide(
            store,
            ids["en_order"],
            "undo",
            reviewer="ana",
            base_version=1,
            payload={"seq": undo_target},
        )
        assert review_state(store).records[ids["en_order"]].status == "pending"
        with pytest.raises(StoreIntegrityError, match="append-only"):
            store._conn.execute("DELETE FROM decisions")
        assert undo == 1


# -- exports that hold together (item 10) -------------------------------------------------


def _ftm_refs(path: Path) -> tuple[set[str], set[str]]:
    """(entity ids in the file, ids that entities refer to)."""
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    ids = {r["id"] for r in rows}
    refs: set[str] = set()
    for r in rows:
        props = r["properties"]
        for prop in ("involved", "subject", "object"):
            refs.update(props.get(prop, []))
    return ids, refs


def test_accepted_only_ftm_includes_every_referenced_entity_or_drops_and_counts(
    desk: tuple[Store, Path, dict[str, str]], tmp_path: Path
) -> None:
    from pipeline.review import export

    store, _, ids = desk
    _decide(store, ids["en_order"], "accept")  # names Nguyen Tan Dung and Project 636.1
    _decide(store, ids["ru_visit"], "accept")  # names Vladimir Putin
    result = export(store, "ftm", tmp_path / "a", accepted_only=True)
    entity_ids, refs = _ftm_refs(tmp_path / "a" / "entities.ftm.jsonl")
    assert refs and refs <= entity_ids  # nothing dangles
    assert result.dropped == 0
    dropped = export(store, "ftm", tmp_path / "d", accepted_only=True, references="drop")
    entity_ids, refs = _ftm_refs(tmp_path / "d" / "entities.ftm.jsonl")
    assert refs <= entity_ids
    assert dropped.dropped == 3  # Nguyen Tan Dung, Project 636.1 and Putin: none accepted
    with pytest.raises(ReviewError, match="not one of include, drop"):
        export(store, "ftm", tmp_path / "x", accepted_only=True, references="keep")


def test_exports_and_published_files_follow_the_umask(
    desk: tuple[Store, Path, dict[str, str]], tmp_path: Path
) -> None:
    import os
    import stat

    from pipeline.review import export
    from pipeline.write import atomic_write_bytes

    store, out_dir, _ = desk
    old = os.umask(0o022)
    try:
        result = export(store, "csv", tmp_path / "e")
        published = publish(store, out_dir)
        atomic_write_bytes(tmp_path / "secret", b"x", private=True)
        os.umask(0o027)
        atomic_write_bytes(tmp_path / "group", b"x")
    finally:
        os.umask(old)
    for path in [*result.files, *published]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "group").stat().st_mode) == 0o640
