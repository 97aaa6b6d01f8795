"""Russian NER: a spaCy component wrapping natasha's news NER tagger.

natasha (Segmenter + NewsEmbedding + NewsNERTagger) ships its weights inside
the installed packages, so nothing is downloaded. Its PER/LOC/ORG spans are
mapped to PERSON / GPE or LOC / ORG and aligned to spaCy tokens.
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

NATASHA_COMPONENT = "osintdesk_natasha_ner"


@lru_cache(maxsize=1)
def _natasha() -> tuple[Any, Any]:
    """natasha's segmenter and NER tagger, loaded once per process."""
    from natasha import NewsEmbedding, NewsNERTagger, Segmenter

    return Segmenter(), NewsNERTagger(NewsEmbedding())


def natasha_spans(text: str) -> list[tuple[int, int, str]]:
    """(start char, end char, natasha type) for each entity natasha finds."""
    from natasha import Doc as NatashaDoc

    segmenter, tagger = _natasha()
    ndoc = NatashaDoc(text)
    ndoc.segment(segmenter)
    ndoc.tag_ner(tagger)
    return [(s.start, s.stop, s.type) for s in ndoc.spans]


class NatashaNER:
    """Adds natasha's entities to ``doc.ents`` (existing entities are kept)."""

    def __init__(self, name: str, lang: str) -> None:
        self.name = name
        self.lang = lang  # the pipeline's language: its geography words label places
        _natasha()

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        for start, end, kind in natasha_spans(doc.text):
            span = doc.char_span(start, end, alignment_mode="expand")
            if span is None:
                continue
            if kind == "PER":
                label = "PERSON"
            elif kind == "LOC":
                label = place_label(span.text, self.lang)
            elif kind == "ORG":
                label = "ORG"
            else:
                continue
            spans.append(Span(doc, span.start, span.end, label=label))
        merge_ents(doc, spans)
        note_coverage(doc, self.name)
        return doc


@Language.factory(NATASHA_COMPONENT)
def make_natasha_ner(nlp: Language, name: str) -> NatashaNER:
    return NatashaNER(name, nlp.lang or "xx")
