"""The per-language pipeline registry: caching, coverage, sentences, labels."""

from __future__ import annotations

import pytest
from spacy.language import Language

from pipeline import lang as registry
from pipeline.extensions import LABELS
from pipeline.nlp import coverage, get_nlp

# One or two sentences per language, own words, about checkable facts.
TEXTS = {
    "en": "Vietnam received its first Kilo-class submarines from Russia in 2014. "
    "They are based at Cam Ranh Bay.",
    "ru": "Вьетнам получил первые подводные лодки от России в 2014 году. "
    "Их база находится в бухте Камрань.",
    "ar": "تسلمت فيتنام أول غواصة من روسيا عام 2014. هل تتمركز في خليج كام رانه؟ نعم.",
    "vi": "Việt Nam nhận tàu ngầm đầu tiên từ Nga năm 2014. Tàu đóng tại vịnh Cam Ranh.",
    "zh": "越南于2014年从俄罗斯接收了第一艘潜艇。潜艇部署在金兰湾！",
    "uk": "В'єтнам отримав перші підводні човни від Росії у 2014 році. "
    "Вони базуються в бухті Камрань.",
}
SENTENCES = {"en": 2, "ru": 2, "ar": 3, "vi": 2, "zh": 2, "uk": 2}


@pytest.fixture(scope="session", params=registry.codes())
def lang_nlp(request: pytest.FixtureRequest) -> tuple[str, Language]:
    return request.param, get_nlp(request.param)


def test_get_nlp_returns_the_same_object_twice() -> None:
    assert get_nlp("vi") is get_nlp("vi")
    assert get_nlp("ar") is not get_nlp("vi")


def test_every_language_splits_sentences(lang_nlp: tuple[str, Language]) -> None:
    lang, nlp = lang_nlp
    doc = nlp(TEXTS[lang])
    assert len(list(doc.sents)) == SENTENCES[lang]


def test_every_language_emits_only_the_shared_labels(lang_nlp: tuple[str, Language]) -> None:
    lang, nlp = lang_nlp
    doc = nlp(TEXTS[lang])
    labels = {e.label_ for e in doc.ents}
    assert labels <= set(LABELS)
    assert "GPE" in labels  # Vietnam / Russia are found in every language
    codes = {e._.canonical for e in doc.ents if e.label_ == "GPE"}
    assert {"VN", "RU"} <= codes


@pytest.mark.parametrize(
    ("lang", "model_component"),
    [
        ("en", "ner"),
        ("ru", "osintdesk_natasha_ner"),
        ("zh", "osintdesk_lac_ner"),
        ("vi", "osintdesk_rule_ner"),
        ("ar", "osintdesk_rule_ner"),
        ("uk", "osintdesk_rule_ner"),
    ],
)
def test_coverage_lists_the_entity_components(lang: str, model_component: str) -> None:
    names = coverage(lang)
    assert model_component in names
    assert names[-1] == "osintdesk_people"
    assert "sentencizer" not in names and "tok2vec" not in names
    doc = get_nlp(lang)(TEXTS[lang])
    assert doc._.coverage is not None
    assert model_component in doc._.coverage and "osintdesk_people" in doc._.coverage


@pytest.mark.parametrize("lang", ["fr", "xx", "km"])
def test_unsupported_language_gets_sentences_and_no_coverage(lang: str) -> None:
    nlp = get_nlp(lang)
    doc = nlp("Première phrase. Deuxième phrase!")
    assert coverage(lang) == []
    assert len(list(doc.sents)) == 2
    assert doc.ents == ()


def test_english_weapons_component_runs_before_ner_when_installed() -> None:
    names = get_nlp("en").pipe_names
    if "osintdesk_weapons" not in names:
        pytest.skip("pipeline.weapons not installed")
    assert names.index("osintdesk_weapons") < names.index("ner")
    assert names.index("osintdesk_dates") > names.index("ner")


def test_arabic_full_stop_after_a_year_is_its_own_token() -> None:
    doc = get_nlp("ar")("وقعت الاتفاقية عام 1975.")
    assert [t.text for t in doc][-2:] == ["1975", "."]


def test_vietnamese_tokens_are_syllables_with_punctuation_split() -> None:
    doc = get_nlp("vi")("Ông đến Hà Nội.")
    assert [t.text for t in doc] == ["Ông", "đến", "Hà", "Nội", "."]


# Numbers and abbreviations end no sentence (issue 10): the text, then its sentences.
@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("zh", "该合同价值3.75亿美元。越南接收了首批战机。", 2),
        ("uk", "У 2016 р. Україна отримала 4 HIMARS. У 2022–2023 рр. надійшли ще 16.", 2),
        ("ru", "В 1995–2021 гг. Вьетнам закупил 36 истребителей. В 2016 г. прибыли танки.", 2),
        ("vi", "Theo TS. Nguyễn Văn An, tr. 5 của báo cáo nói vậy. Việt Nam đã nhận tàu.", 2),
        ("ar", "تسلمت الجزائر 14 دبابة، وقال الوزير إن الصفقة تمت؛ ثم وصلت الدفعة. هل وصلت؟", 2),
        # a full stop between digits with a space after it still ends the sentence
        ("zh", "越南接收了3. 战机已到。", 2),
    ],
)
def test_sentences_respect_numbers_and_abbreviations(lang: str, text: str, expected: int) -> None:
    assert len(list(get_nlp(lang)(text).sents)) == expected


def test_english_sentences_come_from_the_senter_without_the_parser() -> None:
    """The parser ran only for sentence boundaries; the model's senter gives them (and the
    parser's shared tok2vec goes with it: the NER has its own)."""
    nlp = get_nlp("en")
    assert "senter" in nlp.pipe_names
    assert not {"parser", "tok2vec", "tagger"} & set(nlp.pipe_names)
    doc = nlp("Russia delivered two Kilo-class submarines to Vietnam in 2014. Four more followed.")
    assert [s.text for s in doc.sents] == [
        "Russia delivered two Kilo-class submarines to Vietnam in 2014.",
        "Four more followed.",
    ]


def test_model_enable_names_a_disabled_component() -> None:
    from pipeline.errors import ConfigError
    from pipeline.nlp import _base

    spec = registry.get("en")
    wrong = spec.model_copy(
        update={"pipeline": spec.pipeline.model_copy(update={"model_enable": ["ner"]})}
    )
    with pytest.raises(ConfigError, match="model_enable 'ner'"):
        _base(wrong)
