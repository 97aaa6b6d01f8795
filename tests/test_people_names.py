"""Who is and is not a person, and the names people get: credits and bylines, Latin
canonical names, case forms, partial mentions within a document."""

from __future__ import annotations

import itertools

import pytest

from pipeline.config import ExtractOptions
from pipeline.extract import extract_document
from pipeline.people.credits import find_credits
from schemas.records import Extractor, Paragraph

EXTRACTOR = Extractor(name="osintdesk", version="test")


def _extract(paragraphs: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    """Extraction of a document made of (language, paragraph) pairs, real pipelines."""
    text, paras, offset = "", [], 0
    for lang, para in paragraphs:
        if text:
            text += "\n\n"
            offset += 2
        paras.append(Paragraph(text=para, language=lang, start=offset, end=offset + len(para)))
        text += para
        offset += len(para)
    return extract_document(
        "document:test", text, paras, published=None, options=ExtractOptions(), extractor=EXTRACTOR
    )


@pytest.mark.parametrize(
    ("text", "lang", "who"),
    [
        ("Missiles | Photo Credit: Special Arrangement", "en", ["Special Arrangement"]),
        ("By Defence Industry Europe", "en", ["Defence Industry Europe"]),
        ("(Photo: Reuters) President Trump spoke.", "en", ["Reuters"]),
        ("Изображение: (сс) Bayhaluk", "ru", ["Bayhaluk"]),
        ("Фото: Олег Петров", "uk", ["Олег Петров"]),
        ("责任编辑：王伟", "zh", ["王伟"]),
        ("（记者 张海丽）", "zh", ["张海丽"]),
        ("Ảnh: Bộ Quốc phòng", "vi", ["Bộ Quốc phòng"]),
        ("بقلم محمد علي", "ar", ["محمد علي"]),
        # not credits: a byline word in prose, a label with a long sentence after it
        ("By contrast, Russia sold six jets.", "en", []),
        ("By the end of the year Indonesia had ordered 42 jets from France and more", "en", []),
    ],
)  # fmt: skip
def test_credits_and_bylines_are_found(text: str, lang: str, who: list[str]) -> None:
    assert [c.who for c in find_credits(text, lang)] == who


def test_credited_names_are_authors_not_people() -> None:
    """A photo credit and a byline named people records on real pages ("Photo Credit",
    editors' names); they are the document's authors."""
    ex = _extract(
        [
            ("en", "By John Smith"),
            ("en", "Defence Minister Rajnath Singh met Lloyd Austin in Delhi."),
            ("en", "Missiles at the base | Photo Credit: Anna Brown"),
        ]
    )
    people = {p.mention.text for p in ex.people}
    assert "John Smith" not in people and "Anna Brown" not in people
    assert not any("Photo" in p for p in people)
    assert "Lloyd Austin" in people
    assert ex.authors == ["John Smith", "Anna Brown"]


@pytest.mark.parametrize(
    ("name", "lang", "nominative"),
    [
        ("Реджепа Тайипа Эрдогана", "ru", "Реджеп Тайип Эрдоган"),
        ("Марии Захаровой", "ru", "Мария Захарова"),
        ("Дмитрию Шугаеву", "ru", "Дмитрий Шугаев"),
        ("Михеевым", "ru", "Михеев"),
        ("Сергей Шойгу", "ru", "Сергей Шойгу"),
        ("Анджея Дуди", "uk", "Анджей Дуда"),
        ("Олафа Шольца", "uk", "Олаф Шольц"),
        ("Ллойдом Остином", "uk", "Ллойд Остин"),
    ],
)
def test_russian_and_ukrainian_names_go_to_the_nominative(
    name: str, lang: str, nominative: str
) -> None:
    from pipeline.people.inflection import nominative as to_nominative

    assert to_nominative(name, lang) == nominative


@pytest.mark.parametrize(
    ("name", "lang", "latin", "basis"),
    [
        ("Реджепа Тайипа Эрдогана", "ru", "Redzhep Tayip Erdogan", "transliteration"),
        ("Игорь Севастьянов", "ru", "Igor Sevastyanov", "transliteration"),
        ("Григорія Сковороди", "uk", "Hryhoriy Skovoroda", "transliteration"),
        ("كونستانتين ماكيينكو", "ar", "Konstantin Makiynku", "transliteration"),
        ("محمد بن سلمان", "ar", "Mohammed bin Salman", "transliteration"),
        ("عبد الفتاح السيسي", "ar", "Abdel Fattah al-Sisi", "transliteration"),
        ("佩斯科夫", "zh", "Peskov", "transliteration"),  # Xinhua syllables, not pinyin
        ("拉夫罗夫", "zh", "Lavrov", "transliteration"),
        ("弗洛朗絲·帕利", "zh", "Florans Pali", "transliteration"),
        ("江泽民", "zh", "Jiang Zemin", "transliteration"),  # a Chinese name: pinyin
        ("Abdel Fattah al-Sisi", "en", "Abdel Fattah al-Sisi", "as_written"),
        ("(SSB)Халук Гёргун", "ru", "Khaluk Gergun", "transliteration"),
    ],
)
def test_any_name_gets_a_latin_name_with_its_basis(
    name: str, lang: str, latin: str, basis: str
) -> None:
    from pipeline.people.latin import latin_name

    assert latin_name(name, lang) == (latin, basis)


def test_partial_mentions_join_the_full_name_in_the_same_document() -> None:
    """ "Михеев" and "Александр Михеев", "Austin" and "Lloyd Austin" stayed two records."""
    ex = _extract(
        [
            ("ru", "Генеральный директор завода Олег Петровский прибыл в Дели."),
            ("ru", "По словам Петровского, контракт будет подписан."),
            ("en", "US Defense Secretary Lloyd Austin arrived in Manila."),
            ("en", "Austin said the missiles would arrive soon."),
        ]
    )
    ids = {p.mention.text: (p.id, p.canonical_name, p.name_basis) for p in ex.people}
    assert ids["Петровского"] == ids["Олег Петровский"]
    assert ids["Петровского"][1:] == ("Oleg Petrovskiy", "transliteration")
    assert ids["Austin"] == ids["Lloyd Austin"]
    assert ids["Austin"][1:] == ("Lloyd Austin", "reference")


def test_a_part_shared_by_two_full_names_stays_apart() -> None:
    ex = _extract(
        [
            ("en", "Lloyd Austin met Harold Austin in Manila."),
            ("en", "Austin said the missiles would arrive soon."),
        ]
    )
    ids = {p.mention.text: p.id for p in ex.people}
    assert ids["Austin"] not in (ids["Lloyd Austin"], ids["Harold Austin"])


def _person(doc: str, text: str, lang: str, latin: str) -> object:
    from pipeline.extract import PersonMention
    from pipeline.extract.records import person_id
    from pipeline.people import person_key
    from schemas.records import Mention

    key = person_key(text, lang)
    return PersonMention(
        id=person_id(None, key) or "",
        mention=Mention(document_id=doc, text=text, start=0, end=len(text), language=lang),
        canonical_name=latin,
        name_basis="as_written" if lang in ("en", "vi") else "transliteration",
        key=key,
    )


def test_unknown_names_link_across_documents_and_scripts_by_spelling() -> None:
    """ "Игорь Севастьянов" (romanised Igor Sevastyanov) and "Igor Sevastianov" are one person;
    "Sergey Shoygu" is the reference Sergei Shoigu; two different people stay apart."""
    from pipeline.extract import DocumentExtraction
    from pipeline.link import link_all

    docs = [
        DocumentExtraction(
            document_id="document:a",
            people=[_person("document:a", "Игорь Севастьянов", "ru", "Igor Sevastyanov")],  # type: ignore[list-item]
        ),
        DocumentExtraction(
            document_id="document:b",
            people=[
                _person("document:b", "Igor Sevastianov", "en", "Igor Sevastianov"),  # type: ignore[list-item]
                _person("document:b", "Sergey Shoygu", "en", "Sergey Shoygu"),  # type: ignore[list-item]
                _person("document:b", "Dmitry Peskov", "en", "Dmitry Peskov"),  # type: ignore[list-item]
            ],
        ),
    ]
    linked = link_all(docs)
    names = {r.name: r for r in linked.people}
    assert set(names) == {"Igor Sevastianov", "Sergei Shoigu", "Dmitry Peskov"}
    assert names["Sergei Shoigu"].id == "person:sergei-shoigu"
    assert names["Sergei Shoigu"].known and names["Sergei Shoigu"].name_basis == "reference"
    assert {m.text for m in names["Igor Sevastianov"].mentions} == {
        "Игорь Севастьянов",
        "Igor Sevastianov",
    }


def test_fuzzy_matching_never_merges_two_reference_people() -> None:
    from pipeline.people.fuzzy import same_person
    from pipeline.people.index import person_index

    names = sorted(p.name for p in person_index().people.values())
    merged = [(a, b) for a, b in itertools.combinations(names, 2) if same_person(a, b)]
    assert merged == []


def test_regression_an_ocean_is_a_place_not_a_person() -> None:
    """ "Thái Bình Dương" (the Pacific) came out as a person: three capitalised
    syllables look like a Vietnamese name."""
    ex = _extract([("vi", "Tàu chiến Mỹ tuần tra ở Thái Bình Dương ngày 5/10/2023.")])
    assert not [p for p in ex.people if "Thái Bình Dương" in p.mention.text]


def test_ukrainian_given_name_from_the_dictionary_starts_a_name() -> None:
    """Ukrainian has no NER model: a name without a title ("Про це заявив Олексій
    Петренко") was missed; the pymorphy3 dictionary knows Олексій as a given name."""
    from pipeline.nlp import get_nlp

    doc = get_nlp("uk")(
        "Про це заявив Олексій Петренко у середу. Київ отримав Leopard 2. Інженерів готує "
        "Київський політехнічний інститут імені Ігоря Сікорського."
    )
    people = [e.text for e in doc.ents if e.label_ == "PERSON"]
    assert people == ["Олексій Петренко"]  # a name after імені belongs to the institute


def test_blocked_comparison_finds_exactly_the_pairs_a_full_comparison_finds() -> None:
    """``similar_pairs`` prefilters in C; it must neither lose nor add a pair: checked
    against every pair scored one by one, on reference names and respellings of them
    (letters doubled, vowels swapped, a word dropped) that do and do not match."""
    from pipeline.people.fuzzy import same_person, similar_pairs
    from pipeline.people.index import person_index

    reference = sorted(p.name for p in person_index().people.values())[::9]
    respelled = [
        variant
        for name in reference[::3]
        for variant in (
            name.replace("i", "y"),
            name.replace("e", "a", 1),
            name.replace("s", "ss"),
            " ".join(name.split()[1:]),
            name + " Jr",
        )
    ]
    names = reference + respelled
    expected = {(i, j) for i, j in itertools.combinations(range(len(names)), 2)
                if same_person(names[i], names[j])}  # fmt: skip
    assert expected  # the respellings do match their originals
    assert set(similar_pairs(names)) == expected
    across = {(i, j) for i in range(len(respelled)) for j in range(len(reference))
              if same_person(respelled[i], reference[j])}  # fmt: skip
    assert set(similar_pairs(respelled, reference)) == across
