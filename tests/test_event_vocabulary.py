"""Event words and rules added after reading the misses of real articles (the held-out
set's tune half), each checked on sentences of our own about real, checkable events."""

from __future__ import annotations

import pytest
from fixtures.extracting import extract_text

from pipeline.dates import in_year
from pipeline.extract import find_triggers


@pytest.mark.parametrize(
    ("lang", "text", "kind", "date", "weapon"),
    [
        # Arabic: the perfect of "acquire" (اقتنت) and the verbal noun of "receive" (استلام)
        (
            "ar",
            "في عام 2024 اقتنت الأرجنتين 24 طائرة مقاتلة من طراز إف-16 من الدنمارك.",
            "arms_order",
            "2024",
            "weapon:f-16",
        ),
        (
            "ar",
            "في يوليو 2019 بدأ استلام تركيا منظومة إس-400 الروسية.",
            "arms_delivery",
            "2019-07",
            "weapon:s-400",
        ),
        # Chinese: aircraft that "fly into" (飞抵) a country, a ship that "arrives" (抵达)
        # there, are the delivery; traditional characters as well
        (
            "zh",
            "首批6架J-10CE战机2022年3月4日飞抵巴基斯坦。",
            "arms_delivery",
            "2022-03-04",
            "weapon:j-10ce",
        ),
        (
            "zh",
            "首批J-10CE戰機2022年3月4日飛抵巴基斯坦。",
            "arms_delivery",
            "2022-03-04",
            "weapon:j-10ce",
        ),
        (
            "zh",
            "首艘基洛级潜艇“河内”号2014年1月抵达金兰湾。",
            "arms_delivery",
            "2014-01",
            "weapon:kilo-class",
        ),
        # English: "downed" is shot down
        (
            "en",
            "On 24 November 2015, a Turkish F-16 downed a Russian Su-24 near the Syrian border.",
            "incident",
            "2015-11-24",
            "weapon:su-24",
        ),
        # Russian and Ukrainian: a deal or agreement "on the supply of" a system is its order
        (
            "ru",
            "В 2017 году Россия и Турция заключили сделку о поставке зенитных систем С-400.",
            "arms_order",
            "2017",
            "weapon:s-400",
        ),
        (
            "uk",
            "У 2017 році Росія і Туреччина уклали угоду про постачання зенітних систем С-400.",
            "arms_order",
            "2017",
            "weapon:s-400",
        ),
        # Russian and Ukrainian: systems that "arrived" (прибыли, прибули до) are delivered,
        # as English "arrived" already read
        (
            "ru",
            "Первые 10 танков K2 прибыли в Польшу 6 декабря 2022 года.",
            "arms_delivery",
            "2022-12-06",
            "weapon:k2-black-panther",
        ),
        (
            "uk",
            "Перші 10 танків K2 прибули до Польщі 6 грудня 2022 року.",
            "arms_delivery",
            "2022-12-06",
            "weapon:k2-black-panther",
        ),
        # Vietnamese: viện trợ ("give as aid") with a system is its delivery
        (
            "vi",
            "Tháng 9/2023, Mỹ đã viện trợ cho Ukraine những xe tăng Abrams đầu tiên.",
            "arms_delivery",
            "2023-09",
            "weapon:m1-abrams",
        ),
    ],
)
def test_new_trigger_words_type_the_event(
    lang: str, text: str, kind: str, date: str, weapon: str
) -> None:
    events = extract_text(text, lang).events
    assert [(e.type, e.modality) for e in events] == [(kind, "asserted")]
    assert events[0].date is not None
    assert events[0].date.value == date
    assert weapon in {w.id for w in events[0].weapons}


def test_chinese_flying_in_without_a_system_is_a_visit() -> None:
    (event,) = extract_text("习近平2023年3月20日飞抵莫斯科。", "zh").events
    assert (event.type, event.date and event.date.value) == ("diplomatic_visit", "2023-03-20")


@pytest.mark.parametrize(
    ("lang", "text", "date"),
    [
        (
            "ru",
            "Премьер-министр Индии Нарендра Моди прибыл в Москву 8 июля 2024 года.",
            "2024-07-08",
        ),
        ("uk", "Президент Польщі Анджей Дуда прибув до Києва 23 серпня 2022 року.", "2022-08-23"),
    ],
)
def test_a_person_who_arrives_is_still_a_visit(lang: str, text: str, date: str) -> None:
    (event,) = extract_text(text, lang).events
    assert (event.type, event.date and event.date.value) == ("diplomatic_visit", date)


def test_chinese_procurement_process_is_no_order() -> None:
    text = "美方在整个采购过程中提供支持。"
    assert "arms_order" not in {t.type for t in find_triggers(text, "zh")}
    (event,) = extract_text("阿根廷2024年4月采购24架F-16战机。", "zh").events
    assert event.type == "arms_order"


def test_russian_concluded_deal_is_a_second_event_beside_the_delivery() -> None:
    text = (
        "Поставки С-400 в Индию начались в декабре 2021 года, после того как "
        "в октябре 2018 года стороны заключили сделку."
    )
    found = {(e.type, e.date.value) for e in extract_text(text, "ru").events if e.date}
    assert found == {("arms_delivery", "2021-12"), ("arms_order", "2018-10")}


@pytest.mark.parametrize(
    "text",
    [
        "俄罗斯联邦军事技术合作局2018年3月表示愿意供货。",
        "上海合作组织成员国元首理事会会议2024年7月在阿斯塔纳举行。",
        "上海合作組織峰會2024年7月在阿斯塔納舉行。",
    ],
)
def test_chinese_names_of_cooperation_bodies_are_no_cooperation(text: str) -> None:
    assert "military_cooperation" not in {t.type for t in find_triggers(text, "zh")}


def test_chinese_cooperation_itself_is_still_a_trigger() -> None:
    assert "military_cooperation" in {t.type for t in find_triggers("中俄两国加强军事合作。", "zh")}


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "on Wednesday, January 25", "2023-01-25"),
        ("uk", "у середу, 25 січня", "2023-01-25"),
        ("ru", "в среду, 25 января", "2023-01-25"),
    ],
)
def test_a_weekday_beside_day_and_month_does_not_stop_placing_them(
    lang: str, text: str, expected: str
) -> None:
    value = in_year(text, lang, 2023)
    assert value is not None
    assert value.value == expected


def test_a_weekday_alone_is_still_not_placed() -> None:
    assert in_year("у середу", "uk", 2023) is None


def test_ukrainian_pledge_dated_by_weekday_and_day_without_a_year() -> None:
    text = "У середу, 25 січня, уряд Німеччини погодився передати Україні 14 танків Leopard 2A6."
    events = extract_text(text, "uk").events
    pledges = [e for e in events if e.type == "military_cooperation"]
    assert [(e.modality, e.date and e.date.value) for e in pledges] == [("asserted", "XXXX-01-25")]


def test_a_batch_four_sentences_after_its_system_still_refers_back() -> None:
    text = (
        "Турция передала Польше очередные 24 беспилотника Bayraktar TB2.\n\n"
        "Церемония прошла на авиабазе в Мирославце. В ней участвовали представители "
        "министерства обороны Польши. Это была уже четвертая партия. Первую партию Польша "
        "получила в октябре 2022 года."
    )
    dated = [e for e in extract_text(text, "ru").events if e.date and e.date.value == "2022-10"]
    assert [(e.type, [w.id for w in e.weapons]) for e in dated] == [
        ("arms_delivery", ["weapon:bayraktar-tb2"])
    ]
