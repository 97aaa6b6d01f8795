"""The five real seed documents (../shared/seeds, read by path, never copied): languages,
findings in every seed including the Arabic one, and nothing from seed 003's reader comments
or seed 002's reference list. Skipped when ../shared is absent."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pipeline.config import load_options
from pipeline.evaluate import shared_dir
from pipeline.ingest import ingest_paths, new_run_id, write_outputs

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    paths = sorted((shared_dir() / "seeds").glob("*.txt"))
    assert len(paths) == 5
    out = tmp_path_factory.mktemp("seeds-out")
    started = dt.datetime.now(dt.UTC)
    processed, failures = ingest_paths(
        [str(p) for p in paths], options=load_options(None), out_dir=out
    )
    assert not failures
    write_outputs(processed, failures, out_dir=out, run_id=new_run_id(started), started=started)
    docs = {Path(p.record.source.location).name[:3]: p for p in processed}
    return {
        "docs": docs,
        "people": [json.loads(x) for x in (out / "people.jsonl").open()],
        "weapons": [json.loads(x) for x in (out / "weapons.jsonl").open()],
        "events": [json.loads(x) for x in (out / "events.jsonl").open()],
    }


def test_languages(seeds: dict) -> None:
    assert {k: d.record.language for k, d in seeds["docs"].items()} == {
        "000": "ar",
        "001": "en",
        "002": "en",
        "003": "en",
        "004": "en",
    }


# Seed 002's main text is a journal abstract: it names no person and no weapons system
# (its author block is page furniture and is removed), so only its dated events count.
@pytest.mark.parametrize("seed", ["000", "001", "002", "003", "004"])
def test_every_seed_yields_records(seeds: dict, seed: str) -> None:
    doc_id = seeds["docs"][seed].record.id

    def mentions(kind: str) -> list[dict]:
        return [m for r in seeds[kind] for m in r["mentions"] if m["document_id"] == doc_id]

    events = [e for e in seeds["events"] if e["evidence"]["document_id"] == doc_id and e["date"]]
    assert events, f"no dated events in seed {seed}"
    if seed != "002":
        assert mentions("people"), f"no people in seed {seed}"
        assert any(m["quantity"] for m in mentions("weapons")), f"no quantified weapon in {seed}"


def test_arabic_seed_weapons_with_quantities(seeds: dict) -> None:
    doc_id = seeds["docs"]["000"].record.id
    found = {
        (w["id"], m["quantity"])
        for w in seeds["weapons"]
        for m in w["mentions"]
        if m["document_id"] == doc_id
    }
    # "ست غواصات من طراز فارشافيانكا": Varshavyanka is Project 636, not the 636.1 variant
    assert ("weapon:project-636", 6) in found
    # "سوخوي سو-30 إم كي كي" is the Su-30MKK, whatever Vietnam flies: its own variant record
    assert ("weapon:su-30mkk", 12) in found
    assert not any(weapon_id == "weapon:su-30mk2" for weapon_id, _ in found)


def test_nothing_from_comments_or_references(seeds: dict) -> None:
    comments_only = {"weapon:su-35", "weapon:lada-class"}
    assert not comments_only & {w["id"] for w in seeds["weapons"]}
    text_002 = seeds["docs"]["002"].record.text
    for marker in ("URL:", "(Eds.)", "ORCID", "Oxford University Press"):
        assert marker not in text_002
    for event in seeds["events"]:
        sentence = event["evidence"]["sentence"]
        assert "URL:" not in sentence and "Reply" not in sentence
