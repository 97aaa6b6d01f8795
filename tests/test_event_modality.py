"""Events as the text states them: modality (planned, threatened, negated), the date of a
report, systems named in an earlier sentence, and years for dates written without one."""

from __future__ import annotations

import datetime as dt

import pytest
from fixtures.extracting import arms_events, extract_text

from pipeline.dates import find_dates, in_year
from pipeline.extract import find_triggers
from pipeline.extract.matcher import modality


def _modality_of(text: str, lang: str, trigger: str) -> str:
    (found,) = [t for t in find_triggers(text, lang) if t.text.lower() == trigger.lower()][:1]
    return modality(text, found.start, found.end, lang)


# --- modality: language data of all six languages --------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "trigger", "expected"),
    [
        ("en", "Indonesia will order 42 Rafale jets.", "order", "planned"),
        ("en", "Officials did not confirm that the jets were delivered.", "delivered", "negated"),
        ("en", "Washington threatened to halt the sale of F-35 jets.", "sale", "threatened"),
        ("en", "Egypt ordered 30 Rafale jets but did not give the cost.", "ordered", "asserted"),
        ("ru", "Индия планирует закупить ещё два полка С-400.", "закупить", "planned"),
        ("ru", "Минобороны не подтвердило поставку С-400.", "поставку", "negated"),
        ("ru", "Они грозились отменить продажу истребителей F-35.", "продажу", "threatened"),
        ("ru", "Россия поставила в Алжир два Су-30МКА.", "поставила", "asserted"),
        ("ru", "Самолет должен быть передан Египту до конца года.", "передан", "planned"),
        ("uk", "Німеччина погодилася передати Україні танки Leopard 2.", "передати", "planned"),
        ("uk", "Київ офіційно не підтвердив прибуття F-16.", "прибуття", "negated"),
        ("uk", "Україна отримала чотири HIMARS.", "отримала", "asserted"),
        ("vi", "Ấn Độ sẽ mua thêm hai trung đoàn S-400.", "mua", "planned"),
        ("vi", "Mỹ từ chối bán tiêm kích F-35 cho Ai Cập.", "bán", "negated"),
        ("vi", "Mỹ đe dọa hủy thương vụ bán F-16.", "bán", "threatened"),
        ("vi", "Việt Nam đã nhận hai tàu ngầm Kilo.", "nhận", "asserted"),
        ("zh", "双方计划签署供应S-400的合同。", "合同", "planned"),
        ("zh", "前政府曾評估採購JF-17戰機。", "採購", "planned"),
        ("zh", "印度并未接收第二批S-400。", "接收", "negated"),
        ("zh", "巴基斯坦接收了首批J-10CE战机。", "接收", "asserted"),
        ("ar", "تعتزم مصر شراء 30 طائرة رافال.", "شراء", "planned"),
        ("ar", "نفت الوزارة تسليم منظومة إس-400.", "تسليم", "negated"),
        ("ar", "هددت واشنطن بوقف بيع مقاتلات إف-35.", "بيع", "threatened"),
        ("ar", "تسلمت الجزائر مقاتلات سو-30.", "تسلمت", "asserted"),
    ],
)
def test_modality_is_read_from_the_words_next_to_the_trigger(
    lang: str, text: str, trigger: str, expected: str
) -> None:
    assert _modality_of(text, lang, trigger) == expected


def test_a_cue_behind_a_clause_mark_does_not_count() -> None:
    text = "Vietnam received two Kilo submarines, and more will follow."
    assert _modality_of(text, "en", "received") == "asserted"


def test_planned_order_is_kept_and_marked() -> None:
    text = "Indonesia will order 42 Rafale fighter jets from France in 2022."
    (event,) = arms_events(extract_text(text, "en"))
    assert event.type == "arms_order"
    assert event.modality == "planned"


def test_an_asserted_event_is_marked_asserted() -> None:
    (event,) = arms_events(extract_text("Egypt ordered 30 Rafale fighter jets in 2021.", "en"))
    assert event.modality == "asserted"


# --- the date of a report ------------------------------------------------------------------


def test_a_date_governed_by_a_verb_of_reporting_dates_the_report() -> None:
    text = (
        "The Indonesian Navy signed a contract to buy two Scorpene submarines, "
        "the company said on April 2, 2024."
    )
    (event,) = arms_events(extract_text(text, "en"))
    assert event.date is not None
    assert event.date.value == "2024-04-02"
    assert event.date.basis == "reported_by"


def test_a_date_next_to_the_trigger_is_the_events_own() -> None:
    text = "The navy signed a contract on April 2, 2024 for two Scorpene submarines, it said."
    (event,) = arms_events(extract_text(text, "en"))
    assert event.date is not None
    assert (event.date.value, event.date.basis) == ("2024-04-02", "clause")


def test_a_date_nearer_another_trigger_than_the_report_verb_is_not_the_reports() -> None:
    # "said the deal had been signed on April 26": the date is the signing's
    text = (
        "Egypt ordered 30 Rafale jets. Disclose said the deal had been signed on "
        "April 26, 2021 as part of defence contracts worth four billion euros."
    )
    events = [e for e in extract_text(text, "en").events if "Disclose" in e.evidence.sentence]
    assert events
    assert all(e.date is not None and e.date.basis != "reported_by" for e in events)
    assert {e.date.value for e in events if e.date} == {"2021-04-26"}


def test_russian_report_date_is_the_reports() -> None:
    text = (
        "Очередную партию Bayraktar TB2 в количестве 24 единиц передал Польше производитель "
        "Baykar, 17 мая 2024 года сообщает пресс-служба компании."
    )
    (event,) = arms_events(extract_text(text, "ru"))
    assert event.date is not None
    assert event.date.basis == "reported_by"


# --- systems named in an earlier sentence -------------------------------------------------


def test_a_batch_refers_back_to_the_system_of_an_earlier_sentence() -> None:
    text = (
        "Russia delivered two Su-30MKA fighters to Algeria.\n\n"
        "The first batch was shipped in December 2007."
    )
    events = arms_events(extract_text(text, "en"))
    dated = [e for e in events if e.date is not None and e.date.value == "2007-12"]
    assert len(dated) == 1
    assert dated[0].type == "arms_delivery"
    assert [w.id for w in dated[0].weapons] == ["weapon:su-30mka"]
    assert dated[0].weapons_basis == "earlier_sentence"


def test_russian_contract_for_aircraft_is_an_arms_order_of_the_earlier_system() -> None:
    text = (
        "Стали известны подробности контракта на поставку Египту истребителей Су-35. "
        "Контракт на поставку 26 самолетов был заключен 19 марта 2018 года."
    )
    events = [e for e in extract_text(text, "ru").events if e.date and e.date.value == "2018-03-19"]
    assert [e.type for e in events] == ["arms_order"]
    assert [w.id for w in events[0].weapons] == ["weapon:su-35"]
    assert events[0].weapons_basis == "earlier_sentence"


def test_no_system_is_borrowed_without_a_word_that_refers_back() -> None:
    text = (
        "Egypt ordered 30 Rafale fighter jets in 2021.\n\n"
        "Two contracts were also given to MBDA in 2021."
    )
    events = extract_text(text, "en").events
    second = [e for e in events if "MBDA" in e.evidence.sentence]
    assert all(e.type != "arms_order" and not e.weapons for e in second)


def test_own_systems_are_marked_as_read_in_the_sentence() -> None:
    (event,) = arms_events(extract_text("Egypt ordered 30 Rafale fighter jets in 2021.", "en"))
    assert event.weapons_basis == "sentence"


# --- years for dates written without one ------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "on March 17", "2024-03-17"),
        ("ru", "31 марта", "2024-03-31"),
        ("ru", "в начале апреля", "2024-04"),
        ("uk", "31 липня", "2024-07-31"),
        ("vi", "ngày 14/8", "2024-08-14"),
        ("zh", "10月5日", "2024-10-05"),
        ("ar", "26 نونبر", "2024-11-26"),
    ],
)
def test_a_month_or_day_without_a_year_is_placed_in_the_given_year(
    lang: str, text: str, expected: str
) -> None:
    value = in_year(text, lang, 2024)
    assert value is not None
    assert value.value == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [("en", "last May"), ("en", "March 2020"), ("en", "this month"), ("en", "on Friday")],
)
def test_relative_or_complete_dates_are_not_placed(lang: str, text: str) -> None:
    assert in_year(text, lang, 2024) is None


def test_a_date_without_a_year_takes_the_nearest_earlier_year_of_the_text() -> None:
    text = (
        "Poland signed a contract for 180 K2 tanks in August 2022.\n\n"
        "The first 10 K2 tanks were delivered to Poland on December 6."
    )
    result = extract_text(text, "en")
    (delivery,) = [e for e in result.events if e.type == "arms_delivery"]
    assert delivery.date is not None
    assert delivery.date.value == "2022-12-06"
    assert delivery.date.year_inferred
    assert not delivery.date.anchored


def test_the_publication_date_places_it_when_there_is_one() -> None:
    text = (
        "Poland signed a contract for 180 K2 tanks in August 2022.\n\n"
        "The first 10 K2 tanks were delivered to Poland on December 6."
    )
    result = extract_text(text, "en", published=dt.date(2023, 1, 10))
    (delivery,) = [e for e in result.events if e.type == "arms_delivery"]
    assert delivery.date is not None
    assert delivery.date.value == "2022-12-06"
    assert delivery.date.anchored and not delivery.date.year_inferred


def test_no_year_before_leaves_the_year_unspecified() -> None:
    # regression: a later year (background history) was taken and was often wrong
    text = (
        "The first F-16 jets arrived in Ukraine on July 31.\n\n"
        "Denmark had pledged the jets in 2023."
    )
    (delivery,) = [e for e in extract_text(text, "en").events if "July 31" in e.evidence.sentence]
    assert delivery.date is not None
    assert delivery.date.value == "XXXX-07-31"
    assert delivery.date.precision == "day"
    assert not delivery.date.year_inferred


def test_unspecified_year_value() -> None:
    value = in_year("в начале апреля", "ru", None)
    assert value is not None
    assert (value.value, value.precision) == ("XXXX-04", "month")


# --- Arabic date forms --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("وفي 26 نونبر الثاني 2018، وقع مسؤولون اتفاقا", "2018-11-26"),
        ("تعرضت للهجوم في 28 يناير/2023 الماضي", "2023-01-28"),
        ("في 26 تشرين الثاني 2018", "2018-11-26"),
    ],
)
def test_arabic_month_with_a_levantine_ordinal_or_a_slash_before_the_year(
    text: str, expected: str
) -> None:
    assert [m.value for m in find_dates(text, "ar", None)] == [expected]


# --- a series of dates for one trigger ------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "en",
            "The first batch of K2 tanks was delivered to Poland in October 2022, "
            "the second in April 2023.",
            {"2022-10", "2023-04"},
        ),
        (
            "ru",
            "Это была третья партия Су-30МКА для Алжира, первая партия была отправлена в "
            "декабре 2007 года, а вторая - в марте 2008 года.",
            {"2007-12", "2008-03"},
        ),
        (
            "uk",
            "Перша партія Bayraktar TB2 надійшла до Польщі у жовтні 2022 року, друга — у квітні "
            "2023 року.",
            {"2022-10", "2023-04"},
        ),
    ],
)
def test_each_date_of_a_series_is_an_event(lang: str, text: str, expected: set[str]) -> None:
    events = [e for e in arms_events(extract_text(text, lang)) if e.type == "arms_delivery"]
    assert {e.date.value for e in events if e.date} == expected
    assert len({e.id for e in events}) == len(events)


def test_a_date_without_a_series_word_is_no_second_event() -> None:
    text = "Egypt ordered 24 Rafale jets in 2015, a year after Sisi took office in 2014."
    assert [e.date.value for e in arms_events(extract_text(text, "en")) if e.date] == ["2015"]


# --- statements without a date; the asserted trigger types the event -------------------------


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Washington warned Ankara against buying more Russian weapons."),
        ("ru", "Москва пригрозила Киеву новыми санкциями."),
        ("vi", "Mỹ cảnh báo Thổ Nhĩ Kỳ không mua thêm vũ khí của Nga."),
    ],
)
def test_an_official_warning_without_a_date_is_a_statement(lang: str, text: str) -> None:
    events = extract_text(text, lang).events
    assert [e.type for e in events] == ["vote_or_statement"]
    assert events[0].modality == "asserted"


def test_said_without_a_date_is_no_event() -> None:
    assert extract_text("The minister said the talks went well.", "en").events == []


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("vi", "Mỹ từ chối bán tiêm kích tàng hình F-35 cho Ai Cập."),
        ("en", "The United States refused to sell F-35 jets to Egypt."),
    ],
)
def test_a_refusal_to_sell_is_the_refusal_not_a_sale(lang: str, text: str) -> None:
    events = extract_text(text, lang).events
    assert [e.type for e in events] == ["vote_or_statement"]
    assert [w.id for w in events[0].weapons] == ["weapon:f-35"]


def test_a_purchase_in_a_condition_is_not_asserted() -> None:
    text = "Washington threatened Cairo with sanctions in case of the purchase of Su-35 fighters."
    events = extract_text(text, "en").events
    assert "arms_order" not in {e.type for e in events if e.modality == "asserted"}


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "The ministry refused to comment on the report."),
        ("vi", "Bộ Ngoại giao Mỹ từ chối bình luận về thông tin này."),
        ("ru", "В министерстве отказались от комментариев."),
    ],
)
def test_declining_to_comment_is_no_statement(lang: str, text: str) -> None:
    assert extract_text(text, lang).events == []


def test_an_arms_trigger_outranks_a_type_it_subsumes() -> None:
    # regression: "joint venture" (trade) typed a deal for BrahMos batteries
    text = (
        "In January 2022, the Philippines concluded a deal with India for three batteries of "
        "shore-based, anti-ship BrahMos, becoming the first export customer for the joint "
        "venture missile."
    )
    events = extract_text(text, "en").events
    assert [e.type for e in events] == ["arms_order"]


def test_a_deal_being_discussed_is_planned() -> None:
    text = "Россия также обсуждает с Алжиром новые контракты на поставку Су-30МКА."
    events = arms_events(extract_text(text, "ru"))
    assert events
    assert all(e.modality == "planned" for e in events)


def test_a_cue_that_begins_before_the_window_counts() -> None:
    # regression: the search started inside «прорабатывает» and missed it
    text = "Россия также прорабатывает с Алжиром новый пакет военных контрактов на Су-30МКА."
    assert _modality_of(text, "ru", "контрактов") == "planned"
