"""Date spans and EDTF normalisation (pipeline.dates) in en/ru/ar/vi/zh."""

from __future__ import annotations

import datetime as dt

import pytest
import spacy

from pipeline.dates import COMPONENT, DateValue, find_dates, normalise_date, week_range
from pipeline.errors import ConfigError
from pipeline.evaluate import shared_dir
from pipeline.nlp import blank

ANCHOR = dt.date(2014, 11, 27)  # a Thursday

# (lang, sentence, expected span text, value, precision) — absolute dates, no anchor needed
ABSOLUTE = [
    ("en", "Putin visited Hanoi on 12 November 2013.", "12 November 2013", "2013-11-12", "day"),
    ("en", "The deal was signed on November 27, 2014.", "November 27, 2014", "2014-11-27", "day"),
    ("en", "The contract dates from Dec. 2009.", "Dec. 2009", "2009-12", "month"),
    ("en", "The first boat arrived in January 2014.", "January 2014", "2014-01", "month"),
    ("en", "Two more frigates were ordered in 2014.", "2014", "2014", "year"),
    ("en", "Trade fell sharply in the 1990s.", "the 1990s", "199X", "decade"),
    ("en", "The base was built in the 20th century.", "the 20th century", "19XX", "century"),
    ("en", "Tu-95MS bombers refuelled there in spring 2015.", "spring 2015", "2015-21", "season"),
    ("en", "Exports rose in the summer of 2024.", "the summer of 2024", "2024-22", "season"),
    (
        "en",
        "Revenue grew in the third quarter of 2014.",
        "the third quarter of 2014",
        "2014-35",
        "quarter",
    ),
    ("en", "Deliveries ran from 2014 to 2017.", "from 2014 to 2017", "2014/2017", "range"),
    ("en", "Deliveries ran 2014–2017.", "2014–2017", "2014/2017", "range"),
    (
        "en",
        "Vietnam bought two battalions between 2003 and 2005.",
        "between 2003 and 2005",
        "2003/2005",
        "range",
    ),
    (
        "en",
        "The war lasted from July 1965 to December 1974.",
        "from July 1965 to December 1974",
        "1965-07/1974-12",
        "range",
    ),
    ("en", "Talks began in early 1920s Moscow.", "early 1920s", "192X", "decade"),
    ("en", "Relations cooled in the mid-1980s.", "the mid-1980s", "198X", "decade"),
    ("en", "Prices peaked in the late 2000s.", "the late 2000s", "200X", "decade"),
    (
        "en",
        "Talks were held on 21–23 May 2023.",
        "21–23 May 2023",
        "2023-05-21/2023-05-23",
        "range",
    ),
    ("en", "Smith, J. (2023, December 21). A report.", "2023, December 21", "2023-12-21", "day"),
    ("ru", "Путин посетил Ханой 12 ноября 2013 года.", "12 ноября 2013 года", "2013-11-12", "day"),
    ("ru", "Контракт подписан в ноябре 2014 года.", "в ноябре 2014 года", "2014-11", "month"),
    ("ru", "В 2011 году были заказаны фрегаты.", "В 2011 году", "2011", "year"),
    ("ru", "Лодки поставлялись с 2014 по 2017 год.", "с 2014 по 2017 год", "2014/2017", "range"),
    ("ru", "Поставки шли в 2017–2018 годах.", "в 2017–2018 годах", "2017/2018", "range"),
    ("ru", "Это было в 1990-х годах.", "в 1990-х годах", "199X", "decade"),
    ("ru", "Это было в конце XX века.", "в конце XX века", "19XX", "century"),
    ("ru", "Зимой 2015 года самолёты прилетели.", "Зимой 2015 года", "2015-24", "season"),
    ("ru", "Дата: 27.11.2014.", "27.11.2014", "2014-11-27", "day"),
    (
        "ru",
        "Визит прошёл 19–20 июня 2024 года.",
        "19–20 июня 2024 года",
        "2024-06-19/2024-06-20",
        "range",
    ),
    ("vi", "Hợp đồng được ký ngày 27/11/2014.", "ngày 27/11/2014", "2014-11-27", "day"),
    (
        "vi",
        "Tàu đến vào ngày 27 tháng 11 năm 2014.",
        "ngày 27 tháng 11 năm 2014",
        "2014-11-27",
        "day",
    ),
    ("vi", "Tàu đến vào tháng 11 năm 2014.", "tháng 11 năm 2014", "2014-11", "month"),
    ("vi", "Tàu đến vào tháng Mười Một năm 2014.", "tháng Mười Một năm 2014", "2014-11", "month"),
    ("vi", "Việt Nam đặt mua vào năm 2009.", "năm 2009", "2009", "year"),
    ("vi", "Quan hệ phát triển trong những năm 1990.", "những năm 1990", "199X", "decade"),
    ("vi", "Đó là di sản của thế kỷ 20.", "thế kỷ 20", "19XX", "century"),
    ("vi", "Các tàu được giao từ 2014 đến 2017.", "từ 2014 đến 2017", "2014/2017", "range"),
    ("vi", "Xuất khẩu tăng vào mùa hè năm 2014.", "mùa hè năm 2014", "2014-22", "season"),
    ("zh", "双方于2014年11月27日签署协议。", "2014年11月27日", "2014-11-27", "day"),
    ("zh", "潜艇于2014年1月交付。", "2014年1月", "2014-01", "month"),
    ("zh", "合同签于二〇〇九年。", "二〇〇九年", "2009", "year"),
    ("zh", "两国关系在二十世纪九十年代恢复。", "二十世纪九十年代", "199X", "decade"),
    ("zh", "这是20世纪的遗产。", "20世纪", "19XX", "century"),
    ("zh", "潜艇在2014年至2017年交付。", "2014年至2017年", "2014/2017", "range"),
    ("zh", "2015年春天轰炸机抵达。", "2015年春天", "2015-21", "season"),
    ("zh", "2014年第三季度出口增长。", "2014年第三季度", "2014-35", "quarter"),
    ("ar", "وقع الاتفاق في 27 نوفمبر 2014.", "27 نوفمبر 2014", "2014-11-27", "day"),
    (
        "ar",
        "زار هانوي في 12 تشرين الثاني/نوفمبر 2013.",
        "12 تشرين الثاني/نوفمبر 2013",
        "2013-11-12",
        "day",
    ),
    (
        "ar",
        "وصلت الغواصة في يناير/كانون الثاني 2014.",
        "يناير/كانون الثاني 2014",
        "2014-01",
        "month",
    ),
    ("ar", "طلبت فيتنام الفرقاطات عام 2011.", "عام 2011", "2011", "year"),
    ("ar", "سُلمت الغواصات بين عامي 2014 و2017.", "بين عامي 2014 و2017", "2014/2017", "range"),
    ("ar", "تسلمت الغواصات من 2014 إلى 2017.", "من 2014 إلى 2017", "2014/2017", "range"),
    ("ar", "تراجعت العلاقات في التسعينيات.", "التسعينيات", "199X", "decade"),
    ("ar", "بُني الميناء في القرن العشرين.", "القرن العشرين", "19XX", "century"),
    ("ar", "وصلت القاذفات صيف 2024.", "صيف 2024", "2024-22", "season"),
    ("ar", "وقعت الحادثة عام ٢٠١٤.", "عام ٢٠١٤", "2014", "year"),
    (
        "en",
        "Exercises ran from May to July 2014.",
        "from May to July 2014",
        "2014-05/2014-07",
        "range",
    ),
    (
        "en",
        "Exercises ran from November to March 2015.",
        "from November to March 2015",
        "2014-11/2015-03",
        "range",
    ),
    (
        "ru",
        "Учения шли с мая по июль 2014 года.",
        "с мая по июль 2014 года",
        "2014-05/2014-07",
        "range",
    ),
    (
        "vi",
        "Tập trận từ tháng 5 đến tháng 7 năm 2014.",
        "từ tháng 5 đến tháng 7 năm 2014",
        "2014-05/2014-07",
        "range",
    ),
    ("zh", "演习于2014年5月至7月举行。", "2014年5月至7月", "2014-05/2014-07", "range"),
    (
        "ar",
        "جرت المناورات من مايو إلى يوليو 2014.",
        "من مايو إلى يوليو 2014",
        "2014-05/2014-07",
        "range",
    ),
    ("ar", "انضمت الفرقاطتان إلى الأسطول في 2017-2018.", "2017-2018", "2017/2018", "range"),
    # issue 10: Maghreb month names, Levant pairs, newspaper Vietnamese
    ("ar", "وفي 26 نونبر 2018 وقع الطرفان.", "26 نونبر 2018", "2018-11-26", "day"),
    ("ar", "وفي 3 نونبر الثاني 2020 تسلمت الدفعة.", "3 نونبر الثاني 2020", "2020-11-03", "day"),
    ("ar", "وصلت في 3 غشت 2020.", "3 غشت 2020", "2020-08-03", "day"),
    ("ar", "وقعت في 5 يونيو/حزيران 2018.", "5 يونيو/حزيران 2018", "2018-06-05", "day"),
    ("vi", "Từ tháng 10.2018, tàu hoạt động.", "tháng 10.2018", "2018-10", "month"),
    ("vi", "Tháng 1.2015 tàu đến.", "Tháng 1.2015", "2015-01", "month"),
]

# (lang, sentence, span, value with ANCHOR 2014-11-27, precision)
RELATIVE = [
    ("en", "Russia said yesterday that it agreed.", "yesterday", "2014-11-26", "day"),
    ("en", "The order was placed last year.", "last year", "2013", "year"),
    ("en", "Deliveries start this month.", "this month", "2014-11", "month"),
    ("en", "The minister arrives next week.", "next week", "2014-12-01/2014-12-07", "range"),
    ("en", "The ship docked on Tuesday.", "Tuesday", "2014-11-25", "day"),
    ("en", "The contract was signed four years ago.", "four years ago", "2010", "year"),
    ("ru", "Вчера министр прибыл в Ханой.", "Вчера", "2014-11-26", "day"),
    ("ru", "Контракт подписали в прошлом году.", "в прошлом году", "2013", "year"),
    ("ru", "Поставки начнутся в этом году.", "в этом году", "2014", "year"),
    ("vi", "Hôm qua bộ trưởng đến Moskva.", "Hôm qua", "2014-11-26", "day"),
    ("vi", "Hợp đồng được ký năm ngoái.", "năm ngoái", "2013", "year"),
    ("vi", "Việc giao hàng bắt đầu năm nay.", "năm nay", "2014", "year"),
    ("vi", "Tàu đã đến tháng trước.", "tháng trước", "2014-10", "month"),
    ("zh", "合同去年签署。", "去年", "2013", "year"),
    ("zh", "今年开始交付。", "今年", "2014", "year"),
    ("zh", "部长昨天抵达。", "昨天", "2014-11-26", "day"),
    ("zh", "潜艇上个月交付。", "上个月", "2014-10", "month"),
    ("ar", "وصل الوزير أمس إلى موسكو.", "أمس", "2014-11-26", "day"),
    ("ar", "وقع العقد العام الماضي.", "العام الماضي", "2013", "year"),
    ("ar", "تبدأ الإمدادات هذا العام.", "هذا العام", "2014", "year"),
    # issue 10: newspaper Vietnamese, a Chinese day of the month alone
    ("vi", "Tàu đến hôm 23.1.", "hôm 23.1", "2014-01-23", "day"),
    ("zh", "越南8日接收首架战机。", "8日", "2014-11-08", "day"),
    ("zh", "越南28日接收首架战机。", "28日", "2014-10-28", "day"),
]

# Must NOT be found as dates: (lang, sentence)
NOT_DATES = [
    ("en", "A Tu-95 bomber landed at Cam Ranh."),
    ("en", "Vietnam ordered Project 636 submarines."),
    ("en", "The package is worth $550 million."),
    ("en", "Moscow sent 2,000 troops."),
    ("en", "Moscow sent 2014 troops."),
    ("en", "We said that the plan was good.[15]"),
    ("en", "Only 15 of them were ready."),
    ("en", "We may go there again."),
    ("ru", "Ту-95 приземлился в Камрани."),
    ("ru", "Стоимость составила 2000 долларов."),
    ("vi", "Có 15 tàu và 2000 người."),
    ("zh", "共有2000人参加，价值2000万美元。"),
    ("ar", "أرسلت روسيا 2000 جندي."),
    ("en", "Page 1492-1506 of volume 6."),
    ("en", "The archive is at https://example.org/2013-02-01/report.html now."),
    ("en", "On the last day of the visit they met."),
    ("en", "It was the first such sale in five years."),
    ("vi", "Cặp tàu thứ hai được bàn giao."),
    ("ar", "توفي في اليوم التالي."),
    ("ru", "Это случилось 2000 лет назад, 2000 лет."),
    # issue 10: a Chinese price, a count of days
    ("zh", "合同价值3.75亿美元。"),
    ("zh", "工程共3日完成。"),
]


@pytest.mark.parametrize(("lang", "sentence", "span", "value", "precision"), ABSOLUTE)
def test_absolute_dates_are_found_and_normalised(
    lang: str, sentence: str, span: str, value: str, precision: str
) -> None:
    mentions = find_dates(sentence, lang, None)
    assert [(m.text, m.value, m.precision) for m in mentions] == [(span, value, precision)]
    m = mentions[0]
    assert sentence[m.start : m.end] == span
    assert not m.anchored
    assert normalise_date(span, lang, None) == DateValue(value, precision, False)  # type: ignore[arg-type]


@pytest.mark.parametrize(("lang", "sentence", "span", "value", "precision"), RELATIVE)
def test_relative_dates_are_anchored_on_publication(
    lang: str, sentence: str, span: str, value: str, precision: str
) -> None:
    mentions = find_dates(sentence, lang, ANCHOR)
    assert [(m.text, m.value, m.precision, m.anchored) for m in mentions] == [
        (span, value, precision, True)
    ]
    assert normalise_date(span, lang, ANCHOR) == DateValue(value, precision, True)  # type: ignore[arg-type]


@pytest.mark.parametrize(("lang", "sentence", "span", "value", "precision"), RELATIVE)
def test_relative_dates_without_anchor_stay_unresolved(
    lang: str, sentence: str, span: str, value: str, precision: str
) -> None:
    mentions = find_dates(sentence, lang, None)
    assert [(m.text, m.value, m.precision, m.anchored) for m in mentions] == [
        (span, None, "unknown", False)
    ]
    assert normalise_date(span, lang, None) == DateValue(None, "unknown", False)


@pytest.mark.parametrize(("lang", "sentence"), NOT_DATES)
def test_traps_are_not_dates(lang: str, sentence: str) -> None:
    assert find_dates(sentence, lang, ANCHOR) == []


@pytest.mark.parametrize("text", ["15", "58", "TU-95", "We", "2,000", "Project 636"])
def test_normalise_refuses_non_dates(text: str) -> None:
    assert normalise_date(text, "en", ANCHOR) is None


def test_russian_genitive_year_is_not_year_14() -> None:
    """dateparser reads «2012 года» as the year 14; our rules must not."""
    assert normalise_date("2012 года", "ru", ANCHOR) == DateValue("2012", "year", False)


def test_weekday_is_latest_on_or_before_anchor() -> None:
    assert normalise_date("Thursday", "en", ANCHOR) == DateValue("2014-11-27", "day", True)
    assert normalise_date("last Thursday", "en", ANCHOR) == DateValue("2014-11-20", "day", True)
    assert normalise_date("в пятницу", "ru", ANCHOR) == DateValue("2014-11-21", "day", True)


def test_month_without_year_prefers_the_past() -> None:
    assert normalise_date("August", "en", ANCHOR) == DateValue("2014-08", "month", True)
    assert normalise_date("December", "en", ANCHOR) == DateValue("2013-12", "month", True)
    assert normalise_date("11月", "zh", None) == DateValue(None, "unknown", False)


def test_last_summer_and_decade_with_century_context() -> None:
    assert normalise_date("last summer", "en", dt.date(2013, 3, 22)) == DateValue(
        "2012-22", "season", True
    )
    assert normalise_date("ستينيات القرن الماضي", "ar", ANCHOR) == DateValue("196X", "decade", True)
    assert normalise_date("九十年代", "zh", None) == DateValue("199X", "decade", False)


def test_several_dates_in_one_text_keep_offsets() -> None:
    text = "Signed in 2009, the boats arrived from 2014 to 2017; a frigate came in March 2018."
    mentions = find_dates(text, "en", None)
    assert [m.value for m in mentions] == ["2009", "2014/2017", "2018-03"]
    assert all(text[m.start : m.end] == m.text for m in mentions)


def test_range_from_a_decade_is_compared_as_dates_not_text() -> None:
    """ "199X" sorts after "1995" as text; as dates the 1990s start before 1995."""
    mentions = find_dates("Output fell from the 1990s to 1995.", "en", None)
    assert [(m.text, m.value) for m in mentions] == [("from the 1990s to 1995", "199X/1995")]


def test_no_range_that_ends_before_it_starts() -> None:
    """Two months of one year the wrong way round were joined into "2014-05/2014-03"."""
    mentions = find_dates("from May 2014 to March 2014", "en", None)
    assert [m.value for m in mentions] == ["2014-05", "2014-03"]
    anchored = find_dates("from July to May", "en", dt.date(2023, 1, 2))
    assert [m.value for m in anchored] == ["2022-07", "2022-05"]


def test_weeks_are_day_ranges_monday_to_sunday() -> None:
    assert week_range(dt.date(2014, 11, 27)) == "2014-11-24/2014-11-30"


def test_unknown_language_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no date patterns"):
        find_dates("1 janvier 2014", "fr", None)


@pytest.fixture(scope="session")
def english_nlp() -> spacy.language.Language:
    from pipeline.models import load_english

    nlp = load_english()
    nlp.add_pipe(COMPONENT, after="ner")
    return nlp


def test_component_after_english_ner(english_nlp: spacy.language.Language) -> None:
    doc = english_nlp.make_doc(
        "On 27 November 2014 Vladimir Putin met Nguyen Tan Dung in Moscow. Last year "
        "2,000 troops and 15 Tu-95 bombers took part. From 2014 to 2017 Russia delivered six "
        "submarines."
    )
    doc._.published = ANCHOR
    doc = english_nlp(doc)
    dates = {e.text: e._.date for e in doc.ents if e.label_ == "DATE"}
    assert dates["27 November 2014"]["value"] == "2014-11-27"
    assert dates["Last year"] == {"value": "2013", "precision": "year", "anchored": True}
    assert dates["From 2014 to 2017"]["value"] == "2014/2017"
    assert not any("2,000" in t or "95" in t or t == "15" for t in dates)
    assert any(e.label_ == "PERSON" and e.text == "Vladimir Putin" for e in doc.ents)
    assert doc._.coverage == [COMPONENT]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("ru", "В ноябре 2014 года и в прошлом году.", ["2014-11", "2013"]),
        ("vi", "Ngày 27/11/2014 và năm ngoái.", ["2014-11-27", "2013"]),
        ("zh", "2014年11月27日，去年。", ["2014-11-27", "2013"]),
        ("ar", "وقعت بعام 2014 و2015 في 1975. أمس", ["2014", "2015", "1975", "2014-11-26"]),
    ],
)
def test_component_in_blank_pipelines(lang: str, text: str, expected: list[str]) -> None:
    nlp = blank(lang)
    nlp.add_pipe(COMPONENT)
    doc = nlp.make_doc(text)
    doc._.published = ANCHOR
    doc._.coverage = ["tokenizer"]
    doc = nlp(doc)
    assert [e._.date["value"] for e in doc.ents] == expected
    assert all(e.label_ == "DATE" for e in doc.ents)
    assert doc._.coverage == ["tokenizer", COMPONENT]


def test_component_keeps_other_entities() -> None:
    nlp = spacy.blank("ru")
    nlp.add_pipe(COMPONENT)
    doc = nlp.make_doc("Проект 2014 года обсуждали в 2015 году.")
    doc.ents = [doc.char_span(0, 11, label="WEAPON")]  # "Проект 2014" as a designation
    doc = nlp(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Проект 2014", "WEAPON"),
        ("в 2015 году", "DATE"),
    ]


@pytest.mark.shared
def test_tempeval_value_accuracy_floor() -> None:
    path = shared_dir() / "eval" / "dates" / "tempeval3_platinum" / "timex3_gold.tsv"
    if not path.exists():
        pytest.skip(f"{path} is absent")
    from pipeline.evaluate.dates import tempeval_value_accuracy

    rows, _ = tempeval_value_accuracy(path, baseline=False)
    ours = rows[0]
    assert ours["system"] == "osintdesk"
    assert float(ours["accuracy"]) >= 0.85  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "span", "value", "precision", "calendar"),
    [
        # a Hijri year is the range of Gregorian days it covers (tabular calendar)
        ("أعلنت الوزارة الصفقة عام 1444 هـ.", "1444 هـ", "2022-07-30/2023-07-18", "range", "hijri"),
        ("وصلت الدفعة في 1 محرم 1446 هـ", "1 محرم 1446 هـ", "2024-07-08", "day", "hijri"),
        ("في ذي الحجة 1445 هجري", "ذي الحجة 1445 هجري", "2024-06-08/2024-07-07", "range", "hijri"),
        # Arabic-Indic digits are read the same (the tabular calendar puts 1 Shawwal 1443
        # on 3 May 2022, a day after most countries' sighting: hence ranges for months)
        ("في ١٠ شوال ١٤٤٣ هـ", "١٠ شوال ١٤٤٣ هـ", "2022-05-12", "day", "hijri"),
        # a Solar Hijri year runs from Nowruz to Nowruz
        ("في عام 1401 هـ.ش", "1401 هـ.ش", "2022-03/2023-03", "range", "solar_hijri"),
    ],
)
def test_hijri_and_solar_hijri_dates_get_gregorian_values(
    text: str, span: str, value: str, precision: str, calendar: str
) -> None:
    (mention,) = find_dates(text, "ar", None)
    assert (mention.text, mention.value, mention.precision, mention.calendar) == (
        span, value, precision, calendar,
    )  # fmt: skip


def test_no_hijri_reading_without_its_marker_or_outside_its_years() -> None:
    assert [m.calendar for m in find_dates("في عام 2018 هذا القرار", "ar", None)] == [None]
    assert find_dates("سلمت 1445 هاونا", "ar", None) == []  # a number before a word


def test_hijri_calendar_reaches_the_date_record() -> None:
    from pipeline.nlp import get_nlp

    doc = get_nlp("ar")("وقعت مصر العقد في 5 رجب 1443 هـ في القاهرة.")
    (date,) = [e for e in doc.ents if e.label_ == "DATE"]
    assert date._.date == {
        "value": "2022-02-07", "precision": "day", "anchored": False, "calendar": "hijri",
    }  # fmt: skip
