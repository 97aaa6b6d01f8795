"""People and places per language: must-find and must-not-find on own sentences."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.tokens import Doc

from pipeline.nlp import get_nlp


def ents(doc: Doc, label: str) -> list[str]:
    return [e.text for e in doc.ents if e.label_ == label]


def linked(doc: Doc) -> set[str]:
    return {e._.canonical for e in doc.ents if e.label_ == "PERSON" and e._.canonical}


# (language, sentence, people ids that must be linked)
SEEDS = [
    (
        "ru",
        "Президент России Владимир Путин встретился с премьер-министром Вьетнама Нгуен Тан Зунгом.",
        {"person:vladimir-putin", "person:nguyen-tan-dung"},
    ),
    ("zh", "普京与阮富仲在河内会谈。", {"person:vladimir-putin", "person:nguyen-phu-trong"}),
    ("zh", "習近平與蘇林在河內會談。", {"person:xi-jinping", "person:to-lam"}),
    (
        "ar",
        "صادق رئيس الحكومة الروسية دميتري ميدفيديف على مسودة الاتفاق.",
        {"person:dmitry-medvedev"},
    ),
    (
        "vi",
        "Thủ tướng Nguyễn Tấn Dũng tiếp Bộ trưởng Quốc phòng Nga Sergei Shoigu.",
        {"person:nguyen-tan-dung", "person:sergei-shoigu"},
    ),
    (
        "en",
        "Prime Minister Nguyen Tan Dung received Russian Defence Minister Sergei Shoigu in Hanoi.",
        {"person:nguyen-tan-dung", "person:sergei-shoigu"},
    ),
]


@pytest.mark.parametrize(("lang", "text", "people"), SEEDS, ids=[s[0] for s in SEEDS])
def test_seed_sentences_link_people(lang: str, text: str, people: set[str]) -> None:
    doc = get_nlp(lang)(text)
    assert linked(doc) == people
    for ent in doc.ents:
        if ent.label_ == "PERSON" and ent._.canonical:
            assert ent._.canonical_name and ent._.canonical_name.isascii()


# surname-only or inflected forms the NER alone may miss
@pytest.mark.parametrize(
    ("lang", "text", "form", "pid"),
    [
        ("ru", "Позже с Путиным говорил Шойгу.", "Путиным", "person:vladimir-putin"),
        ("zh", "普京访问了越南。", "普京", "person:vladimir-putin"),
        ("ar", "والتقى بوتين ولافروف في موسكو.", "لافروف", "person:sergey-lavrov"),
        ("vi", "Hôm qua Putin gặp Tô Lâm.", "Tô Lâm", "person:to-lam"),
        ("en", "Later, Shoigu flew to Cam Ranh.", "Shoigu", "person:sergei-shoigu"),
    ],
)
def test_known_short_forms_are_added_and_linked(lang: str, text: str, form: str, pid: str) -> None:
    doc = get_nlp(lang)(text)
    spans = [e for e in doc.ents if e.label_ == "PERSON" and e.text == form]
    assert spans, [(e.text, e.label_) for e in doc.ents]
    assert spans[0]._.canonical == pid


def test_arabic_clitic_is_split_off_a_known_name() -> None:
    doc = get_nlp("ar")("والتقى بوتين ولافروف في موسكو.")
    assert "ولافروف" not in [t.text for t in doc]
    assert set(ents(doc, "PERSON")) == {"بوتين", "لافروف"}
    assert ents(doc, "GPE") == ["موسكو"]


def test_title_run_is_trimmed_to_a_known_name() -> None:
    # "proposed ... Shevardnadze cutting the forces": the title rule takes up to
    # four words, the known name cuts the span back
    doc = get_nlp("ar")("اقترح وزير الخارجية السوفيتي إدوارد شيفرنادزه تقليص القوات في كام رانه.")
    assert ents(doc, "PERSON") == ["إدوارد شيفرنادزه"]
    assert doc.ents[0]._.canonical == "person:eduard-shevardnadze"


def test_english_cam_ranh_bay_is_a_place_not_a_person() -> None:
    doc = get_nlp("en")("Russian ships returned to Cam Ranh Bay in 2014.")
    assert "Cam Ranh Bay" not in ents(doc, "PERSON")
    assert "Cam Ranh Bay" in ents(doc, "LOC")


@pytest.mark.parametrize(
    ("lang", "text", "name"),
    [
        # titles introduce people who are not in the reference data
        ("vi", "Đại tướng Võ Nguyên Giáp chỉ huy chiến dịch Điện Biên Phủ.", "Võ Nguyên Giáp"),
        ("ar", "التقى الرئيس السوري بشار الأسد وزير الخارجية الروسي.", "بشار الأسد"),
        ("ar", "قال السيد محمود عباس إن الاتفاق مهم.", "محمود عباس"),
        # a Vietnamese family name starting three capitalised syllables
        ("vi", "Tướng Võ Nguyên Giáp sinh năm 1911.", "Võ Nguyên Giáp"),
        ("ru", "Генерал Валерий Герасимов прибыл в Ханой.", "Валерий Герасимов"),
        ("zh", "胡志明曾在莫斯科学习。", "胡志明"),
    ],
)
def test_unknown_people_are_found(lang: str, text: str, name: str) -> None:
    doc = get_nlp(lang)(text)
    assert name in ents(doc, "PERSON"), [(e.text, e.label_) for e in doc.ents]


@pytest.mark.parametrize(
    ("lang", "text", "not_person"),
    [
        ("vi", "Tàu ngầm Hải Phòng đến vịnh Cam Ranh.", "Cam Ranh"),
        ("vi", "Thành phố Hồ Chí Minh đón đoàn Nga.", "Hồ Chí Minh"),
        ("vi", "Chủ tịch Quốc hội phát biểu.", "Quốc"),
        ("ar", "قدم رئيس بلدية المدينة استقالته.", "بلدية المدينة"),
        ("ar", "قال الرئيس الروسي إن التعاون مستمر.", "إن"),
        ("ru", "Вьетнам купил фрегаты у России.", "Вьетнам"),
    ],
)
def test_titles_and_places_do_not_make_false_people(lang: str, text: str, not_person: str) -> None:
    doc = get_nlp(lang)(text)
    assert not_person not in ents(doc, "PERSON"), [(e.text, e.label_) for e in doc.ents]
    assert not any(not_person in p for p in ents(doc, "PERSON"))


@pytest.mark.parametrize(
    ("lang", "text", "place", "label"),
    [
        ("ru", "Корабли зашли в бухту Камрань.", "бухту Камрань", "LOC"),
        ("ru", "Делегация прибыла в Ханой.", "Ханой", "GPE"),
        ("zh", "俄罗斯军舰停靠金兰湾。", "金兰湾", "LOC"),
        ("vi", "Đoàn đến thăm thành phố Đà Nẵng.", "Đà Nẵng", "GPE"),
        ("ar", "وصل الوفد إلى مدينة حلب.", "مدينة حلب", "GPE"),
    ],
)
def test_places_get_gpe_or_loc(lang: str, text: str, place: str, label: str) -> None:
    doc = get_nlp(lang)(text)
    assert place in ents(doc, label), [(e.text, e.label_) for e in doc.ents]


@pytest.mark.parametrize(
    ("lang", "text", "place", "name"),
    [
        ("ru", "Корабли зашли в бухту Камрань.", "бухту Камрань", "Cam Ranh Bay"),
        ("vi", "Đoàn đến thăm thành phố Đà Nẵng.", "Đà Nẵng", "Da Nang"),
        ("zh", "代表团抵达河內。", "河內", "Hanoi"),
        ("ar", "وصل الوفد إلى موسكو.", "موسكو", "Moscow"),
    ],
)
def test_known_places_get_a_canonical_name(lang: str, text: str, place: str, name: str) -> None:
    doc = get_nlp(lang)(text)
    spans = [e for e in doc.ents if e.text == place]
    assert spans and spans[0]._.canonical_name == name


def test_chinese_spans_are_exact_in_traditional_script() -> None:
    # regression: jieba words ("習近平訪") made spans swallow the next character
    doc = get_nlp("zh")("習近平訪問河內。")
    assert ents(doc, "PERSON") == ["習近平"]
    assert ents(doc, "GPE") == ["河內"]


def test_acronym_country_names_match_only_in_capitals() -> None:
    doc = get_nlp("en")("Us and them: the US sold nothing to the USSR.")
    # en_core_web_sm itself calls "Us" a GPE; it must not be linked to the US
    assert [(e.text, e._.canonical) for e in doc.ents if e._.canonical] == [
        ("US", "US"),
        ("USSR", "SU"),
    ]


@pytest.mark.parametrize(
    ("text", "org"),
    [
        ("أصدرت وزارة الخارجية الروسية بيانا.", "وزارة الخارجية الروسية"),
        ("درس في جامعة هانوي الوطنية.", "جامعة هانوي الوطنية"),
        ("نشرت صحيفة البيان تقريرا عن الزيارة.", "صحيفة البيان"),
    ],
)
def test_arabic_organisations_from_cue_words(text: str, org: str) -> None:
    doc = get_nlp("ar")(text)
    assert ents(doc, "ORG") == [org]


def test_soviet_union_keeps_its_own_code() -> None:
    doc = get_nlp("vi")("Liên Xô giúp Việt Nam xây dựng cảng.")
    assert {e._.canonical for e in doc.ents if e.label_ == "GPE"} == {"SU", "VN"}


@pytest.mark.shared
def test_wojood_arabic_scores_stay_above_floor(shared: Path) -> None:
    from pipeline.evaluate.ner import evaluate

    # with a path: Wojood test only (WikiFANE dev is scored by `osintdesk evaluate ner`)
    [report] = evaluate(shared / "eval" / "ner" / "ar_wojood_sample" / "test.txt")
    rows = {(r["system"], r["class"]): r for r in report.rows}
    ours, base = rows[("ar pipeline", "PERS")], rows[("gazetteer only (baseline)", "PERS")]
    rules = rows[("ar rules only (before the model)", "PERS")]
    # the trained model measured 0.632 (rules alone 0.517)
    assert float(str(ours["f1"])) >= 0.61
    assert float(str(ours["f1"])) > float(str(rules["f1"])) > float(str(base["f1"]))
    assert float(str(rows[("ar pipeline", "GPE/LOC")]["precision"])) >= 0.75


# ---------------------------------------------------------------- regressions: false people


def person_texts(doc: Doc) -> list[str]:
    return ents(doc, "PERSON")


@pytest.mark.parametrize(
    ("lang", "text", "ship"),
    [
        ("en", "The frigate Tran Hung Dao left Cam Ranh Bay in 2018.", "Tran Hung Dao"),
        ("en", "The submarines HQ-187 Ba Ria–Vung Tau and HQ-185 Khanh Hoa are Kilos.", "Ba Ria"),
        ("en", "The submarines HQ-187 Ba Ria–Vung Tau and HQ-185 Khanh Hoa are Kilos.", "Khanh"),
        ("vi", "Hai tàu Đinh Tiên Hoàng và Lý Thái Tổ được bàn giao năm 2011.", "Đinh Tiên"),
        ("vi", "Hai tàu Đinh Tiên Hoàng và Lý Thái Tổ được bàn giao năm 2011.", "Lý Thái"),
        ("vi", "Tàu hộ vệ Trần Hưng Đạo được hạ thủy năm 2017.", "Trần Hưng"),
        ("ru", "Фрегат «Чан Хынг Дао» прибыл в Камрань.", "Чан Хынг"),
        ("zh", "陈兴道号护卫舰抵达金兰湾。", "陈兴"),
    ],
)
def test_regression_ship_names_are_not_people(lang: str, text: str, ship: str) -> None:
    """Vietnamese warships carry kings', heroes' and provinces' names; after a ship
    word or a hull number such a name is a ship, not a person."""
    doc = get_nlp(lang)(text)
    assert not any(ship in p for p in person_texts(doc)), [(e.text, e.label_) for e in doc.ents]


def test_regression_people_next_to_ship_words_are_still_people() -> None:
    doc = get_nlp("en")("President Ho Chi Minh died in 1969; the ship sailed without Putin.")
    assert linked(doc) == {"person:ho-chi-minh", "person:vladimir-putin"}


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Putin met Erdogan in Sochi in 2021.", "Sochi"),
        ("Fishermen from Khanh Hoa and Vung Tau sold their catch.", "Khanh Hoa"),
        ("Fishermen from Khanh Hoa and Vung Tau sold their catch.", "Vung Tau"),
    ],
)
def test_regression_english_places_are_not_people(text: str, place: str) -> None:
    doc = get_nlp("en")(text)
    assert place not in person_texts(doc)
    assert place in ents(doc, "GPE") + ents(doc, "LOC"), [(e.text, e.label_) for e in doc.ents]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Supplies moved south along the Ho Chi Minh Trail in 1968."),
        ("en", "The delegation flew on to Ho Chi Minh City."),
        ("vi", "Thành phố Hồ Chí Minh đón đoàn đại biểu Nga."),
        ("vi", "Bộ đội hành quân trên đường mòn Hồ Chí Minh."),
        ("zh", "代表团抵达胡志明市。"),
        ("ru", "Делегация прилетела в Хошимин."),
        ("ar", "وصل الوفد إلى مدينة هو تشي منه."),
    ],
)
def test_regression_places_named_after_ho_chi_minh_are_not_him(lang: str, text: str) -> None:
    doc = get_nlp(lang)(text)
    assert "person:ho-chi-minh" not in linked(doc), [(e.text, e.label_) for e in doc.ents]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "President Ho Chi Minh declared independence in 1945."),
        ("vi", "Chủ tịch Hồ Chí Minh đọc Tuyên ngôn Độc lập năm 1945."),
        ("zh", "胡志明主席访问了莫斯科。"),
        ("ru", "Президент Хо Ши Мин посетил Москву."),
    ],
)
def test_regression_ho_chi_minh_the_person_is_still_found(lang: str, text: str) -> None:
    doc = get_nlp(lang)(text)
    assert "person:ho-chi-minh" in linked(doc), [(e.text, e.label_) for e in doc.ents]


@pytest.mark.parametrize(
    "text",
    [
        "越方与俄方在河内会谈，中方表示欢迎。",
        "苏越关系在一九七八年达到高峰。",
        "蘇越友好條約於1978年簽署。",
        "俄越合作和中越边界问题都被提及。",
    ],
)
def test_regression_chinese_country_abbreviations_are_not_people(text: str) -> None:
    doc = get_nlp("zh")(text)
    assert person_texts(doc) == [], [(e.text, e.label_) for e in doc.ents]


def test_regression_arabic_known_name_wins_over_a_title_run() -> None:
    doc = get_nlp("ar")("التقى الأمين العام للحزب الشيوعي نغوين فو ترونغ بالرئيس بوتين.")
    people = person_texts(doc)
    assert "نغوين فو ترونغ" in people, [(e.text, e.label_) for e in doc.ents]
    assert not any("للحزب" in p for p in people)
    assert linked(doc) == {"person:nguyen-phu-trong", "person:vladimir-putin"}


def test_regression_vietnamese_council_is_not_a_person() -> None:
    doc = get_nlp("vi")("Chủ tịch Hội đồng Bộ trưởng Liên Xô thăm Hà Nội.")
    assert person_texts(doc) == [], [(e.text, e.label_) for e in doc.ents]


def test_regression_a_hull_number_after_a_name_makes_it_a_ship() -> None:
    doc = get_nlp("vi")(
        "Cặp tàu đầu tiên, Đinh Tiên Hoàng (HQ-011) và Lý Thái Tổ (HQ-012), về nước."
    )
    assert person_texts(doc) == [], [(e.text, e.label_) for e in doc.ents]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # "Đồng" begins the title "Đồng chí" and "Trung" the title "Trung tướng":
        # on their own they are name syllables
        ("Chủ tịch Hội đồng Bộ trưởng Phạm Văn Đồng thăm Moskva năm 1955.", "Phạm Văn Đồng"),
        ("Ông Nguyễn Quang Trung phát biểu tại hội nghị.", "Nguyễn Quang Trung"),
    ],
)
def test_regression_vietnamese_names_may_contain_a_title_word(text: str, name: str) -> None:
    doc = get_nlp("vi")(text)
    assert name in person_texts(doc), [(e.text, e.label_) for e in doc.ents]


def test_regression_arabic_temporal_word_after_title_is_not_a_name() -> None:
    """'رئيس الحكومة الروسية آنذاك' ('the Russian head of government at the time'):
    the word after the title and adjective is 'at the time', not a name."""
    doc = get_nlp("ar")("وافق دميتري مدفيديف، رئيس الحكومة الروسية آنذاك، على المسودة.")
    assert ents(doc, "PERSON") == ["دميتري مدفيديف"]


def test_arabic_nisba_after_a_title_is_skipped_by_its_shape() -> None:
    """An adjective of origin no reference data lists (الإكوادوري) is known by the
    article and the nisba ending of lang/ar/names.yaml; the name follows it."""
    doc = get_nlp("ar")("قال وزير الدفاع الإكوادوري خوان زاباتا إن الصفقة تمت.")
    assert ents(doc, "PERSON") == ["خوان زاباتا"]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # a foreign name in Latin letters needs no title: one of its words is no
        # Vietnamese syllable
        ("Nhà phân tích Derek Grossman cho rằng Hà Nội rất thận trọng.", ["Derek Grossman"]),
        # the capital of the sentence's first word is not part of the name
        ("Theo Gregory Poling, Việt Nam đã mở rộng các đảo ở Trường Sa.", ["Gregory Poling"]),
        # after a company, a school or a ship word, such a run is not a person
        ("Tập đoàn Lockheed Martin chào bán F-16 cho Việt Nam.", []),
        ("Ông Nguyễn Mạnh Hùng giảng dạy tại Đại học George Mason.", ["Nguyễn Mạnh Hùng"]),
        # a listed place right after a family name is a given name (Tân Cương: Xinjiang)
        ("Tổng Tham mưu trưởng Nguyễn Tân Cương tiếp Tư lệnh Lục quân Mỹ.", ["Nguyễn Tân Cương"]),
        # words that differ only by their marks are different words: Thanh is no Thành
        ("Chủ tịch Quốc hội Trần Thanh Mẫn tiếp đoàn Lào.", ["Trần Thanh Mẫn"]),
    ],
)
def test_vietnamese_names_without_reference_data(text: str, names: list[str]) -> None:
    doc = get_nlp("vi")(text)
    assert person_texts(doc) == names, [(e.text, e.label_) for e in doc.ents]


def test_vietnamese_places_after_a_feature_word_stay_places() -> None:
    doc = get_nlp("vi")("Tàu Mỹ đi qua Biển Đông rồi vào Vịnh Cam Ranh.")
    assert person_texts(doc) == []
    assert "Biển Đông" in {e.text for e in doc.ents if e.label_ == "LOC"}


def test_marks_must_agree_where_both_words_carry_them() -> None:
    from pipeline.people.normalise import marks_agree

    assert not marks_agree("Tần", "Tân")  # Qin Gang's family name is not Xinjiang's
    assert marks_agree("Tần", "Tan")  # a text written without marks still finds him
    assert marks_agree("Nguyễn", "nguyễn")
    assert marks_agree("Путин", "Путина")  # other scripts: the key decides
