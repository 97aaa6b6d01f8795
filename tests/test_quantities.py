"""Number words per language and the quantity governing a weapon mention."""

from __future__ import annotations

import pytest
import spacy

from pipeline.extract.records import DocPart, weapon_mention
from pipeline.nlp import blank
from pipeline.quantities import (
    find_quantity,
    find_quantity_detail,
    load_numbers,
    parse_number,
    quantity_value,
)
from pipeline.weapons import find_mentions
from schemas.records import Quantity


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("12", "en", 12),
        ("1,000", "en", 1000),
        ("١٢", "ar", 12),  # Arabic-Indic digits
        ("１２", "zh", 12),  # full-width digits
        ("one", "en", 1),
        ("twelve", "en", 12),
        ("twenty", "en", 20),
        ("thirty-six", "en", 36),
        ("twenty four", "en", 24),
        ("a dozen", "en", 12),
        ("two dozen", "en", 24),
        ("a pair of", "en", 2),
        ("one hundred", "en", 100),
        ("шесть", "ru", 6),
        ("шести", "ru", 6),
        ("шестью", "ru", 6),
        ("двенадцать", "ru", 12),
        ("двенадцати", "ru", 12),
        ("два", "ru", 2),
        ("две", "ru", 2),
        ("двух", "ru", 2),
        ("четыре", "ru", 4),
        ("четырёх", "ru", 4),
        ("четырех", "ru", 4),
        ("двадцати четырёх", "ru", 24),
        ("шестьдесят четыре", "ru", 64),
        ("ست", "ar", 6),
        ("ستة", "ar", 6),
        ("اثنتا عشرة", "ar", 12),
        ("اثنتي عشرة", "ar", 12),
        ("اثني عشر", "ar", 12),
        ("أربع", "ar", 4),
        ("أربعة", "ar", 4),
        ("عشرين", "ar", 20),
        ("ستة وثلاثون", "ar", 36),
        ("واثنتي عشرة", "ar", 12),  # conjunction و attached
        ("một", "vi", 1),
        ("hai", "vi", 2),
        ("ba", "vi", 3),
        ("bốn", "vi", 4),
        ("năm", "vi", 5),
        ("sáu", "vi", 6),
        ("bảy", "vi", 7),
        ("tám", "vi", 8),
        ("chín", "vi", 9),
        ("mười", "vi", 10),
        ("mười hai", "vi", 12),
        ("mười lăm", "vi", 15),
        ("hai mươi", "vi", 20),
        ("hai mươi tư", "vi", 24),
        ("六", "zh", 6),
        ("两", "zh", 2),
        ("十", "zh", 10),
        ("十二", "zh", 12),
        ("二十", "zh", 20),
        ("三十六", "zh", 36),
        ("一百", "zh", 100),
    ],
)
def test_parse_number(text: str, lang: str, expected: int) -> None:
    assert parse_number(text, lang) == expected


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("12th", "en"),
        ("1990s", "en"),
        ("1.5", "en"),
        ("four six", "en"),
        ("twelve twenty", "en"),
        ("submarines", "en"),
        ("", "en"),
        ("подводных", "ru"),
        ("طائرة", "ar"),
        ("tàu", "vi"),
        ("潜艇", "zh"),
        ("twelve", "xx"),  # no number words for the language
    ],
)
def test_parse_number_refuses(text: str, lang: str) -> None:
    assert parse_number(text, lang) is None


def quantities(text: str, lang: str) -> list[tuple[str, int | None]]:
    """(mention, quantity) for every weapon mention, as the component computes them."""
    out = []
    previous = 0
    for mention in find_mentions(text):
        out.append(
            (
                mention.text,
                find_quantity(text, mention.outer_start, mention.end, lang, left_limit=previous),
            )
        )
        previous = mention.end
    return out


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        (
            "Russia agreed to sell Vietnam six Kilo-class submarines.",
            "en",
            [("Kilo", 6)],
        ),
        (
            "Hanoi ordered twelve Su-30MK2 multirole fighters in 2009.",
            "en",
            [("Su-30MK2", 12)],
        ),
        (
            "Hanoi then signed for twelve Sukhoi Su-30MK2 multirole jets.",
            "en",
            [("Sukhoi Su-30MK2", 12)],
        ),
        ("Vietnam received a pair of Su-30MK2 jets.", "en", [("Su-30MK2", 2)]),
        ("It bought Su-30MK2 (12 units) in 2013.", "en", [("Su-30MK2", 12)]),
        (
            "Вьетнам заказал двенадцать истребителей Су-30МК2.",
            "ru",
            [("Су-30МК2", 12)],
        ),
        (
            "Контракт на поставку двенадцати истребителей Су-30МК2 подписан.",
            "ru",
            [("Су-30МК2", 12)],
        ),
        (
            "Контракт на строительство шести подводных лодок проекта 636.1 подписан в 2009 году.",
            "ru",
            [("проекта 636.1", 6)],
        ),
        ("Поставлены Су-30МК2 в количестве 12 единиц.", "ru", [("Су-30МК2", 12)]),
        (
            "اشترت فيتنام ست غواصات من طراز فارشافيانكا.",
            "ar",
            [("فارشافيانكا", 6)],
        ),
        (
            "طلبت هانوي اثنتي عشرة مقاتلة إضافية من نوع سوخوي سو-30.",
            "ar",
            [("سوخوي سو-30", 12)],
        ),
        ("Việt Nam mua 12 tiêm kích Su-30MK2.", "vi", [("Su-30MK2", 12)]),
        ("Hải quân nhận sáu tàu ngầm lớp Kilo.", "vi", [("Kilo", 6)]),
        ("Nga bàn giao năm tàu ngầm Kilo.", "vi", [("Kilo", 5)]),
        ("越南购买了12架苏-30MK2战斗机。", "zh", [("苏-30MK2", 12)]),
        ("越南订购了6艘基洛级潜艇。", "zh", [("基洛级", 6)]),
        ("越南再订购了二十架苏-30MK2。", "zh", [("苏-30MK2", 20)]),
        ("20架苏-30MK2", "zh", [("苏-30MK2", 20)]),
        ("越南购买了两套堡垒岸舰导弹系统。", "zh", [("堡垒", 2)]),
        # a pair without "a", Russian plural case, Arabic duals and a number after the noun
        ("A second pair of Gepard 3.9 frigates arrived.", "en", [("Gepard 3.9", 2)]),
        ("Поставки шести «Варшавянок» завершились.", "ru", [("Варшавянок", 6)]),
        ("تسلمت البحرية أول فرقاطتين من طراز جيبارد 3.9.", "ar", [("جيبارد 3.9", 2)]),
        ("حصلت فيتنام على كتيبتين من منظومات إس-300 بي إم يو 1.", "ar", [("إس-300 بي إم يو 1", 2)]),
        ("وصلت غواصات كيلو الست إلى كام رانه.", "ar", [("كيلو", 6)]),
        ("Hải quân nhận chiếc cuối cùng trong số sáu tàu ngầm Kilo.", "vi", [("Kilo", 6)]),
        # Chinese measure words count in a sentence of another language too
        ("Vietnam ordered 二十架 Su-30MK2.", "en", [("Su-30MK2", 20)]),
        # Ukrainian: batteries count as units; genitive counts; an apostrophe in any form
        ("Партнери передали дві батареї ЗРК Patriot.", "uk", [("Patriot", 2)]),
        (
            "Союзники пообіцяли чотирьох HIMARS і шість гаубиць M777.",
            "uk",
            [
                ("HIMARS", 4),
                ("M777", 6),
            ],
        ),
        ("Армія отримала п’ять комплексів NASAMS.", "uk", [("NASAMS", 5)]),
        ("Польща передала 60 танків Т-72 навесні.", "uk", [("Т-72", 60)]),
    ],
)
def test_find_quantity(text: str, lang: str, expected: list[tuple[str, int | None]]) -> None:
    assert quantities(text, lang) == expected


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # years
        ("In 2014 Su-30MK2 fighters arrived.", "en"),
        ("Năm 2014 Su-30MK2 đã đến Việt Nam.", "vi"),
        # "năm" without a classifier after it is "year", not five (needs_classifier)
        ("Cả năm Su-30MK2 đã đến Việt Nam.", "vi"),
        ("2014年苏-30MK2抵达越南。", "zh"),
        ("В 2014 году Су-30МК2 прибыли.", "ru"),
        ("في عام 2014 وصلت سو-30 إلى فيتنام.", "ar"),
        # money and percentages
        ("A $550 million Su-30MK2 contract was signed.", "en"),
        ("Russia supplied 49% Su-30MK2 parts.", "en"),
        ("Сделка на 1 млрд Су-30МК2 обсуждалась.", "ru"),
        # ordinals and decades
        ("The 12th Su-30MK2 landed.", "en"),
        ("In the 1990s Su-27SK fighters came.", "en"),
        ("Chiếc thứ hai Su-30MK2 hạ cánh.", "vi"),
        ("第12架苏-30MK2交付。", "zh"),
        # sentence boundary and clause barriers
        ("Vietnam bought six. Su-30MK2 fighters followed.", "en"),
        ("Vietnam bought six submarines, and Su-30MK2 fighters.", "en"),
        ("Вьетнам получил шесть лодок. Су-30МК2 прибыли позже.", "ru"),
        ("越南购买了6艘潜艇和苏-30MK2。", "zh"),
        # too far away
        ("Six very old and rusty but still quite useful Su-30MK2 airframes.", "en"),
    ],
)
def test_find_quantity_refuses(text: str, lang: str) -> None:
    found = quantities(text, lang)
    assert found, "the weapon itself must still be found"
    assert all(quantity is None for _, quantity in found)


def test_quantity_belongs_to_its_own_mention() -> None:
    text = "Russia sold six Kilo-class submarines and Su-30MK2 fighters."
    assert quantities(text, "en") == [("Kilo", 6), ("Su-30MK2", None)]


def test_quantity_uses_doc_sentences() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    doc = nlp("Vietnam ordered twelve Su-30MK2 jets. Then came Su-30MK2 spares.")
    first = doc.text.index("Su-30MK2")
    second = doc.text.index("Su-30MK2", first + 1)
    assert find_quantity(doc, first, first + 8, "en") == 12
    assert find_quantity(doc, second, second + 8, "en") is None


def test_number_words_data_is_validated() -> None:
    tables = load_numbers()
    assert {"en", "ru", "ar", "vi", "zh"} <= set(tables.languages)
    assert tables.common.year_min < tables.common.year_max


# ---------------------------------------------------------------------------
# Quantities as a reader states them (schemas.records.Quantity)


def stated(text: str, lang: str) -> list[tuple[str, tuple[object, ...] | None]]:
    """(mention, (value, high, qualifier, batch, text)) for every weapon mention."""
    out: list[tuple[str, tuple[object, ...] | None]] = []
    previous = 0
    for mention in find_mentions(text):
        q = find_quantity_detail(text, mention.outer_start, mention.end, lang, left_limit=previous)
        out.append(
            (mention.text, None if q is None else (q.value, q.high, q.qualifier, q.batch, q.text))
        )
        previous = mention.end
    return out


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        # approximate numbers and bounds stay what the text says they are
        (
            "Egypt ordered more than 20 Rafale jets.",
            "en",
            [("Rafale", (20, None, "at_least", None, "more than 20"))],
        ),
        (
            "Some 30 Su-30MK2 fighters flew.",
            "en",
            [("Su-30MK2", (30, None, "approximate", None, "Some 30"))],
        ),
        (
            "Kyiv may get up to 12 F-16 jets.",
            "en",
            [("F-16", (12, None, "at_most", None, "up to 12"))],
        ),
        (
            "Египет получит около 30 истребителей Су-35.",
            "ru",
            [("Су-35", (30, None, "approximate", None, "около 30"))],
        ),
        (
            "Армія отримала понад 200 танків Т-72.",
            "uk",
            [("Т-72", (200, None, "at_least", None, "понад 200"))],
        ),
        (
            "Польща передала близько 30 танків Т-72.",
            "uk",
            [("Т-72", (30, None, "approximate", None, "близько 30"))],
        ),
        ("空军装备了逾百架歼-10。", "zh", [("歼-10", (100, None, "at_least", None, "逾百"))]),
        ("空军装备了30余架歼-10。", "zh", [("歼-10", (30, None, "at_least", None, "30余"))]),
        ("空军装备了约30架歼-10。", "zh", [("歼-10", (30, None, "approximate", None, "约30"))]),
        (
            "Việt Nam có hơn 20 tiêm kích Su-30MK2.",
            "vi",
            [("Su-30MK2", (20, None, "at_least", None, "hơn 20"))],
        ),
        (
            "اشترت مصر أكثر من 20 طائرة رافال.",
            "ar",
            [("رافال", (20, None, "at_least", None, "أكثر من 20"))],
        ),
        # ranges
        ("Poland wants 8-12 K2 tanks.", "en", [("K2", (8, 12, "range", None, "8-12"))]),
        ("Poland wants 8 to 12 K2 tanks.", "en", [("K2", (8, 12, "range", None, "8 to 12"))]),
        (
            "Poland wants between 8 and 12 K2 tanks.",
            "en",
            [("K2", (8, 12, "range", None, "between 8 and 12"))],
        ),
        (
            "Алжир закупит от 8 до 12 истребителей Су-35.",
            "ru",
            [("Су-35", (8, 12, "range", None, "от 8 до 12"))],
        ),
        ("空军将采购8至12架歼-10CE。", "zh", [("歼-10CE", (8, 12, "range", None, "8至12"))]),
        (
            "Việt Nam mua từ 8 đến 12 tiêm kích Su-30MK2.",
            "vi",
            [("Su-30MK2", (8, 12, "range", None, "từ 8 đến 12"))],
        ),
        ("تريد مصر بين 8 و12 طائرة رافال.", "ar", [("رافال", (8, 12, "range", None, "بين 8 و12"))]),
        # batches, and the first one
        (
            "Poland took the second batch of 12 K2 tanks.",
            "en",
            [("K2", (12, None, "exact", 2, "12"))],
        ),
        (
            "Прибыла вторая партия из 12 танков Т-90С.",
            "ru",
            [("Т-90С", (12, None, "exact", 2, "12"))],
        ),
        ("巴基斯坦接收第二批12架歼-10CE。", "zh", [("歼-10CE", (12, None, "exact", 2, "12"))]),
        ("巴基斯坦接收首架歼-10CE。", "zh", [("歼-10CE", (1, None, "exact", None, "首架"))]),
        ("巴基斯坦接收第一架歼-10CE。", "zh", [("歼-10CE", (1, None, "exact", None, "第一架"))]),
        (
            "Việt Nam nhận lô thứ hai gồm 12 tiêm kích Su-30MK2.",
            "vi",
            [("Su-30MK2", (12, None, "exact", 2, "12"))],
        ),
        (
            "وصلت الدفعة الثانية من 12 طائرة رافال.",
            "ar",
            [("رافال", (12, None, "exact", 2, "12"))],
        ),
        # number words in their cases, Arabic duals, counts after the noun
        (
            "Поставка пяти полковых комплексов С-400.",
            "ru",
            [("С-400", (5, None, "exact", None, "пяти"))],
        ),
        ("Россия передала обе Су-30МКА.", "ru", [("Су-30МКА", (2, None, "exact", None, "обе"))]),
        ("Передача п'яти комплексів С-300.", "uk", [("С-300", (5, None, "exact", None, "п'яти"))]),
        ("تسلمت مصر مقاتلتين رافال.", "ar", [("رافال", (2, None, "exact", None, "مقاتلتين"))]),
        (
            "签署供应S-400防空导弹系统5个团的合同。",
            "zh",
            [("S-400", (5, None, "exact", None, "5"))],
        ),
        (
            "Ai Cập mua Su-35 lớn nhất từng được xuất khẩu, với số lượng 26 chiếc.",
            "vi",
            [("Su-35", (26, None, "exact", None, "26"))],
        ),
        (
            "Egypt signed a 12-aircraft Rafale deal.",
            "en",
            [("Rafale", (12, None, "exact", None, "12-aircraft"))],
        ),
    ],
)
def test_quantity_as_stated(text: str, lang: str, expected: list[object]) -> None:
    assert stated(text, lang) == expected


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # a day of a month is a date, not a count
        ("До України 31 липня надійшли перші винищувачі F-16.", "uk"),
        ("В Египет 15 мая прибыли истребители Су-35.", "ru"),
        ("On 6 July arrived the F-16 jets.", "en"),
        # "and" makes a range only after "between"; a lone joiner is no range
        ("The 2 and F-16 were seen.", "en"),
        # a date after the noun in Chinese is not a count
        ("首批由丹麦出售的F-16战机6日飞抵阿根廷。", "zh"),
        ("第二架歼-10CE交付。", "zh"),
    ],
)
def test_quantity_as_stated_refuses(text: str, lang: str) -> None:
    found = stated(text, lang)
    assert found, "the weapon itself must still be found"
    assert all(q is None for _, q in found), found


def test_a_range_has_no_single_value() -> None:
    text = "Poland wants 8-12 K2 tanks."
    mention = find_mentions(text)[0]
    assert find_quantity(text, mention.start, mention.end, "en") is None
    detail = find_quantity_detail(text, mention.start, mention.end, "en")
    assert detail is not None and (detail.value, detail.high) == (8, 12)
    assert quantity_value(detail) is None


def test_component_gives_a_count_between_two_mentions_to_the_second() -> None:
    nlp = blank("zh")
    nlp.add_pipe("osintdesk_weapons")
    doc = nlp("印度购买S-400 5套歼-10。")
    found = [(e.text, e._.quantity) for e in doc.ents if e.label_ == "WEAPON"]
    assert found == [("S-400", None), ("歼-10", 5)]
    doc = nlp("印度签署供应S-400防空导弹系统5个团的合同。")
    weapon = next(e for e in doc.ents if e.label_ == "WEAPON")
    assert weapon._.quantity == 5
    assert weapon._.quantity_detail.text == "5"


def test_the_record_keeps_the_quantity_as_stated() -> None:
    nlp = blank("en")
    nlp.add_pipe("osintdesk_weapons")
    doc = nlp("Egypt ordered about 30 Rafale jets and 8-12 K2 tanks.")
    part = DocPart(doc=doc, offset=0, language="en")
    rafale, k2 = [weapon_mention(e, part, "document:x") for e in doc.ents if e.label_ == "WEAPON"]
    assert rafale is not None and k2 is not None
    assert rafale.mention.quantity == 30
    assert rafale.mention.quantity_detail == Quantity(
        value=30, qualifier="approximate", text="about 30"
    )
    assert k2.mention.quantity is None
    assert k2.mention.quantity_detail == Quantity(value=8, high=12, qualifier="range", text="8-12")


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            "Egypt ordered 30 Rafale jets and about 12 Su-35 fighters.",
            [("Rafale", 30, "exact"), ("Su-35", 12, "approximate")],
        ),
        (
            "en",
            "It bought Su-30MK2 (12 units) and 8 Yak-130 trainers.",
            [("Su-30MK2", 12, "exact"), ("Yak-130", 8, "exact")],
        ),
        (
            "ru",
            "Алжир получил более 20 Су-30МКА и две С-400.",
            [("Су-30МКА", 20, "at_least"), ("С-400", 2, "exact")],
        ),
        (
            "zh",
            "巴基斯坦订购歼-10CE战斗机36架和约10套红旗-9。",
            [("歼-10CE", 36, "exact"), ("红旗-9", 10, "approximate")],
        ),
    ],
)
def test_each_system_gets_its_own_quantity(
    lang: str, text: str, expected: list[tuple[str, int, str]]
) -> None:
    nlp = blank(lang)
    nlp.add_pipe("osintdesk_weapons")
    doc = nlp(text)
    found = [
        (e.text, e._.quantity, e._.quantity_detail.qualifier if e._.quantity_detail else None)
        for e in doc.ents
        if e.label_ == "WEAPON"
    ]
    assert found == expected


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        # "trên" is also "on": a count, not a bound
        ("Nga triển khai trên 2 tàu hộ vệ Gepard 3.9.", "vi", (2, "exact")),
        ("India got them under 36 Rafale contracts.", "en", (36, "exact")),
        ("France handed over 12 Rafale jets.", "en", (12, "exact")),
        ("Egypt flies well over 20 Rafale jets.", "en", (20, "at_least")),
        ("巴基斯坦最近5架歼-10CE抵达。", "zh", (5, "exact")),
    ],
)
def test_words_that_are_not_always_bounds(text: str, lang: str, expected: tuple[int, str]) -> None:
    [(_, found)] = stated(text, lang)
    assert found is not None and (found[0], found[2]) == expected
