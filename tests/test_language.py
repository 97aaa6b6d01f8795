"""Language identification: script rules, model backends, paragraphs, floors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pipeline.config import LanguageOptions
from pipeline.evaluate import shared_dir
from pipeline.language import (
    LanguageDetector,
    ScriptTable,
    characters_by_language,
    get_detector,
    main_language,
    script_table,
    script_word,
)


@pytest.fixture(scope="session")
def detector() -> LanguageDetector:
    return get_detector(LanguageOptions())


@pytest.fixture(scope="session")
def langdetect_detector() -> LanguageDetector:
    return get_detector(LanguageOptions(backend="langdetect"))


CASES = [
    # core languages, full sentences
    (
        "en",
        "The six Kilo-class submarines were delivered to the Vietnamese navy from 2014 to 2017.",
    ),
    ("ru", "Вьетнам получил шесть подводных лодок проекта 636.1 в 2014–2017 годах."),
    ("ar", "تقع مدينة هانوي في شمال فيتنام وهي عاصمة البلاد."),
    ("vi", "Hà Nội là thủ đô của nước Cộng hòa Xã hội chủ nghĩa Việt Nam."),
    ("zh", "河内是越南的首都，位于红河三角洲。"),
    # short lines decided by script
    ("ar", "موسكو"),
    ("ar", "روسيا"),
    ("vi", "Bộ Quốc phòng"),
    ("vi", "Hải Phòng"),
    ("vi", "Thủ tướng"),
    ("zh", "首页"),
    ("zh", "相关文章"),
    ("zh", "打印"),
    ("zh", "越南, Hanoi"),
    ("ja", "東京は日本の首都です。"),
    ("ko", "서울은 대한민국의 수도이다."),
    ("fa", "تهران پایتخت ایران است."),
    # neighbours are not forced into the five
    ("uk", "Київ розташований на обох берегах річки Дніпро."),
    ("fr", "Paris est traversée par la Seine et compte vingt arrondissements."),
    # mixed paragraphs take their dominant language
    ("en", "Sergey Lavrov (Сергей Лавров) has been Russia's foreign minister since 2004."),
    ("en", "Nguyễn Tấn Dũng was the prime minister of Vietnam from 2006 to 2016."),
    ("en", "Contact the editor at editor@example.org or see https://example.org/ru/статья"),
    ("ru", "Фрегаты типа Gepard 3.9 построены на заводе в Зеленодольске."),
    ("ar", "اشترت فيتنام منظومة S-300PMU1 من روسيا."),
    ("vi", "Việt Nam mua 64 xe tăng T-90S/SK của Nga năm 2017."),
    # nothing to detect
    ("und", "2014–2017"),
    ("und", ""),
    ("und", "   \t "),
    ("und", "© 2025 — №12"),
]


@pytest.mark.parametrize(("expected", "text"), CASES)
def test_detect_lingua(detector: LanguageDetector, expected: str, text: str) -> None:
    assert detector.detect(text) == expected


# the script layer makes these independent of the backend
SCRIPT_CASES = [c for c in CASES if c[0] in ("ar", "zh", "ja", "ko", "und") or len(c[1]) < 16]


@pytest.mark.parametrize(("expected", "text"), SCRIPT_CASES)
def test_detect_langdetect_script_layer(
    langdetect_detector: LanguageDetector, expected: str, text: str
) -> None:
    assert langdetect_detector.detect(text) == expected


@pytest.mark.parametrize(
    ("expected", "text"),
    [
        ("en", "The S-400 is a long-range surface-to-air missile system built in Russia."),
        ("ru", "Москва является столицей Российской Федерации и крупнейшим городом страны."),
        ("vi", "Thành phố Hồ Chí Minh là thành phố lớn nhất Việt Nam."),
    ],
)
def test_langdetect_backend_sentences(
    langdetect_detector: LanguageDetector, expected: str, text: str
) -> None:
    assert langdetect_detector.detect(text) == expected


def test_chinese_ui_labels_are_not_korean_regression(
    detector: LanguageDetector, langdetect_detector: LanguageDetector
) -> None:
    # langdetect alone calls these labels "ko"
    for label in ("首页", "相关文章", "打印", "返回顶部"):
        assert detector.detect(label) == "zh"
        assert langdetect_detector.detect(label) == "zh"


def test_detect_paragraphs_offsets_and_languages(detector: LanguageDetector) -> None:
    text = (
        "  Cam Ranh Bay hosted a Soviet naval base from 1979 to 2002.\n"
        "\n"
        "全文:\n"
        "Россия и Вьетнам подписали соглашение о базе в ноябре 2014 года.  \n"
        "   \n"
        "Việt Nam và Liên bang Nga thiết lập quan hệ ngoại giao năm 1950."
    )
    spans = detector.detect_paragraphs(text)
    assert [lang for _, _, lang in spans] == ["en", "zh", "ru", "vi"]
    for start, end, _ in spans:
        piece = text[start:end]
        assert piece == piece.strip() and piece
        assert "\n" not in piece
    assert text[spans[0][0] : spans[0][1]].startswith("Cam Ranh Bay")
    assert text[spans[2][0] : spans[2][1]].endswith("2014 года.")


def test_document_language_is_most_characters(detector: LanguageDetector) -> None:
    text = (
        "首页\n相关文章\n"
        "Russia and Vietnam established diplomatic relations on 30 January 1950.\n"
        "The two countries signed a strategic partnership in 2001.\n"
    )
    profile = detector.profile(text)
    assert profile.language == "en"
    assert set(profile.languages) == {"en", "zh"}
    assert profile.languages["zh"] == len("首页") + len("相关文章")
    assert sum(profile.languages.values()) == sum(e - s for s, e, _ in profile.paragraphs)


def test_main_language_ties_and_undetermined() -> None:
    assert main_language({}) == "und"
    assert main_language({"und": 40}) == "und"
    assert main_language({"und": 400, "ru": 10}) == "ru"
    assert main_language({"ru": 10, "en": 10}) == "en"  # ties broken by code, stably
    assert characters_by_language([(0, 5, "ru"), (6, 9, "en"), (10, 12, "ru")]) == {
        "en": 3,
        "ru": 7,
    }


def test_deterministic_across_calls_and_instances() -> None:
    texts = ["Hanoi", "Kilo", "Moskva Hanoi", "Su-30MK2 delivered", "Yak-130 trainer"]
    for backend in ("lingua", "langdetect"):
        first = LanguageDetector(LanguageOptions(backend=backend))
        second = LanguageDetector(LanguageOptions(backend=backend))
        answers = [first.detect(t) for t in texts]
        assert answers == [first.detect(t) for t in texts]
        assert answers == [second.detect(t) for t in texts]


def test_detector_is_cached() -> None:
    assert get_detector(LanguageOptions()) is get_detector(LanguageOptions())
    assert get_detector(LanguageOptions()) is not get_detector(
        LanguageOptions(backend="langdetect")
    )


def test_only_configured_languages_are_answered() -> None:
    narrow = LanguageDetector(LanguageOptions(languages=["en", "ru"]))
    # Ukrainian text can only be compared with the configured Cyrillic language
    assert narrow.detect("Київ розташований на обох берегах річки Дніпро.") == "ru"
    # a Han label with no Chinese configured is undetermined, not guessed
    assert narrow.detect("首页") == "und"
    assert narrow.detect("Paris est traversée par la Seine.") == "en"


def test_persian_letters_need_persian_configured() -> None:
    without_fa = LanguageDetector(LanguageOptions(languages=["ar", "en", "ur"]))
    assert without_fa.detect("گ") == "ur"
    arabic_only = LanguageDetector(LanguageOptions(languages=["ar", "en"]))
    assert arabic_only.detect("تهران پایتخت ایران است.") == "ar"


def test_script_table_is_valid_and_rejects_bad_rules() -> None:
    table = script_table().table
    assert table.script_languages["han"] == "zh"
    data = table.model_dump()
    data["scripts"]["latin"] = [(0x7A, 0x41)]
    with pytest.raises(ValidationError, match="bad range"):
        ScriptTable.model_validate(data)
    data = table.model_dump()
    data["script_languages"]["runic"] = "non"
    with pytest.raises(ValidationError, match="unknown scripts"):
        ScriptTable.model_validate(data)


@pytest.mark.shared
def test_lingua_testdata_sentence_floors() -> None:
    root = shared_dir() / "eval" / "langid" / "lingua-testdata"
    if not root.exists():
        pytest.skip(f"shared evaluation data not found: {root}")
    from pipeline.evaluate.langid import evaluate

    report = evaluate(root, "lingua", tiers=("sentences",), limit=200)
    accuracy = {row["language"]: row["accuracy"] for row in report.rows}
    for language in ("ar", "en", "ru", "vi", "zh"):
        assert accuracy[language] >= 0.99, (language, accuracy[language], report.to_markdown())


@pytest.mark.parametrize("pair", ["naval base", "submarine torpedo", "global communication"])
def test_preferred_languages_win_close_calls(detector: LanguageDetector, pair: str) -> None:
    plain = get_detector(LanguageOptions(preference_ratio=1.0))
    assert plain.detect(pair) != "en"  # the bare model leans to a neighbour
    assert detector.detect(pair) == "en"


def test_low_accuracy_mode_still_reads_sentences() -> None:
    fast = get_detector(LanguageOptions(low_accuracy=True))
    assert fast.detect("The frigates were built at Zelenodolsk on the Volga.") == "en"
    assert fast.detect("Фрегаты построены в Зеленодольске на Волге.") == "ru"


@pytest.mark.parametrize(
    ("lang", "word", "expected"),
    [
        ("ar", "بوتين", True),
        ("ar", "أَحْمَد", True),  # harakat are marks the normalisation removes
        ("ar", "Putin", False),
        ("ar", "بوتين2", False),
        ("ru", "Путин", True),
        ("ru", "Putin", False),
        ("zh", "习近平", True),
    ],
)
def test_script_word_follows_the_registry_scripts(lang: str, word: str, expected: bool) -> None:
    assert bool(script_word(lang).fullmatch(word)) is expected
