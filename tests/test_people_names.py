"""Who is and is not a person, and the names people get: credits and bylines, Latin
canonical names, case forms, partial mentions within a document."""

from __future__ import annotations

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
