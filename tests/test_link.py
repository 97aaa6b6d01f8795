"""Cross-document linking of people and weapons (hand-built Docs, no trained model)."""

from __future__ import annotations

from functools import cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from pipeline.config import ExtractOptions
from pipeline.extract import DocPart, DocumentExtraction, extract_parts
from pipeline.link import link, link_all
from pipeline.nlp import blank as blank_pipeline
from schemas.records import Extractor

EXTRACTOR = Extractor(name="osintdesk", version="test")
PUTIN = {"canonical": "person:vladimir-putin", "canonical_name": "Vladimir Putin"}


@cache
def blank(lang: str) -> Language:
    """One blank pipeline per language for the whole test session."""
    return blank_pipeline(lang)


def extraction(
    doc_id: str, lang: str, text: str, ents: list[tuple[str, str, dict[str, Any]]]
) -> DocumentExtraction:
    doc: Doc = blank(lang).make_doc(text)
    spans = []
    for surface, label, _ in ents:
        start = text.index(surface)
        span = doc.char_span(start, start + len(surface), label=label, alignment_mode="expand")
        assert span is not None, surface
        spans.append(span)
    doc.ents = spans
    for span, (_, _, attrs) in zip(doc.ents, ents, strict=True):
        for name, value in attrs.items():
            setattr(span._, name, value)
    return extract_parts(
        doc_id,
        [DocPart(doc=doc, offset=0, language=lang)],
        options=ExtractOptions(),
        extractor=EXTRACTOR,
    )


def putin_in_four_scripts() -> list[DocumentExtraction]:
    return [
        extraction("document:ru", "ru", "Путин прибыл в Ханой.", [("Путин", "PERSON", PUTIN)]),
        extraction("document:ar", "ar", "وصل بوتين إلى هانوي.", [("بوتين", "PERSON", PUTIN)]),
        extraction("document:zh", "zh", "普京抵达河内。", [("普京", "PERSON", PUTIN)]),
        extraction("document:en", "en", "Putin arrived in Hanoi.", [("Putin", "PERSON", PUTIN)]),
    ]


def test_one_person_across_four_scripts() -> None:
    people, weapons = link(putin_in_four_scripts())
    assert weapons == []
    [putin] = people
    assert putin.id == "person:vladimir-putin"
    assert putin.name == "Vladimir Putin" and putin.known
    assert putin.aliases == sorted(["Putin", "Путин", "بوتين", "普京"])
    assert [(m.document_id, m.text, m.language) for m in putin.mentions] == [
        ("document:ar", "بوتين", "ar"),
        ("document:en", "Putin", "en"),
        ("document:ru", "Путин", "ru"),
        ("document:zh", "普京", "zh"),
    ]
    assert "President of Russia" in " ".join(putin.roles)


def test_unknown_form_joins_a_known_person_with_the_same_key() -> None:
    known = extraction(
        "document:a",
        "en",
        "Putin visited Hanoi in November 2013.",
        [("Putin", "PERSON", PUTIN), ("November 2013", "DATE", {"date": {"value": "2013-11"}})],
    )
    unknown = extraction(
        "document:b",
        "en",
        "Putin visited Hanoi in November 2013.",
        [("Putin", "PERSON", {}), ("November 2013", "DATE", {"date": {"value": "2013-11"}})],
    )
    assert unknown.events[0].people == [unknown.people[0].id] != ["person:vladimir-putin"]
    linked = link_all([known, unknown])
    assert [p.id for p in linked.people] == ["person:vladimir-putin"]
    assert len(linked.people[0].mentions) == 2
    assert [e.people for e in linked.events] == [["person:vladimir-putin"]] * 2
    assert linked.person_ids == {unknown.people[0].id: "person:vladimir-putin"}


def test_unknown_person_in_two_documents_is_one_record() -> None:
    first = extraction(
        "document:1", "vi", "Ông Nguyễn Văn Khánh phát biểu.", [("Nguyễn Văn Khánh", "PERSON", {})]
    )
    second = extraction(
        "document:2", "en", "Mr Nguyen Van Khanh spoke.", [("Nguyen Van Khanh", "PERSON", {})]
    )
    other = extraction(
        "document:2", "en", "Mr Tran Van Binh spoke.", [("Tran Van Binh", "PERSON", {})]
    )
    people, _ = link([first, second, other])
    assert [p.id for p in people] == ["person:nguyen-van-khanh", "person:tran-van-binh"]
    khanh = people[0]
    assert not khanh.known and khanh.roles == []
    assert len(khanh.mentions) == 2
    assert {khanh.name, *khanh.aliases} == {"Nguyễn Văn Khánh", "Nguyen Van Khanh"}


def test_latin_form_names_an_unknown_person() -> None:
    docs = [
        extraction("document:1", "ru", "Иван Петров сказал.", [("Иван Петров", "PERSON", {})]),
        extraction("document:2", "ru", "Иван Петров сказал.", [("Иван Петров", "PERSON", {})]),
        extraction("document:3", "en", "Ivan Petrov said.", [("Ivan Petrov", "PERSON", {})]),
    ]
    [petrov] = link(docs)[0]
    # Russian forms are transliterated into the key, so all three share one record;
    # the Latin form names it even though the Cyrillic form is more frequent
    assert petrov.id == "person:ivan-petrov"
    assert petrov.name == "Ivan Petrov" and petrov.aliases == ["Иван Петров"]
    assert len(petrov.mentions) == 3


def test_weapons_merge_by_id_and_keep_reference_data() -> None:
    kilo = {
        "canonical": "weapon:project-636-1",
        "canonical_name": "Project 636.1",
        "quantity": 6,
        "weapon": {
            "designation": "Project 636.1",
            "category": "submarine",
            "family": "Kilo",
            "origin": "RU",
            "known": True,
        },
    }
    unknown = {"weapon": {"designation": "Zubr-X", "known": False}}
    docs = [
        extraction("document:b", "en", "Six Kilo submarines.", [("Kilo", "WEAPON", kilo)]),
        extraction(
            "document:a",
            "ru",
            "Шесть лодок проекта 636.1 и катер Zubr-X.",
            [("проекта 636.1", "WEAPON", kilo), ("Zubr-X", "WEAPON", unknown)],
        ),
    ]
    _, weapons = link(docs)
    assert [w.id for w in weapons] == ["weapon:project-636-1", "weapon:zubr-x"]
    kilo_record, zubr = weapons
    assert kilo_record.name == "Project 636.1" and kilo_record.known
    assert (kilo_record.category, kilo_record.family, kilo_record.origin) == (
        "submarine",
        "Kilo",
        "RU",
    )
    assert kilo_record.aliases == ["Kilo", "проекта 636.1"]
    assert [(m.document_id, m.quantity) for m in kilo_record.mentions] == [
        ("document:a", 6),
        ("document:b", 6),
    ]
    assert not zubr.known and zubr.category == "other" and zubr.name == "Zubr-X"


def test_ids_and_order_are_stable_across_runs() -> None:
    first = link(putin_in_four_scripts())
    second = link(list(reversed(putin_in_four_scripts())))
    assert [p.model_dump() for p in first[0]] == [p.model_dump() for p in second[0]]
