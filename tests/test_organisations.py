"""Organisations: reference data, linking in texts, records, events and exports."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.tokens import Span

from pipeline.config import ExtractOptions
from pipeline.errors import ConfigError
from pipeline.extract import extract_document
from pipeline.link import link_all
from pipeline.people.organisations import (
    kind_from_name,
    load_organisations,
    lookup_organisation,
    producer_values,
)
from schemas.records import Extractor, Paragraph

EXTRACTOR = Extractor(name="osintdesk", version="test")


def _extract(lang: str, text: str, published: object = None):  # type: ignore[no-untyped-def]
    para = Paragraph(text=text, language=lang, start=0, end=len(text))
    return extract_document(
        "document:org", text, [para], published=None, options=ExtractOptions(), extractor=EXTRACTOR
    )


def test_reference_list_is_large_and_valid() -> None:
    orgs = load_organisations().organisations
    assert len(orgs) >= 150
    kinds = {o.kind for o in orgs}
    assert {"arms_maker", "arms_exporter", "ministry", "armed_forces", "international"} <= kinds


def test_a_form_two_organisations_share_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "orgs.yaml"
    path.write_text(
        "version: 1\norganisations:\n"
        "  - {id: 'organisation:a-corp', name: A Corp, kind: arms_maker, names: {en: [ACME]}}\n"
        "  - {id: 'organisation:b-corp', name: B Corp, kind: arms_maker, names: {en: [ACME]}}\n",
        "utf-8",
    )
    with pytest.raises(ConfigError, match="ACME"):
        load_organisations(path)


@pytest.mark.parametrize(
    ("text", "lang", "oid"),
    [
        ("Рособоронэкспорта", "ru", "organisation:rosoboronexport"),
        ("Пентагона", "ru", "organisation:department-of-defense"),
        ("Бундесверу", "uk", "organisation:bundeswehr"),
        ("克宫", "zh", "organisation:kremlin"),
        ("NATO", "vi", "organisation:nato"),
        ("nato", "en", None),  # acronyms only in their own case
        ("Novatek", "en", "organisation:novatek"),
    ],
)
def test_organisation_forms_in_any_case_form(text: str, lang: str, oid: str | None) -> None:
    assert lookup_organisation(text, lang) == oid


def test_producers_link_to_the_weapons_catalogue() -> None:
    values = producer_values()
    assert "Baykar" in values["organisation:baykar"]
    assert any("Almaz-Antey" in v for v in values["organisation:almaz-antey"])


def test_regression_companies_and_drones_are_not_people() -> None:
    """ "Novatek", "Baykar" and "Bayraktar TB2" came out as people."""
    from pipeline.nlp import get_nlp

    nlp = get_nlp("en")
    text = "Novatek and Baykar shipped a Bayraktar TB2 to Andrey Slepnev."
    doc = nlp.make_doc(text)
    ents = []
    for name in ("Novatek", "Baykar", "Bayraktar TB2", "Andrey Slepnev"):
        start = text.index(name)
        span = doc.char_span(start, start + len(name), label="PERSON")
        assert span is not None
        ents.append(Span(doc, span.start, span.end, label="PERSON"))
    doc.ents = ents
    doc = nlp.get_pipe("osintdesk_people")(doc)
    labels = {e.text: (e.label_, e._.canonical) for e in doc.ents}
    assert labels == {
        "Novatek": ("ORG", "organisation:novatek"),
        "Baykar": ("ORG", "organisation:baykar"),
        "Andrey Slepnev": ("PERSON", None),
    }


def test_organisations_become_records_and_events_carry_them() -> None:
    ex = _extract(
        "en",
        "On 5 October 2018 India signed a contract with Rosoboronexport for five S-400 "
        "regiments, NATO said.",
    )
    ids = {o.id for o in ex.organisations}
    assert {"organisation:rosoboronexport", "organisation:nato"} <= ids
    assert ex.events and "organisation:rosoboronexport" in ex.events[0].organisations
    linked = link_all([ex])
    record = next(r for r in linked.organisations if r.id == "organisation:rosoboronexport")
    assert record.known and record.kind == "arms_exporter" and record.country == "RU"


def test_organisations_reach_the_review_store_csv_and_ftm(tmp_path: Path) -> None:
    import csv
    import json

    from fixtures.review.builder import build

    from pipeline.review import open_store
    from pipeline.review.export import export
    from schemas.records import Mention, OrganisationRecord

    out_dir = tmp_path / "out"
    build(out_dir)
    doc_id = json.loads(next((out_dir / "documents").glob("*.json")).read_text("utf-8"))["id"]
    mention = Mention(document_id=doc_id, text="Rosoboronexport", start=0, end=15, language="en")
    orgs = [
        OrganisationRecord(
            id="organisation:rosoboronexport",
            name="Rosoboronexport",
            kind="arms_exporter",
            country="RU",
            known=True,
            mentions=[mention],
        ),
        OrganisationRecord(
            id="organisation:nato", name="NATO", kind="international", known=True,
            mentions=[mention.model_copy(update={"text": "NATO"})],
        ),
    ]  # fmt: skip
    (out_dir / "organisations.jsonl").write_text(
        "".join(o.model_dump_json() + "\n" for o in orgs), "utf-8"
    )
    with open_store(out_dir) as store:
        store.ingest_output(out_dir, "run-1")
        export(store, "csv", tmp_path / "csv")
        export(store, "ftm", tmp_path / "ftm")
    with (tmp_path / "csv" / "organisations.csv").open(encoding="utf-8-sig") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    assert rows["organisation:rosoboronexport"]["kind"] == "arms_exporter"
    entities = [
        json.loads(line)
        for line in (tmp_path / "ftm" / "entities.ftm.jsonl").read_text("utf-8").splitlines()
    ]
    schemas = {
        e["properties"]["name"][0]: e["schema"] for e in entities if "name" in e["properties"]
    }
    assert schemas["Rosoboronexport"] == "Company"
    assert schemas["NATO"] == "Organization"


def test_a_store_made_before_organisations_takes_them(tmp_path: Path) -> None:
    """Its records table allowed person, weapon and event only; it is widened once,
    keeping every row and the mentions that point at them."""
    import sqlite3

    from pipeline.review.store import Store

    path = tmp_path / "review.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE runs (id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, started TEXT "
        "NOT NULL, finished TEXT, counts TEXT NOT NULL DEFAULT '{}', fingerprint TEXT);"
        "CREATE TABLE records (id TEXT PRIMARY KEY, type TEXT NOT NULL CHECK (type IN "
        "('person', 'weapon', 'event')), json TEXT NOT NULL, evidence_hash TEXT NOT NULL, "
        "first_seen_run TEXT NOT NULL REFERENCES runs(id), last_seen_run TEXT NOT NULL "
        "REFERENCES runs(id));"
        "INSERT INTO runs VALUES ('run-1', 1, 'x', NULL, '{}', NULL);"
        "INSERT INTO records VALUES ('person:a', 'person', '{}', 'h', 'run-1', 'run-1');"
        "CREATE TABLE mentions (record_id TEXT NOT NULL REFERENCES records(id) ON DELETE "
        'CASCADE, document_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, '
        "text TEXT NOT NULL, language TEXT NOT NULL, quantity INTEGER, PRIMARY KEY "
        '(record_id, document_id, start, "end"));'
        "INSERT INTO mentions VALUES ('person:a', 'document:x', 0, 1, 'A', 'en', NULL);"
    )
    conn.close()
    with Store(path) as store, store.transaction() as c:
        c.execute(
            "INSERT INTO records (id, type, json, evidence_hash, first_seen_run, last_seen_run)"
            " VALUES ('organisation:b', 'organisation', '{}', 'h', 'run-1', 'run-1')"
        )
    with Store(path) as store:  # a second open changes nothing
        rows = store._conn.execute("SELECT id FROM records ORDER BY id").fetchall()
        assert [r["id"] for r in rows] == ["organisation:b", "person:a"]
        assert store._conn.execute("SELECT COUNT(*) FROM mentions").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("name", "lang", "kind"),
    [
        ("Indian Navy's Western Fleet", "en", "armed_forces"),
        ("Polish Ministry of National Defence", "en", "ministry"),
        ("Hindustan Aeronautics Limited Aircraft Division", "en", "armed_forces"),
        ("Mazagon Dock Shipyards", "en", "arms_maker"),
        ("Red Cross", "en", "other"),
        ("Министерства обороны Польши", "ru", "ministry"),
        ("Черноморского флота", "ru", "armed_forces"),
        ("Міністерства оборони України", "uk", "ministry"),
        ("القوات البحرية المصرية", "ar", "armed_forces"),
        ("وزارة الدفاع الهندية", "ar", "ministry"),
        ("Bộ Quốc phòng Ấn Độ", "vi", "ministry"),
        ("Quân chủng Hải quân", "vi", "armed_forces"),
        ("巴基斯坦空军", "zh", "armed_forces"),
        ("中国船舶工业集团", "zh", "arms_maker"),
    ],
)
def test_an_unknown_organisation_gets_the_kind_its_name_states(
    name: str, lang: str, kind: str
) -> None:
    # the first listed kind whose word the name holds: "Aircraft Division" is a unit
    assert kind_from_name(name, lang) == kind


def test_a_models_article_is_no_part_of_an_organisation() -> None:
    ex = _extract("en", "In 2019 the Russian Navy received two corvettes, the Kremlin said.")
    assert "organisation:russian-navy" in {o.id for o in ex.organisations}
    assert not [o for o in ex.organisations if o.mention.text.lower().startswith("the ")]
    linked = link_all([_extract("en", "The Indian Navy's Western Fleet sailed in 2021.")])
    assert {r.kind for r in linked.organisations if not r.known} <= {"armed_forces"}
