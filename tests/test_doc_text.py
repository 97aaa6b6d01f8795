"""Regression for the profile's first finding: doc.text rebuilt for every candidate name."""

from __future__ import annotations

from spacy.tokens import Doc

from pipeline.extensions import doc_text
from pipeline.nlp import blank


def test_doc_text_is_built_once_per_doc() -> None:
    doc = blank("en")("The frigate Dinh Tien Hoang (HQ-011) docked at Cam Ranh.")
    first = doc_text(doc)
    assert first == doc.text
    # the same object every time: not rebuilt from the tokens
    assert doc_text(doc) is first
    assert doc.text is not doc.text  # what spaCy itself does on each access


def test_doc_text_survives_retokenising() -> None:
    doc: Doc = blank("en")("Su-30MK2 fighters arrived.")
    before = doc_text(doc)
    with doc.retokenize() as retokenizer:
        retokenizer.merge(doc[0:3])
    assert doc_text(doc) == doc.text == before


TEXTS = {
    "en": "  The frigate Dinh Tien Hoang (HQ-011)\tdocked at Cam Ranh.  ",
    "zh": "越南海军 从俄罗斯购买了六艘基洛级潜艇。 ",
    "vi": "Tàu ngầm Hà Nội  về cảng Cam Ranh. ",
}


def test_remembered_text_is_the_docs_text_and_never_rebuilt() -> None:
    from pipeline import lang as registry
    from pipeline.extensions import remember_text

    for code in registry.codes():
        text = TEXTS.get(code, TEXTS["en"])
        doc = blank(code).make_doc(text)
        remember_text(doc, text)
        assert doc_text(doc) is text, code
        assert doc.text == text, code


def test_a_text_the_doc_was_not_made_from_is_not_remembered() -> None:
    from pipeline.extensions import remember_text

    doc = blank("en").make_doc("Two frigates.")
    remember_text(doc, "Two frigates. And more.")
    assert doc_text(doc) == "Two frigates."


def test_extraction_does_not_rebuild_paragraph_texts() -> None:
    """Each paragraph's Doc knows the text it was made from (no Token per character)."""
    from pipeline.extract import _process
    from pipeline.nlp import get_nlp
    from schemas import Paragraph

    first, second = "越南海军从俄罗斯购买了六艘潜艇。", "金兰湾。"
    text = f"{first}\n{second}"
    paragraphs = [
        Paragraph(text=first, language="zh", start=0, end=len(first)),
        Paragraph(text=second, language="zh", start=len(first) + 1, end=len(text)),
    ]
    docs = _process("t", text, "zh", paragraphs, get_nlp("zh"), None)
    assert [offset for offset, _ in docs] == [0, len(first) + 1]
    for offset, doc in docs:
        assert doc.user_data.get("osintdesk.text") == text[offset : offset + len(doc)]
        assert doc_text(doc) == doc.text
