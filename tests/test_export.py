"""Exports: JSON Lines, analyst CSV (BOM, flat columns), followthemoney, the deal register."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures.review.builder import build

from pipeline.errors import ReviewError
from pipeline.review import Store, decide, open_store
from pipeline.review.export import (
    EVENT_COLUMNS,
    PERSON_COLUMNS,
    REGISTER_COLUMNS,
    export,
)
from schemas.records import EventRecord, PersonRecord

PUTIN, BUTIN = "person:vladimir-putin", "person:fladimir-butin"


@pytest.fixture()
def reviewed(tmp_path: Path) -> Iterator[tuple[Store, dict[str, str]]]:
    out_dir = tmp_path / "out"
    ids = build(out_dir)
    store = open_store(out_dir)
    store.ingest_output(out_dir, "run-1")
    for rid in (ids["en_order"], ids["en_delivery"], ids["ar_order"], ids["ar_visit"], PUTIN):
        decide(store, rid, "accept", reviewer="ana", base_version=store.version(rid))
    decide(store, ids["ru_visit"], "reject", reviewer="ana", base_version=0)
    decide(store, BUTIN, "merge", reviewer="ana", base_version=0, payload={"into": PUTIN})
    yield store, ids
    store.close()


def _csv(path: Path) -> list[dict[str, str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), f"{path.name} has no BOM"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_jsonl_is_valid_records_with_decisions_applied(
    reviewed: tuple[Store, dict[str, str]], tmp_path: Path
) -> None:
    store, ids = reviewed
    export(store, "jsonl", tmp_path / "x", accepted_only=False)
    events = [json.loads(x) for x in (tmp_path / "x/events.jsonl").read_text("utf-8").splitlines()]
    people = [json.loads(x) for x in (tmp_path / "x/people.jsonl").read_text("utf-8").splitlines()]
    for e in events:
        EventRecord.model_validate(e)
    for p in people:
        PersonRecord.model_validate(p)
    assert ids["ru_visit"] not in {e["id"] for e in events}  # rejected
    assert ids["ru_delivery"] in {e["id"] for e in events}  # pending still exported
    assert {p["id"] for p in people} == {PUTIN, "person:nguyen-tan-dung"}  # merged away
    ar_visit = next(e for e in events if e["id"] == ids["ar_visit"])
    assert ar_visit["people"] == [PUTIN]


def test_accepted_only(reviewed: tuple[Store, dict[str, str]], tmp_path: Path) -> None:
    store, ids = reviewed
    result = export(store, "jsonl", tmp_path / "x", accepted_only=True)
    events = (tmp_path / "x/events.jsonl").read_text("utf-8")
    assert result.counts["events.jsonl"] == 4
    assert ids["ru_delivery"] not in events and ids["ar_order"] in events
    assert result.counts["weapons.jsonl"] == 0


def test_csv_has_bom_flat_columns_and_joined_people(
    reviewed: tuple[Store, dict[str, str]], tmp_path: Path
) -> None:
    store, ids = reviewed
    export(store, "csv", tmp_path / "c", accepted_only=False)
    events = _csv(tmp_path / "c/events.csv")
    assert list(events[0]) == EVENT_COLUMNS
    order = next(r for r in events if r["id"] == ids["en_order"])
    assert order["people"] == "Nguyen Tan Dung"
    assert order["weapons"] == "Project 636.1" and order["quantities"] == "6"
    assert order["countries"] == "RU; VN"
    assert order["source_url"] == "https://example.org/news/vietnam-kilo-submarines"
    ar = next(r for r in events if r["id"] == ids["ar_order"])
    assert ar["source_url"] == ""  # a file source is no URL
    assert ar["sentence"].startswith("وفي عام 2009")
    people = _csv(tmp_path / "c/people.csv")
    assert list(people[0]) == PERSON_COLUMNS
    putin = next(r for r in people if r["id"] == PUTIN)
    assert putin["aliases"] == "Владимир Путин; فلاديمير بوتين"
    assert putin["languages"] == "ar; ru"


def test_register_has_one_row_per_deal_in_the_trade_register_shape(
    reviewed: tuple[Store, dict[str, str]], tmp_path: Path
) -> None:
    store, _ = reviewed
    export(store, "register", tmp_path / "r", accepted_only=False)
    rows = _csv(tmp_path / "r/register.csv")
    assert list(rows[0]) == REGISTER_COLUMNS
    kilo = [r for r in rows if r["designation"] == "Project 636.1"]
    # the English and Arabic reports of the 2009 order are one row, with its delivery
    assert len(kilo) == 1
    row = kilo[0]
    assert (row["supplier"], row["recipient"]) == ("RU", "VN")
    assert row["description"] == "ship (submarine)"  # SIPRI's category, ours in brackets
    assert (row["number_ordered"], row["year_of_order"]) == ("6", "2009")
    assert (row["number_delivered"], row["years_of_delivery"]) == ("1", "2014")
    assert row["status"] == "delivering" and row["languages"] == "ar; en"
    assert row["sources"].count("\n") == 2  # three reports
    assert "https://example.org/news/vietnam-kilo-submarines" in row["sources"]
    assert "six Project 636.1 submarines" in row["sources"]
    gepard = next(r for r in rows if r["designation"] == "Gepard 3.9")
    assert (gepard["year_of_order"], gepard["years_of_delivery"]) == ("", "2011")
    assert (gepard["number_delivered"], gepard["status"]) == ("2", "delivered")
    # the csv export carries the same register
    export(store, "csv", tmp_path / "c", accepted_only=False)
    assert _csv(tmp_path / "c/register.csv") == rows


def test_deal_rows_are_reviewed_like_records(
    reviewed: tuple[Store, dict[str, str]], tmp_path: Path
) -> None:
    store, ids = reviewed
    kilo, gepard = ids["deal_Project 636.1"], ids["deal_Gepard 3.9"]
    decide(store, kilo, "accept", reviewer="ana", base_version=0)
    decide(store, gepard, "reject", reviewer="ana", base_version=0)
    export(store, "register", tmp_path / "a", accepted_only=True)
    assert [r["deal_id"] for r in _csv(tmp_path / "a/register.csv")] == [kilo]
    export(store, "register", tmp_path / "b", accepted_only=False)
    assert [r["deal_id"] for r in _csv(tmp_path / "b/register.csv")] == [kilo]  # rejected
    # an edit by the reviewer: the deal's status and numbers, the party marked as theirs
    decide(
        store,
        kilo,
        "edit",
        reviewer="ana",
        base_version=store.version(kilo),
        payload={"set": {"status": "delivered", "number_delivered": "6", "recipient": "vn"}},
    )
    export(store, "register", tmp_path / "e", accepted_only=False)
    row = _csv(tmp_path / "e/register.csv")[0]
    assert (row["status"], row["number_delivered"]) == ("delivered", "6")
    assert (row["recipient"], row["recipient_basis"]) == ("VN", "reviewer")
    with pytest.raises(ReviewError, match="status 'sold' not one of"):
        decide(
            store,
            kilo,
            "edit",
            reviewer="ana",
            base_version=store.version(kilo),
            payload={"set": {"status": "sold"}},
        )


def test_a_rejected_report_is_no_source_of_the_deal(
    reviewed: tuple[Store, dict[str, str]], tmp_path: Path
) -> None:
    store, ids = reviewed
    decide(
        store,
        ids["ar_order"],
        "reject",
        reviewer="ana",
        base_version=store.version(ids["ar_order"]),
    )
    export(store, "register", tmp_path / "r", accepted_only=False)
    kilo = next(r for r in _csv(tmp_path / "r/register.csv") if r["designation"] == "Project 636.1")
    assert kilo["languages"] == "en" and "وفي عام 2009" not in kilo["sources"]


def test_ftm_entities_reload_and_validate(
    reviewed: tuple[Store, dict[str, str]], tmp_path: Path
) -> None:
    # an optional extra (osintdesk[ftm]); installed by `make test`
    model = pytest.importorskip("followthemoney").model

    store, ids = reviewed
    export(store, "ftm", tmp_path / "f", accepted_only=False)
    lines = (tmp_path / "f/entities.ftm.jsonl").read_text("utf-8").splitlines()
    entities = {}
    for line in lines:
        data = json.loads(line)
        proxy = model.get_proxy(data, cleaned=False)
        assert proxy.schema.validate(data) is None, data
        # nothing is lost when followthemoney cleans the values itself
        assert model.get_proxy(data).to_dict()["properties"] == data["properties"], data
        entities[proxy.id] = proxy
    schemata = {p.schema.name for p in entities.values()}
    assert {"Person", "Vessel", "Event", "UnknownLink", "Document"} <= schemata
    order = entities["event-" + ids["en_order"].split(":")[1]]
    assert order.get("involved") == ["person-nguyen-tan-dung"]
    assert order.get("date") == ["2009-12"]
    assert order.get("sourceUrl") == ["https://example.org/news/vietnam-kilo-submarines"]
    assert "person-fladimir-butin" not in entities
    assert entities["weapon-project-636-1"].get("model") == ["Project 636.1"]
    links = [e for e in entities.values() if e.schema.name == "UnknownLink"]
    assert any(e.get("role") == ["arms_order: 6"] for e in links)
    for entity in entities.values():  # every reference points at an exported entity
        for prop, value in entity.itervalues():
            if prop.type.name == "entity":
                assert value in entities, (entity.id, prop.name, value)


def test_unknown_format_is_refused(reviewed: tuple[Store, dict[str, str]], tmp_path: Path) -> None:
    store, _ = reviewed
    with pytest.raises(ReviewError, match="not one of jsonl, csv, ftm"):
        export(store, "xml", tmp_path / "x")


def test_ftm_dates_from_date_values() -> None:
    from pipeline.review.export import _ftm_dates, _ftm_vague
    from schemas.edtf import Edtf

    assert _ftm_dates(Edtf.parse("2014-11-27")) == {"date": "2014-11-27"}
    assert _ftm_dates(Edtf.parse("2014-22")) == {"date": "2014"}  # summer: year precision
    assert _ftm_dates(Edtf.parse("199X")) == {}
    assert _ftm_dates(Edtf.parse("1965-07/1974-12")) == {
        "startDate": "1965-07",
        "endDate": "1974-12",
    }
    assert _ftm_dates(Edtf.parse("199X/2001")) == {"endDate": "2001"}
    assert _ftm_vague(Edtf.parse("199X/2001")) and not _ftm_vague(Edtf.parse("2001"))


def test_exports_carry_the_cluster_id(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    ids = build(out_dir, clusters=True)
    with open_store(out_dir) as store:
        store.ingest_output(out_dir, "run-1")
        export(store, "csv", tmp_path / "c", accepted_only=False)
        export(store, "jsonl", tmp_path / "j", accepted_only=False)
    rows = {r["id"]: r for r in _csv(tmp_path / "c/events.csv")}
    # the December 2009 order told in English and in Arabic: one cluster, two sources
    en, ar = rows[ids["en_order"]], rows[ids["ar_order"]]
    assert en["cluster_id"].startswith("cluster:") and en["cluster_id"] == ar["cluster_id"]
    assert en["cluster_sources"] == "2"
    assert rows[ids["ru_visit"]]["cluster_id"] != en["cluster_id"]
    lines = (tmp_path / "j/events.jsonl").read_text("utf-8").splitlines()
    clusters = {r["id"]: r["cluster"]["id"] for r in map(json.loads, lines)}
    assert clusters[ids["en_order"]] == en["cluster_id"]
