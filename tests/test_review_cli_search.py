"""`osintdesk review search`, `review bulk` for a filter and `review undo`."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures.review.builder import build
from typer.testing import CliRunner

from flows.cli import app
from pipeline.review import open_store, review_state

SHOIGU = ("ru_shoigu", "ar_shoigu", "zh_shoigu")


def _run(out: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["review", *args, "--out-dir", str(out)])
    return result.exit_code, result.stdout, result.output


def _statuses(out: Path, ids: dict[str, str], roles: tuple[str, ...]) -> set[str]:
    with open_store(out) as store:
        state = review_state(store)
    return {state.records[ids[r]].status for r in roles}


def test_search_finds_the_same_records_in_every_script(tmp_path: Path) -> None:
    ids = build(tmp_path, scripts=True)
    expected = {"person:sergei-shoigu", *(ids[r] for r in SHOIGU)}
    for term in ("Шойгу", "شويغو", "Shoigu", "绍伊古"):
        code, stdout, output = _run(tmp_path, "search", term)
        assert code == 0, output
        assert {line.split()[1] for line in stdout.splitlines()} == expected, term
        assert "4 records match · page 1 of 1" in output
    code, stdout, _ = _run(tmp_path, "search", "Shoigu", "--type", "person", "--json")
    assert [json.loads(line)["id"] for line in stdout.splitlines()] == ["person:sergei-shoigu"]
    code, _, output = _run(tmp_path, "search", "x", "--date", "soon")
    assert code == 1 and "not a date value" in output


def test_search_shows_an_event_cluster_once(tmp_path: Path) -> None:
    build(tmp_path, scripts=True, clusters=True)
    code, stdout, output = _run(tmp_path, "search", "Shoigu", "--type", "event")
    assert code == 0, output
    rows = stdout.splitlines()
    assert len(rows) == 1 and rows[0].split()[1].startswith("cluster:")
    assert "3 reports" in rows[0]


def test_bulk_decision_for_a_filter_and_its_undo(tmp_path: Path) -> None:
    ids = build(tmp_path, scripts=True)
    code, _, output = _run(tmp_path, "bulk", "accept")
    assert code == 1 and "give a filter" in output
    code, _, output = _run(tmp_path, "bulk", "reject", "--status", "pending", "--limit", "2")
    assert code == 1 and "more than --limit 2" in output
    code, stdout, _ = _run(
        tmp_path, "bulk", "accept", "--q", "Шойгу", "--type", "event", "--dry-run"
    )
    assert "would accept 3 records" in stdout
    assert _statuses(tmp_path, ids, SHOIGU) == {"pending"}
    code, stdout, output = _run(
        tmp_path, "bulk", "accept", "--q", "Шойгу", "--type", "event", "--reviewer", "anna"
    )
    assert code == 0, output
    assert "accept 3 records" in stdout
    assert _statuses(tmp_path, ids, SHOIGU) == {"accepted"}
    assert _statuses(tmp_path, ids, ("ru_visit", "en_order")) == {"pending"}
    with open_store(tmp_path) as store:
        batch = {d.payload.get("batch") for d in store.decisions()}
    assert len(batch) == 1  # one decision per record, one bulk action
    code, _, output = _run(tmp_path, "undo", "--reviewer", "bo")
    assert code == 1 and "bo has no bulk action left to undo" in output
    code, stdout, output = _run(tmp_path, "undo", "--reviewer", "anna")
    assert code == 0, output
    assert "3 records" in stdout
    assert _statuses(tmp_path, ids, SHOIGU) == {"pending"}
    code, _, output = _run(tmp_path, "undo", "--reviewer", "anna")
    assert code == 1 and "no bulk action left" in output
