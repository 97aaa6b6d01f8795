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
