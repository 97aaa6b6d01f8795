"""Event clusters on the review desk: shown once, decided once, merged and split by reviewers."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.review.builder import build
from typer.testing import CliRunner

from flows.cli import app
from pipeline.errors import ReviewError
from pipeline.review import decide, decide_many, open_store, review_state, undo_batch
from pipeline.review.clusters import cluster_history, cluster_sentence, members_of
from pipeline.review.search import ClusterView, Filters, queue_page

SHOIGU = ("ru_shoigu", "ar_shoigu", "zh_shoigu")


def _load(out: Path, run: str, **variant: bool) -> dict[str, str]:
    ids = build(out, scripts=True, clusters=True, **variant)
    with open_store(out) as store:
        store.ingest_output(out, run)
    return ids


def _events_page(store: object) -> list[object]:
    return queue_page(store, Filters(type="event"), 1).records  # type: ignore[arg-type]


def _cluster_of(store: object, event_id: str) -> str:
    return members_of(store, event_id)[0]  # type: ignore[arg-type]


def test_queue_shows_a_cluster_once_with_its_sources(tmp_path: Path) -> None:
    ids = _load(tmp_path, "run-1")
    with open_store(tmp_path) as store:
        rows = _events_page(store)
        views = [r for r in rows if isinstance(r, ClusterView)]
        shoigu = next(v for v in views if {m.id for m in v.members} >= {ids[r] for r in SHOIGU})
        assert (shoigu.num_mentions, shoigu.num_sources) == (3, 3)
        assert shoigu.languages == ["ar", "ru", "zh"]
        listed = {getattr(r, "id", "") for r in rows}
        assert not listed & {ids[r] for r in SHOIGU}  # the reports are not rows of their own
        assert shoigu.id in listed
        # a search in any script finds the cluster row
        for term in ("绍伊古", "Шойгу", "Shoigu"):
            found = queue_page(store, Filters(q=term, type="event"), 1).records
            assert [r.id for r in found] == [shoigu.id]


def test_a_cluster_decision_survives_reruns_and_reaches_a_new_mention(tmp_path: Path) -> None:
    ids = _load(tmp_path, "run-1")
    with open_store(tmp_path) as store:
        cid = _cluster_of(store, ids["ru_shoigu"])
        decide(store, cid, "accept", reviewer="anna", base_version=0)
        state = review_state(store)
        assert {state.records[ids[r]].status for r in SHOIGU} == {"accepted"}
        assert state.records[ids["ru_visit"]].status == "pending"  # another event
    ids = _load(tmp_path, "run-2", shoigu_en=True)  # an English report joins the cluster
    with open_store(tmp_path) as store:
        state = review_state(store)
        roles = (*SHOIGU, "en_shoigu")
        assert {state.records[ids[r]].status for r in roles} == {"accepted"}
        assert state.records[ids["en_shoigu"]].data["cluster"]["num_sources"] == 4
        view = next(
            r for r in _events_page(store) if getattr(r, "members", None) and r.num_mentions == 4
        )
        assert view.status == "accepted"
        assert "accepted the event with all its reports (3 reports)" in [
            cluster_sentence(d) for d in cluster_history(store, view.id)
        ]


def test_an_event_decision_inside_a_cluster_wins_when_later(tmp_path: Path) -> None:
    ids = _load(tmp_path, "run-1")
    with open_store(tmp_path) as store:
        cid = _cluster_of(store, ids["ru_shoigu"])
        decide(store, cid, "accept", reviewer="anna", base_version=0)
        decide(store, ids["zh_shoigu"], "reject", reviewer="bo", base_version=0)
        state = review_state(store)
        assert state.records[ids["zh_shoigu"]].status == "rejected"
        assert state.records[ids["ru_shoigu"]].status == "accepted"
        view = next(r for r in _events_page(store) if r.id == cid)
        assert view.status == "accepted"  # some of its reports are accepted


def test_bulk_accept_of_a_cluster_row_and_its_undo(tmp_path: Path) -> None:
    ids = _load(tmp_path, "run-1")
    with open_store(tmp_path) as store:
        cid = _cluster_of(store, ids["ru_shoigu"])
        batch = decide_many(store, [(cid, 0), (ids["ru_visit"], 0)], "accept", reviewer="anna")
        state = review_state(store)
        assert {state.records[ids[r]].status for r in (*SHOIGU, "ru_visit")} == {"accepted"}
        undo_batch(store, batch.id, reviewer="anna")
        state = review_state(store)
        assert {state.records[ids[r]].status for r in (*SHOIGU, "ru_visit")} == {"pending"}


def test_merge_and_split_of_clusters_survive_reruns(tmp_path: Path) -> None:
    ids = _load(tmp_path, "run-1")
    with open_store(tmp_path) as store:
        # Putin's November 2013 visit told in Russian and in Arabic (an unlinked name):
        # two clusters the reviewer knows are one event
        assert _cluster_of(store, ids["ru_visit"]) != _cluster_of(store, ids["ar_visit"])
        merge = decide(
            store,
            ids["ru_visit"],
            "merge",
            reviewer="anna",
            base_version=0,
            payload={"into": ids["ar_visit"]},
        )
        assert merge.record_id.startswith("cluster:")
        cid = _cluster_of(store, ids["ru_visit"])
        assert cid == _cluster_of(store, ids["ar_visit"])
        state = review_state(store)
        cluster = state.records[ids["ru_visit"]].data["cluster"]
        assert (cluster["id"], cluster["num_sources"]) == (cid, 2)
        assert cid in {r.id for r in _events_page(store)}
        decide(store, cid, "accept", reviewer="anna", base_version=store.version(cid))
    ids = _load(tmp_path, "run-2")  # the pipeline clusters them apart again
    with open_store(tmp_path) as store:
        cid = _cluster_of(store, ids["ru_visit"])
        assert cid == _cluster_of(store, ids["ar_visit"])
        state = review_state(store)
        assert state.records[ids["ar_visit"]].status == "accepted"
        decide(
            store,
            cid,
            "split",
            reviewer="bo",
            base_version=store.version(cid),
            payload={"events": [ids["ar_visit"]]},
        )
        assert _cluster_of(store, ids["ru_visit"]) != _cluster_of(store, ids["ar_visit"])
        sentences = [cluster_sentence(d) for d in cluster_history(store, cid)]
        assert any(s.startswith("merged ") and "(1 report)" in s for s in sentences)
        assert f"split 1 report off {cid} into an event of their own" in sentences
    _load(tmp_path, "run-3")
    with open_store(tmp_path) as store:
        assert _cluster_of(store, ids["ru_visit"]) != _cluster_of(store, ids["ar_visit"])


def test_cluster_decisions_refused_with_a_reason(tmp_path: Path) -> None:
    ids = _load(tmp_path, "run-1")
    with open_store(tmp_path) as store:
        cid = _cluster_of(store, ids["ru_shoigu"])
        with pytest.raises(ReviewError, match="not none or all"):
            decide(
                store,
                cid,
                "split",
                reviewer="a",
                base_version=0,
                payload={"events": [ids[r] for r in SHOIGU]},
            )
        with pytest.raises(ReviewError, match="already in this cluster"):
            decide(
                store,
                cid,
                "merge",
                reviewer="a",
                base_version=0,
                payload={"into": ids["ar_shoigu"]},
            )
        with pytest.raises(ReviewError, match="no such event cluster"):
            decide(store, "cluster:0000000000000000", "accept", reviewer="a", base_version=0)


def test_cli_merges_and_splits_clusters(tmp_path: Path) -> None:
    ids = build(tmp_path, scripts=True, clusters=True)
    runner = CliRunner()
    out = ["--out-dir", str(tmp_path)]
    merged = runner.invoke(app, ["review", "merge", ids["ru_visit"], ids["ar_visit"], *out])
    assert merged.exit_code == 0, merged.output
    assert "merge cluster:" in merged.output
    with open_store(tmp_path) as store:
        cid = _cluster_of(store, ids["ru_visit"])
        assert cid == _cluster_of(store, ids["ar_visit"])
    split = runner.invoke(app, ["review", "split", ids["ar_visit"], *out])
    assert split.exit_code == 0, split.output
    with open_store(tmp_path) as store:
        assert _cluster_of(store, ids["ru_visit"]) != _cluster_of(store, ids["ar_visit"])
    bad = runner.invoke(app, ["review", "split", "event:nope", *out])
    assert bad.exit_code == 1 and "no such event cluster" in bad.output


def test_a_cluster_decision_on_changed_evidence_comes_back_changed(tmp_path: Path) -> None:
    ids = _load(tmp_path, "run-1")
    with open_store(tmp_path) as store:
        for role in ("ru_delivery", "ru_visit"):
            decide(store, _cluster_of(store, ids[role]), "accept", reviewer="anna", base_version=0)
        visit = _cluster_of(store, ids["ru_visit"])
    new = _load(tmp_path, "run-2", frigates="три")  # the source's sentence: два → три
    assert new["ru_delivery"] != ids["ru_delivery"] and new["ru_visit"] != ids["ru_visit"]
    with open_store(tmp_path) as store:
        state = review_state(store)
        changed = state.records[new["ru_delivery"]]
        assert changed.status == "changed"
        assert changed.was is not None and "два" in changed.was["evidence"]["sentence"]
        # the visit's document changed too, but its sentence reads the same: still accepted
        assert state.records[new["ru_visit"]].status == "accepted"
        row = next(r for r in _events_page(store) if r.id == new["ru_delivery"])
        assert row.status == "changed"
        # the visit's cluster has a new id; the one the decision was logged under finds it
        assert _cluster_of(store, new["ru_visit"]) != visit
        assert members_of(store, visit)[0] == _cluster_of(store, new["ru_visit"])


def test_queue_export_of_a_cluster_row_holds_every_report(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from flows.web import create_app

    ids = build(tmp_path, scripts=True, clusters=True)
    app = create_app(tmp_path, bind_host="127.0.0.1", port=8765)
    with TestClient(app, base_url="http://127.0.0.1:8765") as client:
        body = client.get("/export?format=csv&q=Shoigu&type=event").text
    assert all(ids[r] in body for r in SHOIGU)
