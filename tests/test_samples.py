"""The team's sample corpus end to end: what must be found, and what must never be.

raw/samples/README.md lists, per file, the facts in the article bodies and the false
claims planted in reader comments. Comments, cookie banners and reference lists must
be gone from the cleaned text, and nothing from them may reach the records.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.config import load_options
from pipeline.ingest import ingest_paths, new_run_id, write_outputs

REPO = Path(__file__).resolve().parents[1]
SAMPLES = sorted(p for p in (REPO / "raw" / "samples").iterdir() if p.suffix in (".txt", ".html"))

# Systems named only in the planted reader comments, never in an article body.
COMMENT_ONLY_WEAPONS = {
    "weapon:su-35",
    "weapon:su-57",
    "weapon:tu-160",
    "weapon:s-400",
    "weapon:su-34",
    "weapon:thaad",
    "weapon:f-35",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    import datetime as dt

    out = tmp_path_factory.mktemp("samples-out")
    started = dt.datetime.now(dt.UTC)
    processed, failures = ingest_paths(
        [str(p) for p in SAMPLES], options=load_options(None), out_dir=out
    )
    assert not failures, [f.line() for f in failures]
    write_outputs(processed, failures, out_dir=out, run_id=new_run_id(started), started=started)
    docs = {Path(item.record.source.location).name: item.record for item in processed}
    return {
        "out": out,
        "processed": processed,
        "docs": docs,
        "people": [json.loads(x) for x in (out / "people.jsonl").open()],
        "weapons": [json.loads(x) for x in (out / "weapons.jsonl").open()],
        "events": [json.loads(x) for x in (out / "events.jsonl").open()],
    }


def test_every_sample_in_its_language(corpus: dict) -> None:
    for name, doc in corpus["docs"].items():
        assert doc.language == name.split("_")[0], name


def test_gbk_page_decoded_without_mojibake(corpus: dict) -> None:
    doc = corpus["docs"]["zh_kilo_submarines.html"]
    assert "潜艇" in doc.text and "\ufffd" not in doc.text
    assert doc.published is not None and doc.published.isoformat() == "2017-02-10"


@pytest.mark.parametrize(
    "marker",
    ["cookie", "Reply", "Ответить", "Trả lời", "回复", "Share | Tweet", "Tài liệu tham khảo"],
)
def test_boilerplate_gone(corpus: dict, marker: str) -> None:
    for name, doc in corpus["docs"].items():
        assert marker.lower() not in doc.text.lower(), f"{marker!r} left in {name}"


def test_nothing_from_comments_reaches_records(corpus: dict) -> None:
    ids = {w["id"] for w in corpus["weapons"]}
    assert not ids & COMMENT_ONLY_WEAPONS, sorted(ids & COMMENT_ONLY_WEAPONS)
    for event in corpus["events"]:
        for weapon in event["weapons"]:
            assert weapon["id"] not in COMMENT_ONLY_WEAPONS, event["evidence"]["sentence"]


def _languages(records: list[dict], record_id: str) -> set[str]:
    found = [r for r in records if r["id"] == record_id]
    assert found, f"{record_id} not extracted"
    return {m["language"] for m in found[0]["mentions"]}


def test_submarines_in_five_languages_as_class_project_and_variant(corpus: dict) -> None:
    """Kilo names the class, Varshavyanka / Project 636 the project, 636.1 Vietnam's
    variant: three records, together in every language, each linked to its parent."""
    ids = {"weapon:kilo-class", "weapon:project-636", "weapon:project-636-1"}
    langs = set().union(*(_languages(corpus["weapons"], i) for i in ids))
    assert langs == {"en", "ru", "ar", "vi", "zh"}
    found = {w["id"]: w for w in corpus["weapons"] if w["id"] in ids}
    assert found["weapon:project-636-1"]["name"] == "Project 636.1"
    assert found["weapon:project-636-1"]["family"] == "Project 636"
    assert "Kilo" in found["weapon:kilo-class"]["aliases"]
    assert 6 in {m["quantity"] for w in found.values() for m in w["mentions"]}


def test_su30mk2_in_every_script(corpus: dict) -> None:
    assert _languages(corpus["weapons"], "weapon:su-30mk2") == {"en", "ru", "ar", "vi", "zh"}


def test_putin_one_identity(corpus: dict) -> None:
    assert _languages(corpus["people"], "person:vladimir-putin") == {"en", "ru", "ar", "vi", "zh"}


def test_dated_typed_events_in_every_language(corpus: dict) -> None:
    langs = {e["evidence"]["language"] for e in corpus["events"] if e["date"]}
    assert langs == {name.split("_")[0] for name in corpus["docs"]}
    orders = [e for e in corpus["events"] if e["type"] == "arms_order"]
    assert any(w["id"] == "weapon:project-636-1" for e in orders for w in e["weapons"]), (
        "no arms_order event for the submarines"
    )


def test_ukrainian_samples_give_dated_events_weapons_with_quantities_and_people(
    corpus: dict,
) -> None:
    uk_events = [e for e in corpus["events"] if e["evidence"]["language"] == "uk"]
    dated = {e["date"]["value"] for e in uk_events if e["date"] and e["date"]["value"]}
    assert {"2022-04-26", "2022-04-08"} <= dated  # first Ramstein meeting; Slovakia's S-300
    quantities = {
        (w["id"], m["quantity"])
        for w in corpus["weapons"]
        for m in w["mentions"]
        if m["language"] == "uk" and m["quantity"]
    }
    assert ("weapon:m777", 18) in quantities
    assert ("weapon:m142-himars", 4) in quantities
    people = {
        p["id"] for p in corpus["people"] if any(m["language"] == "uk" for m in p["mentions"])
    }
    assert {"person:oleksii-reznikov", "person:lloyd-austin", "person:olaf-scholz"} <= people


def test_treaty_of_1978_is_one_event_with_its_sources(corpus: dict) -> None:
    treaty = [
        e
        for e in corpus["events"]
        if e["type"] == "agreement_signed" and (e["date"] or {}).get("value") == "1978-11-03"
    ]
    assert {e["cluster"]["id"] for e in treaty} == {treaty[0]["cluster"]["id"]}
    cluster = treaty[0]["cluster"]
    assert cluster["num_sources"] >= 4
    assert {"en", "ru", "ar", "zh"} <= set(cluster["languages"])


def test_event_clusters_against_the_gold(corpus: dict) -> None:
    from pipeline.evaluate.clusters import load_gold, score
    from schemas.records import EventRecord

    events = [EventRecord.model_validate(e) for e in corpus["events"]]
    files = {doc.id: name for name, doc in corpus["docs"].items()}
    result = score(load_gold(), events, files)
    assert result.precision is not None and result.recall is not None
    assert result.precision.value is not None and result.precision.value >= 0.95
    assert result.recall.value is not None and result.recall.value >= 0.8


def _in_memory_outputs(processed: list) -> dict[str, str]:
    """The JSONL files as linking everything in memory gives them (link_all, build_deals)."""
    from pipeline.deals import build_deals
    from pipeline.link import link_all
    from pipeline.write import dumps

    ordered = sorted(processed, key=lambda item: item.record.id)
    linked = link_all([item.extraction for item in ordered])
    events = sorted(linked.events, key=lambda e: e.id)
    records = {
        "people": linked.people,
        "organisations": linked.organisations,
        "weapons": linked.weapons,
        "events": events,
        "clusters": linked.clusters,
        "deals": build_deals(events, linked.weapons, [item.record for item in ordered]),
    }
    return {name: "".join(dumps(r) + "\n" for r in rs) for name, rs in records.items()}


def test_streamed_outputs_equal_the_in_memory_link(corpus: dict) -> None:
    """The run's files, built one document at a time through the scratch store, are byte
    for byte what linking every extraction in memory gives."""
    expected = _in_memory_outputs(corpus["processed"])
    assert expected["events"] and expected["deals"] and expected["people"]
    assert expected["clusters"]
    for name, text in expected.items():
        assert (corpus["out"] / f"{name}.jsonl").read_text("utf-8") == text, name


def test_events_carry_a_cluster_summary_and_clusters_list_the_mentions(corpus: dict) -> None:
    """Each event line has its cluster's id and counts, never the cluster's mention list
    (which made events.jsonl grow with cluster size times events); clusters.jsonl lists
    every event exactly once, in the cluster its line names, with its evidence."""
    events = {e["id"]: e for e in corpus["events"]}
    clusters = [
        json.loads(x) for x in (corpus["out"] / "clusters.jsonl").read_text("utf-8").splitlines()
    ]
    assert [c["id"] for c in clusters] == sorted({e["cluster"]["id"] for e in events.values()})
    listed = [m["event_id"] for c in clusters for m in c["mentions"]]
    assert sorted(listed) == sorted(events)  # every event, once
    assert any(c["num_mentions"] > 2 for c in clusters)
    for cluster in clusters:
        summary = {k: cluster[k] for k in ("id", "num_mentions", "num_sources", "languages")}
        for m in cluster["mentions"]:
            event = events[m["event_id"]]
            assert event["cluster"] == summary  # the summary only: no mentions
            evidence = event["evidence"]
            assert (m["document_id"], m["start"], m["end"], m["language"]) == (
                evidence["document_id"],
                evidence["start"],
                evidence["end"],
                evidence["language"],
            )
        assert cluster["num_mentions"] == len(cluster["mentions"])
        assert cluster["num_sources"] == len({m["document_id"] for m in cluster["mentions"]})
        order = [(m["document_id"], m["start"], m["event_id"]) for m in cluster["mentions"]]
        assert order == sorted(order)


def test_documents_are_written_as_they_come(corpus: dict, tmp_path: Path) -> None:
    """A batch's documents are on disk before the run ends; the outputs at the end are
    those of writing everything at once, in whatever batches and order they came."""
    import datetime as dt

    from pipeline.ingest import RunWriter

    processed = corpus["processed"]
    with RunWriter(tmp_path, run_id="r", started=dt.datetime.now(dt.UTC)) as writer:
        writer.add(reversed(processed[:5]))
        written = sorted(p.stem for p in (tmp_path / "documents").glob("*.json"))
        assert written == sorted(item.record.id.split(":")[1] for item in processed[:5])
        assert not (tmp_path / "events.jsonl").exists()
        writer.add(processed[5:])
        result = writer.finish([])
    assert result.counts["documents"] == len(processed)
    for name in ("people", "organisations", "weapons", "events", "clusters", "deals"):
        assert (tmp_path / f"{name}.jsonl").read_bytes() == (
            corpus["out"] / f"{name}.jsonl"
        ).read_bytes(), name
    # nothing left behind: no scratch database, no temporary files
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_crash_while_linking_leaves_the_previous_outputs(
    corpus: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: the JSONL files were replaced one by one, so a run that failed while
    building the deals left new people and events beside old deals (and had already
    removed the documents it no longer listed)."""
    import datetime as dt
    import shutil

    import pipeline.deals

    out = tmp_path / "out"
    shutil.copytree(corpus["out"], out)
    before = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("killed while building deals")

    monkeypatch.setattr(pipeline.deals, "_record", boom)
    started = dt.datetime.now(dt.UTC)
    with pytest.raises(RuntimeError, match="killed"):
        # a run of fewer documents: every file it writes would differ
        write_outputs(corpus["processed"][:3], [], out_dir=out, run_id="r2", started=started)
    after = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
