"""Supplier and recipient of arms transfers, read from the words around each country."""

from __future__ import annotations

import pytest

from pipeline.extract.parties import CountryMention, sentence_roles


def roles(text: str, lang: str, countries: dict[str, str]) -> dict[str, str]:
    """Role per country code; ``countries`` maps the name as written to its code."""
    mentions = []
    for name, code in countries.items():
        start = text.index(name)
        mentions.append(CountryMention(start, start + len(name), code))
    mentions.sort(key=lambda m: m.start)
    return {m.code: role for m, role, _ in sentence_roles(text, 0, mentions, lang)}


@pytest.mark.parametrize(
    ("lang", "text", "countries", "expected"),
    [
        # subject of an acquire verb; source word
        (
            "en",
            "Morocco received the first Apache helicopters from the United States in 2025.",
            {"Morocco": "MA", "United States": "US"},
            {"MA": "recipient", "US": "supplier"},
        ),
        # subject of a supply verb; destination word
        (
            "en",
            "South Korea sold 48 K9 howitzers to Poland.",
            {"South Korea": "KR", "Poland": "PL"},
            {"KR": "supplier", "PL": "recipient"},
        ),
        # a country placed by "from" does not hide the subject from its verb
        (
            "ru",
            "Индия закупила у Франции 36 истребителей Rafale.",
            {"Индия": "IN", "Франции": "FR"},
            {"IN": "recipient", "FR": "supplier"},
        ),
        # the dative after a supply verb or noun receives
        (
            "ru",
            "Россия поставит Египту 24 истребителя.",
            {"Россия": "RU", "Египту": "EG"},
            {"RU": "supplier", "EG": "recipient"},
        ),
        (
            "uk",
            "Швеція передала Україні дві машини ASC 890.",
            {"Швеція": "SE", "Україні": "UA"},
            {"SE": "supplier", "UA": "recipient"},
        ),
        # Arabic: the subject follows its verb; a glued ل makes the recipient
        (
            "ar",
            "وباعت فرنسا لقطر 24 طائرة رافال.",
            {"فرنسا": "FR", "قطر": "QA"},
            {"FR": "supplier", "QA": "recipient"},
        ),
        (
            "ar",
            "تسلمت الهند الدفعة الأولى من روسيا.",
            {"الهند": "IN", "روسيا": "RU"},
            {"IN": "recipient", "RU": "supplier"},
        ),
        # Chinese: 从 marks the source, 向 the destination, substrings without spaces
        (
            "zh",
            "印度尼西亚从法国订购42架阵风战斗机。",
            {"印度尼西亚": "ID", "法国": "FR"},
            {"ID": "recipient", "FR": "supplier"},
        ),
        (
            "zh",
            "韩国向波兰出售了首批K2坦克。",
            {"韩国": "KR", "波兰": "PL"},
            {"KR": "supplier", "PL": "recipient"},
        ),
        # 交付 is as often passive ("Vietnam's sixth submarine delivered"): no subject
        (
            "zh",
            "越南第六艘基洛级潜艇交付。",
            {"越南": "VN"},
            {},
        ),
        (
            "vi",
            "Hàn Quốc bàn giao pháo tự hành K9 cho Ba Lan.",
            {"Hàn Quốc": "KR", "Ba Lan": "PL"},
            {"KR": "supplier", "PL": "recipient"},
        ),
    ],
)
def test_roles_from_the_words(
    lang: str, text: str, countries: dict[str, str], expected: dict[str, str]
) -> None:
    assert roles(text, lang, countries) == expected


def test_a_clause_mark_cuts_the_subject_from_the_verb() -> None:
    found = roles(
        "Germany, which builds the tank, said Norway received 54 Leopard 2A7.",
        "en",
        {"Germany": "DE", "Norway": "NO"},
    )
    assert found == {"NO": "recipient"}


def test_a_supply_noun_has_no_subject() -> None:
    # "Russia and India signed a contract for delivery": India does not deliver
    found = roles(
        "Россия и Индия подписали контракт на поставку пяти полков С-400.",
        "ru",
        {"Россия": "RU", "Индия": "IN"},
    )
    assert found == {}


# -- country names come from CLDR ---------------------------------------------------------


def test_cldr_names_every_registry_language() -> None:
    from pipeline.people.models import load_countries

    countries = {c.code: c for c in load_countries().countries}
    # a country the data file never listed, in every script
    chile = countries["CL"]
    assert chile.name == "Chile"
    assert "Чили" in chile.names["ru"] and "تشيلي" in chile.names["ar"]
    assert "智利" in chile.names["zh"]
    # Chinese reads both scripts: traditional forms come from zh_Hant
    assert {"美国", "美國"} <= set(countries["US"].names["zh"])
    # the file adds what CLDR lacks, and keeps historical states
    assert "РФ" in countries["RU"].names["ru"]
    assert "SU" in countries
    # regions and pseudo-territories are not countries; everyday words are skipped
    assert "EU" not in countries and "XA" not in countries
    assert "مالي" not in countries["ML"].names.get("ar", [])


def test_a_cldr_only_country_is_found_in_text() -> None:
    from pipeline.people.places import country_code

    assert country_code("Guatemala", "en") == "GT"
    assert country_code("Гватемала", "ru") == "GT"
    assert country_code("危地马拉", "zh") == "GT"


def test_a_comma_clause_between_subject_and_verb_keeps_the_subject() -> None:
    found = roles(
        "Словаччина підтвердила, що передала Україні свій дивізіон С-300.",
        "uk",
        {"Словаччина": "SK", "Україні": "UA"},
    )
    assert found == {"SK": "supplier", "UA": "recipient"}


def test_the_other_side_of_a_contract() -> None:
    found = roles(
        "Ai Cập đã ký hợp đồng với Nga để mua 26 tiêm kích Su-35.",
        "vi",
        {"Ai Cập": "EG", "Nga": "RU"},
    )
    assert found == {"EG": "recipient", "RU": "supplier"}
    found = roles(
        "Египет подписал контракт с Россией на закупку истребителей.",
        "ru",
        {"Египет": "EG", "Россией": "RU"},
    )
    assert found == {"EG": "recipient", "RU": "supplier"}


def test_a_supply_noun_is_no_verb_of_its_subject() -> None:
    found = roles(
        "Indonesia, which has recently signed other major arm supplies with French companies.",
        "en",
        {"Indonesia": "ID"},
    )
    assert found == {}


def test_a_passive_verb_turns_its_subject_into_the_recipient() -> None:
    found = roles(
        "Dự kiến chiếc Su-35 đầu tiên của Ai Cập sẽ được giao ngay trong năm nay.",
        "vi",
        {"Ai Cập": "EG"},
    )
    assert found == {"EG": "recipient"}
    assert roles("Taiwan was sold 66 F-16V jets.", "en", {"Taiwan": "TW"}) == {"TW": "recipient"}


def test_arms_events_and_their_mentions_carry_the_parties() -> None:
    """The whole extraction on a small English document (en_core_web_sm)."""
    import datetime as dt

    from pipeline.config import ExtractOptions
    from pipeline.extract import extract_document
    from schemas.records import Extractor, Paragraph

    first = "In 2019 the United States sold 24 MH-60R helicopters to India."
    second = "India received the first S-400 squadron in December 2021."
    text = f"{first}\n\n{second}"
    paragraphs = [
        Paragraph(text=first, language="en", start=0, end=len(first)),
        Paragraph(text=second, language="en", start=len(first) + 2, end=len(text)),
    ]
    result = extract_document(
        "document:t",
        text,
        paragraphs,
        published=dt.date(2024, 5, 1),
        options=ExtractOptions(),
        extractor=Extractor(version="test"),
    )
    parties = {
        w.id: (w.supplier.country, w.supplier.basis, w.recipient.country, w.recipient.basis)
        for e in result.events
        for w in e.weapons
        if w.supplier and w.recipient
    }
    assert parties["weapon:mh-60r"] == ("US", "sentence", "IN", "sentence")
    # no supplier in the text: the system's origin, said so
    assert parties["weapon:s-400"] == ("RU", "origin", "IN", "sentence")
    mention = next(w.mention for w in result.weapons if w.id == "weapon:mh-60r")
    assert mention.supplier is not None and mention.supplier.country == "US"


def test_a_demonym_before_a_passive_verb_is_no_subject() -> None:
    text = "Russian S-400 systems were delivered to Turkey in July 2019."
    mentions = [CountryMention(0, 7, "RU", adjective=True)]
    start = text.index("Turkey")
    mentions.append(CountryMention(start, start + len("Turkey"), "TR"))
    found = {m.code: role for m, role, _ in sentence_roles(text, 0, mentions, "en")}
    assert found == {"TR": "recipient"}


def test_a_country_in_any_case_is_the_country() -> None:
    from pipeline.people.places import country_code

    assert country_code("Египту", "ru") == "EG"  # dative
    assert country_code("Египта", "ru") == "EG"  # genitive, fleeting vowel
    assert country_code("Польщі", "uk") == "PL"
    assert country_code("Німеччини", "uk") == "DE"
