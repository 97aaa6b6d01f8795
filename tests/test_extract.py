"""Events and mentions from hand-built spaCy Docs (no trained model needed)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from pipeline import lang as lang_registry
from pipeline.config import ExtractOptions
from pipeline.errors import ConfigError, ExtractError
from pipeline.extract import (
    DocPart,
    extract_document,
    extract_parts,
    find_triggers,
    load_lexicon,
)
from pipeline.weapons import COMPONENT_NAME as WEAPONS_COMPONENT
from schemas.records import Extractor, Paragraph

EXTRACTOR = Extractor(name="osintdesk", version="test")
OPTIONS = ExtractOptions()

# (text to find in the sentence, label, extension values)
Ent = tuple[str, str, dict[str, Any]]


@pytest.fixture(scope="session")
def blanks() -> Iterator[dict[str, Language]]:
    yield {lang: spacy.blank(lang) for lang in ("en", "ru", "ar", "zh")}


def build(nlp: Language, text: str, ents: list[Ent]) -> Doc:
    """A Doc with the given entity spans and extension values, sentences split."""
    doc = nlp.make_doc(text)
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
    return doc


def extract(doc: Doc, lang: str, **options: Any) -> Any:
    return extract_parts(
        "document:test",
        [DocPart(doc=doc, offset=0, language=lang)],
        options=ExtractOptions(**options),
        extractor=EXTRACTOR,
    )


def month(value: str) -> dict[str, Any]:
    return {"date": {"value": value, "precision": "month", "anchored": False}}


def year(value: str) -> dict[str, Any]:
    return {"date": {"value": value, "precision": "year", "anchored": False}}


RU = ("GPE", {"canonical": "RU", "canonical_name": "Russia"})
VN = ("GPE", {"canonical": "VN", "canonical_name": "Vietnam"})
KILO = {
    "canonical": "weapon:project-636-1",
    "canonical_name": "Project 636.1",
    "weapon": {
        "designation": "Project 636.1",
        "category": "submarine",
        "family": "Kilo",
        "origin": "RU",
        "known": True,
    },
}
SU30 = {
    "canonical": "weapon:su-30mk2",
    "canonical_name": "Su-30MK2",
    "weapon": {"designation": "Su-30MK2", "category": "aircraft", "origin": "RU", "known": True},
}


def test_cam_ranh_agreement(blanks: dict[str, Language]) -> None:
    text = (
        "In November 2014 Russia and Vietnam signed an agreement easing "
        "the Russian navy's use of Cam Ranh."
    )
    doc = build(
        blanks["en"],
        text,
        [
            ("November 2014", "DATE", month("2014-11")),
            ("Russia", *RU),
            ("Vietnam", *VN),
            ("Cam Ranh", "GPE", {"canonical_name": "Cam Ranh"}),
        ],
    )
    result = extract(doc, "en")
    assert len(result.events) == 1
    event = result.events[0]
    assert event.type == "agreement_signed"
    assert event.trigger == "signed"
    assert event.date is not None and event.date.value == "2014-11"
    assert event.date.text == "November 2014"
    assert text[event.date.start : event.date.end] == "November 2014"
    assert event.countries == ["RU", "VN"]
    assert event.places == ["Cam Ranh"]
    assert event.evidence.sentence == text
    assert text[event.evidence.start : event.evidence.end] == event.evidence.sentence
    assert 0.3 <= event.confidence <= 1.0
    assert event.id.startswith("event:")


def test_trigger_without_date_gives_no_event(blanks: dict[str, Language]) -> None:
    text = "Russia and Vietnam signed an agreement on the use of Cam Ranh."
    doc = build(blanks["en"], text, [("Russia", *RU), ("Vietnam", *VN)])
    assert extract(doc, "en").events == []


def test_date_without_trigger_gives_no_event(blanks: dict[str, Language]) -> None:
    text = "In November 2014 the weather in Cam Ranh was mild."
    doc = build(blanks["en"], text, [("November 2014", "DATE", month("2014-11"))])
    result = extract(doc, "en")
    assert result.events == []
    assert [d.value for d in result.dates] == ["2014-11"]


def test_date_span_without_value_gives_no_event(blanks: dict[str, Language]) -> None:
    text = "Some years ago Russia and Vietnam signed an agreement."
    doc = build(
        blanks["en"],
        text,
        [("Some years ago", "DATE", {"date": {"value": None, "anchored": False}})],
    )
    assert extract(doc, "en").events == []


def test_order_with_weapon_is_arms_order_with_quantity(blanks: dict[str, Language]) -> None:
    text = "In 2009 Vietnam ordered six Project 636.1 submarines from Russia."
    doc = build(
        blanks["en"],
        text,
        [
            ("2009", "DATE", year("2009")),
            ("Vietnam", *VN),
            ("Project 636.1", "WEAPON", {**KILO, "quantity": 6}),
            ("Russia", *RU),
        ],
    )
    result = extract(doc, "en")
    assert [e.type for e in result.events] == ["arms_order"]
    event = result.events[0]
    assert [(w.id, w.quantity) for w in event.weapons] == [("weapon:project-636-1", 6)]
    assert event.countries == ["VN", "RU"]
    [weapon] = result.weapons
    assert weapon.mention.quantity == 6
    assert weapon.category == "submarine" and weapon.known
    assert text[weapon.mention.start : weapon.mention.end] == "Project 636.1"


def test_delivery_trigger_needs_a_weapon(blanks: dict[str, Language]) -> None:
    text = "In 2016 Russia delivered a message to Vietnam."
    doc = build(blanks["en"], text, [("2016", "DATE", year("2016")), ("Russia", *RU)])
    assert all(e.type != "arms_delivery" for e in extract(doc, "en").events)


def test_russian_contract_for_delivery_is_an_order(blanks: dict[str, Language]) -> None:
    text = "В декабре 2009 года Вьетнам подписал контракт на поставку шести подводных лодок."
    doc = build(
        blanks["ru"],
        text,
        [
            ("декабре 2009 года", "DATE", month("2009-12")),
            ("Вьетнам", *VN),
            ("подводных лодок", "WEAPON", {**KILO, "quantity": 6}),
        ],
    )
    [event] = extract(doc, "ru").events
    assert event.type == "arms_order"
    assert event.date is not None and event.date.value == "2009-12"


def test_russian_contract_without_weapon_is_an_agreement(blanks: dict[str, Language]) -> None:
    text = "В декабре 2009 года Вьетнам подписал контракт с Россией."
    doc = build(
        blanks["ru"],
        text,
        [("декабре 2009 года", "DATE", month("2009-12")), ("Вьетнам", *VN)],
    )
    assert [e.type for e in extract(doc, "ru").events] == ["agreement_signed"]


def test_arabic_trigger_with_proclitic_and_shadda(blanks: dict[str, Language]) -> None:
    text = "ووقّعت روسيا وفيتنام اتفاقية في نوفمبر 2014."
    doc = build(blanks["ar"], text, [("نوفمبر 2014", "DATE", month("2014-11"))])
    [event] = extract(doc, "ar").events
    assert event.type == "agreement_signed"
    assert event.trigger == "ووقّعت"


def test_chinese_substring_trigger(blanks: dict[str, Language]) -> None:
    text = "2014年11月，俄罗斯与越南签署协议。"
    doc = build(
        blanks["zh"],
        text,
        [("2014年11月", "DATE", month("2014-11")), ("俄罗斯", *RU), ("越南", *VN)],
    )
    [event] = extract(doc, "zh").events
    assert (event.type, event.trigger, event.countries) == (
        "agreement_signed",
        "签署",
        ["RU", "VN"],
    )


def test_strongest_trigger_wins_and_nearest_date_is_used(blanks: dict[str, Language]) -> None:
    text = "Vietnam, which had received Kilo submarines since 2014, ordered 12 Su-30MK2 in 2013."
    doc = build(
        blanks["en"],
        text,
        [
            ("Vietnam", *VN),
            ("Kilo", "WEAPON", KILO),
            ("2014", "DATE", year("2014")),
            ("Su-30MK2", "WEAPON", {**SU30, "quantity": 12}),
            ("2013", "DATE", year("2013")),
        ],
    )
    [event] = extract(doc, "en").events
    assert event.type == "arms_order"
    assert event.date is not None and event.date.value == "2013"
    assert {(w.id, w.quantity) for w in event.weapons} == {
        ("weapon:project-636-1", None),
        ("weapon:su-30mk2", 12),
    }


def test_clearly_two_events_in_one_sentence(blanks: dict[str, Language]) -> None:
    text = (
        "Vietnam ordered 12 Su-30MK2 in 2009 and Russia delivered the first "
        "Project 636.1 boat in January 2014."
    )
    doc = build(
        blanks["en"],
        text,
        [
            ("Su-30MK2", "WEAPON", {**SU30, "quantity": 12}),
            ("2009", "DATE", year("2009")),
            ("Project 636.1", "WEAPON", KILO),
            ("January 2014", "DATE", month("2014-01")),
        ],
    )
    events = extract(doc, "en").events
    assert sorted((e.type, e.date.value if e.date else None) for e in events) == [
        ("arms_delivery", "2014-01"),
        ("arms_order", "2009"),
    ]
    assert len({e.id for e in events}) == 2


def test_min_confidence_option_filters_events(blanks: dict[str, Language]) -> None:
    text = "In November 2014 Russia and Vietnam signed an agreement."
    doc = build(blanks["en"], text, [("November 2014", "DATE", month("2014-11"))])
    assert extract(doc, "en", min_event_confidence=0.99).events == []
    assert len(extract(doc, "en").events) == 1


def test_people_mentions_and_event_people(blanks: dict[str, Language]) -> None:
    text = "Vladimir Putin visited Hanoi in November 2013 and met Nguyen Van An."
    doc = build(
        blanks["en"],
        text,
        [
            (
                "Vladimir Putin",
                "PERSON",
                {"canonical": "person:vladimir-putin", "canonical_name": "Vladimir Putin"},
            ),
            ("Hanoi", "GPE", {"canonical_name": "Hanoi"}),
            ("November 2013", "DATE", month("2013-11")),
            ("Nguyen Van An", "PERSON", {}),
        ],
    )
    result = extract(doc, "en")
    [event] = result.events
    assert event.type == "diplomatic_visit"
    assert event.people == ["person:vladimir-putin", "person:nguyen-van-an"]
    assert event.places == ["Hanoi"] and event.countries == []
    assert [(p.id, p.known) for p in result.people] == [
        ("person:vladimir-putin", True),
        ("person:nguyen-van-an", False),
    ]


def test_event_ids_are_stable(blanks: dict[str, Language]) -> None:
    text = "In November 2014 Russia and Vietnam signed an agreement."
    first = extract(build(blanks["en"], text, [("November 2014", "DATE", month("2014-11"))]), "en")
    again = extract(build(blanks["en"], text, [("November 2014", "DATE", month("2014-11"))]), "en")
    assert first.model_dump() == again.model_dump()


# ------------------------------------------------------------ extract_document


def _rule_pipeline() -> Language:
    """A blank English pipeline that marks a few entities and dates, anchoring on published."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [
            {"label": "GPE", "pattern": "Russia"},
            {"label": "GPE", "pattern": "Vietnam"},
            {"label": "DATE", "pattern": [{"LOWER": "last"}, {"LOWER": "year"}]},
            {"label": "DATE", "pattern": [{"LOWER": "june"}, {"TEXT": "2016"}]},
        ]
    )
    nlp.add_pipe("test_extract_attrs")
    return nlp


@Language.component("test_extract_attrs")
def _attrs(doc: Doc) -> Doc:
    for ent in doc.ents:
        if ent.label_ == "GPE":
            ent._.canonical = {"Russia": "RU", "Vietnam": "VN"}[ent.text]
        elif ent.text.lower() == "last year" and doc._.published is not None:
            value = str(doc._.published.year - 1)
            ent._.date = {"value": value, "precision": "year", "anchored": True}
        elif ent.label_ == "DATE":
            ent._.date = {"value": "2016-06", "precision": "month", "anchored": False}
    doc._.coverage = ["entity_ruler", "test_extract_attrs"]
    return doc


def _paragraphs(text: str, langs: list[str]) -> list[Paragraph]:
    paras, start = [], 0
    for chunk, lang in zip(text.split("\n\n"), langs, strict=True):
        paras.append(Paragraph(text=chunk, language=lang, start=start, end=start + len(chunk)))
        start += len(chunk) + 2
    return paras


def test_extract_document_offsets_anchoring_and_coverage() -> None:
    text = (
        "Une phrase en français.\n\n"
        "Russia and Vietnam held talks.\n\n"
        "Last year Russia signed an agreement with Vietnam. In June 2016 they met again.\n\n"
        "2016年6月，越南与俄罗斯签署协议。"
    )
    paragraphs = _paragraphs(text, ["fr", "en", "en", "zh"])
    nlp = _rule_pipeline()

    def getter(lang: str) -> Language:
        if lang != "en":
            raise ConfigError(f"no pipeline for {lang}")
        return nlp

    result = extract_document(
        "document:abc",
        text,
        paragraphs,
        published=dt.date(2015, 3, 1),
        options=OPTIONS,
        extractor=EXTRACTOR,
        get_pipeline=getter,
    )
    assert result.coverage == {"en": ["entity_ruler", "test_extract_attrs"], "fr": [], "zh": []}
    assert [(e.type, e.date.value if e.date else None) for e in result.events] == [
        ("agreement_signed", "2014"),
        ("diplomatic_visit", "2016-06"),
    ]
    first = result.events[0]
    assert first.date is not None and first.date.anchored
    for event in result.events:
        ev = event.evidence
        assert text[ev.start : ev.end] == ev.sentence
        assert ev.sentence.endswith(".") and ev.language == "en"
        assert event.date is not None
        assert text[event.date.start : event.date.end] == event.date.text
    assert first.evidence.sentence == "Last year Russia signed an agreement with Vietnam."


def test_languages_outside_options_are_not_processed() -> None:
    text = "In June 2016 Russia signed an agreement with Vietnam."
    calls: list[str] = []

    def getter(lang: str) -> Language:
        calls.append(lang)
        return _rule_pipeline()

    result = extract_document(
        "document:abc",
        text,
        _paragraphs(text, ["en"]),
        published=None,
        options=ExtractOptions(languages=["ru"]),
        extractor=EXTRACTOR,
        get_pipeline=getter,
    )
    assert calls == [] and result.events == [] and result.coverage == {"en": []}


# ----------------------------------------------------------------- the lexicon


def test_lexicon_covers_every_type_and_language() -> None:
    lexicon = load_lexicon()
    languages = set(lang_registry.codes())
    assert set(lexicon.languages) == languages
    for name, spec in lexicon.types.items():
        assert set(spec.triggers) == languages, name
    assert lexicon.types["arms_order"].requires == ["WEAPON"]
    assert lexicon.types["arms_delivery"].requires == ["WEAPON"]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "ru",
            "Они подписали соглашение и посетили базу.",
            {"agreement_signed", "diplomatic_visit"},
        ),
        ("ru", "Москва поставила Ханою корабли.", {"arms_delivery"}),
        ("vi", "Hai bên đã ký kết hiệp định.", {"agreement_signed"}),
        ("vi", "Việt Nam tiếp nhận tàu ngầm.", {"arms_delivery"}),
        ("ar", "والاتفاقية الجديدة", {"agreement_signed"}),
        ("ar", "أجرى البلدان مناورات مشتركة", {"military_cooperation"}),
        ("zh", "两国举行联合演习", {"military_cooperation"}),
        ("en", "The two navies held a joint exercise.", {"military_cooperation"}),
    ],
)
def test_trigger_forms(lang: str, text: str, expected: set[str]) -> None:
    assert expected <= {t.type for t in find_triggers(text, lang)}


@pytest.mark.parametrize(
    ("lang", "text", "absent"),
    [
        ("en", "They came in order to talk.", "arms_order"),
        ("en", "This was a significant signal.", "agreement_signed"),
        ("en", "Decisions were based on facts.", "deployment_or_basing"),
        ("vi", "Liên doanh thăm dò dầu khí.", "diplomatic_visit"),
        ("ru", "Это базовый курс.", "deployment_or_basing"),
    ],
)
def test_excluded_phrases_do_not_trigger(lang: str, text: str, absent: str) -> None:
    assert absent not in {t.type for t in find_triggers(text, lang)}


def test_trigger_offsets_point_at_the_text() -> None:
    text = "Вьетнам заказал самолёты, а Россия их поставила."
    for trig in find_triggers(text, "ru"):
        assert text[trig.start : trig.end] == trig.text


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "version: 1\nlanguages: {en: {}}\ntypes:\n  other:\n"
            "    triggers: {en: {x: 0.5, x: 0.6}}\n",
            "duplicate key",
        ),
        (
            "version: 1\nlanguages: {en: {}}\ntypes:\n  other:\n    triggers: {en: {x: 1.5}}\n",
            "weight",
        ),
        ("version: 1\nlanguages: {en: {}}\ntypes:\n  other:\n    triggers: {fr: {x: 0.5}}\n", "fr"),
        ("version: 1\nlanguages: {en: {}}\ntypes:\n  party: {}\n", "types.party"),
    ],
)
def test_bad_lexicon_is_refused(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "triggers.yaml"
    path.write_text(body, "utf-8")
    with pytest.raises(ConfigError, match=message):
        load_lexicon(path)


def test_pipeline_is_fetched_once_per_language() -> None:
    text = "In June 2016 Russia signed an agreement.\n\nBonjour.\n\nLast year Vietnam met Russia."
    calls: list[str] = []
    nlp = _rule_pipeline()

    def getter(lang: str) -> Language:
        calls.append(lang)
        if lang != "en":
            raise ConfigError(f"no pipeline for {lang}")
        return nlp

    result = extract_document(
        "document:abc",
        text,
        _paragraphs(text, ["en", "fr", "en"]),
        published=dt.date(2017, 1, 1),
        options=ExtractOptions(languages=["en", "fr"]),
        extractor=EXTRACTOR,
        get_pipeline=getter,
    )
    assert calls == ["en", "fr"]
    assert [(e.type, e.date.value if e.date else None) for e in result.events] == [
        ("agreement_signed", "2016-06"),
        ("diplomatic_visit", "2016"),
    ]
    assert result.events[1].evidence.start == text.index("Last year")


def test_paragraph_outside_the_text_is_an_extract_error() -> None:
    bad = [Paragraph(text="x", language="en", start=5, end=50)]
    with pytest.raises(ExtractError, match="document:abc"):
        extract_document(
            "document:abc",
            "short",
            bad,
            published=None,
            options=OPTIONS,
            extractor=EXTRACTOR,
            get_pipeline=lambda lang: _rule_pipeline(),
        )


def test_decomposed_vietnamese_matches_and_offsets_map_back() -> None:
    composed = "Năm 2014, hai bên ký kết hiệp định."
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    found = find_triggers(decomposed, "vi")
    assert {t.type for t in found} == {t.type for t in find_triggers(composed, "vi")}
    for trig in found:
        assert decomposed[trig.start : trig.end] == trig.text
        assert unicodedata.normalize("NFC", trig.text) in composed


def test_sentence_boundary_inside_an_entity_is_ignored(blanks: dict[str, Language]) -> None:
    text = "首艘636.1型潜艇于2014年1月运抵金兰湾。"
    doc = build(
        blanks["zh"],
        text,
        [("636.1型", "WEAPON", KILO), ("2014年1月", "DATE", month("2014-01"))],
    )
    for token in doc:
        token.is_sent_start = token.i == 0 or doc[token.i - 1].text == "."
    assert len(list(doc.sents)) == 2  # the splitter cut "636.1"
    [event] = extract(doc, "zh").events
    assert event.type == "arms_delivery"
    assert event.evidence.sentence == text


def test_variant_and_bare_family_are_their_own_weapon_records() -> None:
    # regression: a Su-30MKK and a bare Su-30 were recorded as the data's one Su-30 entry
    # (the data now lists both; an unlisted variant and a family without an entry of its
    # own still are records of their own)
    nlp = spacy.blank("en")
    nlp.add_pipe(WEAPONS_COMPONENT)
    doc = nlp("Venezuela ordered ten Su-30MKV, and Russia fields the Kh-47 and the Su-30MK2.")
    weapons = extract(doc, "en").weapons
    found = [(w.id, w.name, w.family, w.category, w.known, w.mention.quantity) for w in weapons]
    assert found == [
        ("weapon:su-30mkv", "Su-30MKV", "Su-30", "aircraft", False, 10),
        ("weapon:kh-47", "Kh-47", "Kh-47", "missile", False, None),
        ("weapon:su-30mk2", "Su-30MK2", "Su-30", "aircraft", True, None),
    ]
