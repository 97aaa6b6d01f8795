"""Per-document cost of extraction: the shortcuts give what the long way gives, and are
taken (issue 11 item 4; figures in docs/performance.md, "Per-document CPU")."""

from __future__ import annotations

import unicodedata
from collections import Counter

import pytest
import spacy

from pipeline.clean import _scripts
from pipeline.extensions import _settled, merge_ents
from pipeline.extract import DocPart, load_lexicon, matcher
from pipeline.extract.events import _Gaps
from pipeline.extract.matcher import clause_words, find_triggers
from schemas.records import DateInfo

# own sentences: triggers at the start, the end, inside words, after proclitics, cased,
# decomposed, folded, next to excluded phrases, and none at all
TEXTS = [
    "In March 2014 Russia signed a contract to deliver two S-400 systems and said so.",
    "DELIVERED in 2019: the second batch; an agreement was reached in order to sell more.",
    "Nothing happens here, undelivered words and redelivery aside.",
    "В 2015 году Россия поставила Вьетнаму шесть подводных лодок и подписала соглашение.",
    "У 2022 році Україна отримала системи ППО, про що заявив міністр.",
    "وقعت مصر والسعودية اتفاقية لشراء طائرات في عام 2015 وبالتسليم لاحقا.",
    "وسلّمت روسيا الجزائر دبابات تي-90 إس، لتضيف إلى صفقات السلاح",
    "Năm 2014, hai bên ký kết hiệp định mua bán tàu ngầm.",
    unicodedata.normalize("NFD", "Năm 2014, hai bên ký kết hiệp định mua bán tàu ngầm."),
    "2016年越南签署协议购买六艘潜艇,俄罗斯交付了首批。",
    "2016年越南簽署協議購買六艘潛艇,俄羅斯交付了首批。",
    "",
    "   ",
]


@pytest.mark.parametrize("lang", sorted(load_lexicon().languages))
def test_one_scan_finds_the_triggers_each_pattern_finds(lang: str) -> None:
    """The combined pattern picks out exactly the triggers whose own pattern matches
    somewhere: none lost, none added (every text against every language)."""
    compiled = matcher._compiled(lang)
    assert compiled.any_trigger is not None
    for text in TEXTS:
        normal, _ = matcher._nfc_with_offsets(text)
        expected = [t for t in compiled.triggers if t.pattern.search(normal)]
        assert matcher._present(normal, compiled) == expected, (lang, text)


def test_a_sentence_is_scanned_once_however_often_it_is_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scans: list[str] = []
    present = matcher._present

    def counted(normal: str, compiled: matcher._LanguageTriggers) -> list[object]:
        scans.append(normal)
        return present(normal, compiled)  # type: ignore[return-value]

    monkeypatch.setattr(matcher, "_present", counted)
    matcher._find_triggers.cache_clear()
    text = "In March 2014 Russia signed a contract to deliver two S-400 systems."
    first = find_triggers(text, "en")
    first.clear()  # a caller's list is its own
    again = find_triggers(text, "en")
    assert scans == [text]
    assert {t.text for t in again} >= {"signed", "contract", "deliver"}
    assert [text[t.start : t.end] for t in again] == [t.text for t in again]


def test_gaps_count_clause_marks_and_words_between() -> None:
    lexicon = load_lexicon()
    text = "Russia signed (again) a deal, and in 2015; it delivered"
    base = 100
    gaps = _Gaps(text, base, "en", lexicon)

    def date(word: str) -> DateInfo:
        at = text.index(word) + base
        return DateInfo(text=word, value=word, start=at, end=at + len(word), precision="year")

    signed = text.index("signed") + base
    words = clause_words("en")
    assert words is not None
    between = text[signed + len("signed") - base : text.index("2015")]
    marks = sum(ch in lexicon.clause_marks for ch in between) + len(words.findall(between))
    assert marks == 4  # "(", ")", "," and "and"
    gap = text.index("2015") + base - (signed + len("signed"))
    expected = (gap + lexicon.clause_penalty * marks, marks)
    assert gaps.apart(signed, signed + len("signed"), date("2015")) == expected
    # asked again (another trigger's nearest date): the same answer, not measured again
    assert gaps.apart(signed, signed + len("signed"), date("2015")) == expected
    assert len(gaps._known) == 1
    # a date inside the word: no gap, no marks
    assert gaps.apart(signed, signed + 6, date("signed")) == (0, 0)


def test_a_part_makes_its_entity_spans_once() -> None:
    nlp = spacy.blank("en")
    doc = nlp.make_doc("Russia sold Vietnam six submarines. India bought S-400 systems in 2018.")
    doc.ents = [
        doc.char_span(0, 6, label="GPE"),
        doc.char_span(12, 19, label="GPE"),
        doc.char_span(36, 41, label="GPE"),
        doc.char_span(49, 54, label="WEAPON", alignment_mode="expand"),
        doc.char_span(66, 70, label="DATE"),
    ]
    india = doc.char_span(36, 41)
    assert india is not None
    for token in doc:
        token.is_sent_start = token.i in (0, india.start)
    part = DocPart(doc=doc, offset=0, language="en")
    assert part.ents is part.ents
    assert [(e.start, e.end, e.label_) for e in part.ents] == [
        (e.start, e.end, e.label_) for e in doc.ents
    ]
    for sent in doc.sents:
        assert [(e.start, e.end, e.label_) for e in part.ents_in(sent)] == [
            (e.start, e.end, e.label_) for e in sent.ents
        ]


def test_scripts_count_letters_per_script_in_order_of_appearance() -> None:
    counts = _scripts("Мир, hello 中文 world! Ё 123")
    assert counts == Counter({"LATIN": 10, "CYRILLIC": 4, "CJK": 2})
    assert list(counts) == ["CYRILLIC", "LATIN", "CJK"]
    assert _scripts("123 !?") == Counter()


def test_merging_nothing_still_marks_missing_tokens_outside() -> None:
    """``merge_ents`` skips re-setting the entities only where that changes nothing."""
    nlp = spacy.blank("en")
    fresh = nlp.make_doc("Russia sold Vietnam six submarines.")
    assert not _settled(fresh)  # no token marked yet
    merge_ents(fresh, [])
    assert [t.ent_iob_ for t in fresh] == ["O"] * len(fresh)
    assert _settled(fresh)

    doc = nlp.make_doc("Russia sold Vietnam six submarines.")
    doc.ents = [doc.char_span(0, 6, label="GPE")]
    before = [(t.ent_iob_, t.ent_type_) for t in doc]
    merge_ents(doc, [doc.char_span(0, 6, label="PERSON")])  # overlaps: not added
    assert [(t.ent_iob_, t.ent_type_) for t in doc] == before
    merge_ents(doc, [doc.char_span(12, 19, label="GPE")])
    assert [(e.text, e.label_) for e in doc.ents] == [("Russia", "GPE"), ("Vietnam", "GPE")]
