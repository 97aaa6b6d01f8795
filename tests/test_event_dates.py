"""Arms events without a date of their own, the governing date and its basis, and the
publication date a plain text states (header lines and datelines)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from fixtures.extracting import arms_events, extract_text

from pipeline.config import load_options
from pipeline.ingest import ingest_paths
from pipeline.published import stated_publication_date
from schemas.records import EventRecord


def _weapons(event: EventRecord) -> set[tuple[str, int | None]]:
    return {(w.id, w.quantity) for w in event.weapons}


# --- arms events without a date of their own -----------------------------------------


def test_undated_sale_is_an_arms_event_with_weapons_and_quantities() -> None:
    text = (
        "Russia recently signed several contracts with Vietnam involving the sale of six "
        "Varshavyanka-class submarines and twelve Sukhoi Su-30MK2 fighters."
    )
    (event,) = arms_events(extract_text(text, "en"))
    assert event.type == "arms_order"
    assert _weapons(event) == {("weapon:project-636", 6), ("weapon:su-30mk2", 12)}
    assert set(event.countries) == {"RU", "VN"}
    # no date anywhere and no publication date: the event is kept, undated
    assert event.date is None


def test_arabic_undated_sale_is_an_arms_event() -> None:
    text = "وقعت الحكومة الروسية عدة عقود عسكرية مع فيتنام تتضمن بيع ست غواصات من طراز فارشافيانكا."
    (event,) = arms_events(extract_text(text, "ar"))
    assert event.type == "arms_order"
    assert ("weapon:project-636", 6) in _weapons(event)


def test_date_of_the_previous_sentence_governs() -> None:
    text = (
        "In March 2016 Russia and Vietnam signed a military cooperation agreement. "
        "Vietnam ordered twelve Su-30MK2 fighters."
    )
    (event,) = arms_events(extract_text(text, "en", published=dt.date(2021, 5, 4)))
    assert event.date is not None
    assert (event.date.value, event.date.basis) == ("2016-03", "previous_sentence")
    assert text[event.date.start : event.date.end] == "March 2016"


def test_date_of_an_earlier_sentence_of_the_paragraph_governs() -> None:
    text = (
        "In March 2016 Russia and Vietnam signed a military cooperation agreement. "
        "The talks were long. Vietnam ordered twelve Su-30MK2 fighters."
    )
    (event,) = arms_events(extract_text(text, "en"))
    assert event.date is not None
    assert (event.date.value, event.date.basis) == ("2016-03", "paragraph")


def test_headline_date_governs_the_body() -> None:
    text = "Contracts of March 2016\n\nVietnam ordered twelve Su-30MK2 fighters."
    (event,) = arms_events(extract_text(text, "en", published=dt.date(2021, 5, 4)))
    assert event.date is not None
    assert (event.date.value, event.date.basis) == ("2016-03", "headline")


def test_publication_date_as_reported_by_when_the_text_gives_none() -> None:
    text = "Egypt is buying thirty Rafale fighters from France."
    (event,) = arms_events(extract_text(text, "en", published=dt.date(2021, 5, 4)))
    assert event.date is not None
    assert (event.date.value, event.date.basis) == ("2021-05-04", "reported_by")
    assert event.date.precision == "day"


def test_dates_of_another_paragraph_do_not_govern() -> None:
    text = "In March 2016 the two navies met.\n\nVietnam ordered twelve Su-30MK2 fighters."
    (event,) = arms_events(extract_text(text, "en"))
    assert event.date is None


def test_own_date_basis_is_clause_or_sentence() -> None:
    text = "Vietnam ordered twelve Su-30MK2 fighters in March 2016."
    (event,) = arms_events(extract_text(text, "en"))
    assert event.date is not None
    assert (event.date.value, event.date.basis) == ("2016-03", "clause")


def test_undated_trigger_without_weapon_gives_no_event() -> None:
    assert extract_text("Egypt is buying more from France.", "en").events == []


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Vietnam received two Su-30MK2 fighters."),
        ("ar", "تسلّمت الجزائر 14 دبابة T-90S من روسيا."),
    ],
)
def test_received_is_a_delivery(lang: str, text: str) -> None:
    (event,) = arms_events(extract_text(text, lang))
    assert event.type == "arms_delivery"


def test_one_event_from_an_undated_sentence() -> None:
    text = "Vietnam bought and received twelve Su-30MK2 fighters."
    assert len(extract_text(text, "en").events) == 1


# --- publication dates stated by a plain text ------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([("Egypt orders jets", "en"), ("AFP 04 May 2021", "en")], "2021-05-04"),
        ([("Москва, 12 марта 2021 г. /ТАСС/. Россия поставила танки.", "ru")], "2021-03-12"),
        ([("时间：2022-03-12", "zh")], "2022-03-12"),
        ([("【新唐人北京时间2025年04月24日讯】台湾将采购战机。", "zh")], "2025-04-24"),
        ([("Thứ hai, 23/1/2023", "vi")], "2023-01-23"),
        ([("الأحد 26 نوفمبر 2018", "ar")], "2018-11-26"),
        ([("16:10 | 15 мая 2020 года, пятница", "ru")], "2020-05-15"),
        ([("April 19, 2024 07:55 pm | Updated April 20, 2024 06:26 am IST", "en")], "2024-04-19"),
    ],
)
def test_header_lines_and_datelines(lines: list[tuple[str, str]], expected: str) -> None:
    stated = stated_publication_date(lines)
    assert stated is not None and stated.date.isoformat() == expected


@pytest.mark.parametrize(
    "lines",
    [
        # a short headline with a date is not a header line: it tells an event
        [("Russia delivered S-400 to Turkey on 12 July 2019", "en")],
        # a day without its year: the year would be a guess
        [("9 июня, 18:59", "ru")],
        # a date deep in the body
        [("Intro.", "en")] * 6 + [("AFP 04 May 2021", "en")],
        [("The first batch arrived in Ankara on 12 July 2019, the ministry said.", "en")],
    ],
)
def test_no_publication_date_where_none_is_stated(lines: list[tuple[str, str]]) -> None:
    assert stated_publication_date(lines) is None


def test_plain_text_document_gets_its_stated_date_and_the_dateline_dates_no_event(
    tmp_path: Path,
) -> None:
    source = tmp_path / "news.txt"
    source.write_text(
        "【新唐人北京时间2025年04月24日讯】俄罗斯国防部表示，俄罗斯部署了部队。\n\n"
        "越南订购了12架苏-30MK2战斗机。\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    done, failures = ingest_paths([str(source)], options=load_options(None), out_dir=out)
    assert not failures
    record, extraction = done[0].record, done[0].extraction
    assert record.published == dt.date(2025, 4, 24)
    assert record.published_basis == "dateline"
    # the dateline is no deployment date
    assert not [e for e in extraction.events if e.type == "deployment_or_basing"]
    (order,) = arms_events(extraction)
    assert order.date is not None and order.date.basis == "reported_by"
    assert order.date.value == "2025-04-24"
    assert json.loads(record.model_dump_json())["published_basis"] == "dateline"


def test_header_line_given_another_language_is_read_in_the_documents() -> None:
    # a detector calls the short line Vietnamese; the document is English
    lines = [("Egypt orders jets", "en"), ("AFP 04 May 2021", "vi")]
    assert stated_publication_date(lines) is None
    stated = stated_publication_date(lines, "en")
    assert stated is not None and stated.date == dt.date(2021, 5, 4)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Russian arms exports to Vietnam fell to 10 % of the 1989 level."),
        ("ru", "Российский экспорт вооружений во Вьетнам упал до 10 % от уровня 1989 года."),
    ],
)
def test_a_point_of_comparison_dates_no_event(lang: str, text: str) -> None:
    dates = [e.date.value for e in extract_text(text, lang).events if e.date is not None]
    assert "1989" not in dates


def test_undetermined_or_unknown_language_lines_are_skipped_not_fatal() -> None:
    lines = [("04.05.2021", "und"), ("AFP 04 May 2021", "fr")]
    assert stated_publication_date(lines) is None
    stated = stated_publication_date(lines, "en")
    assert stated is not None and stated.date == dt.date(2021, 5, 4)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        # the deals of the next clause do not govern the tanks the sentence says were received
        (
            "ar",
            "تسلّمت فيتنام الدفعة الأولى من دبابات T-90S الروسية، لتضيف حلقة جديدة إلى سلسلة "
            "طويلة من صفقات السلاح.",
        ),
        ("en", "Vietnam received its first T-90S tanks, the fruit of an arms deal with Russia."),
    ],
)
def test_the_trigger_in_the_weapons_clause_types_the_event(lang: str, text: str) -> None:
    (event,) = extract_text(text, lang).events
    assert event.type == "arms_delivery"


def test_refuelling_is_no_arms_delivery() -> None:
    # "to refuel its Tu-95 bombers": تزويد … بالوقود supplies fuel, not a weapons system
    text = (
        "قالت واشنطن إن القوات الجوية الروسية استخدمت القاعدة لإعادة تزويد قاذفاتها "
        "الاستراتيجية من طراز توبوليف تو-95 بالوقود، في رحلات فوق المحيط الهادئ."
    )
    assert arms_events(extract_text(text, "ar")) == []
    # a delivery in the same words stays one
    (delivery,) = arms_events(
        extract_text("أعلنت فرنسا عام 2015 تزويد مصر بـ24 طائرة رافال.", "ar")
    )
    assert delivery.type == "arms_delivery"
