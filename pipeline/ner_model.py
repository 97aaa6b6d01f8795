"""A language's own trained NER model (``pipeline/lang/<code>/model``) as a component.

The model was trained on words in the language's comparison form
(:meth:`pipeline.lang.LanguageSpec.normalise`; for Arabic: no harakat or tatweel,
one alef, ى → ي, ة → ه), so each token is normalised into a parallel doc, the
model runs on that, and its entities are copied back token by token onto the
real doc. The real text is never changed. Entities go in first-come: this runs
before the rules, which add their spans where the model found none, and
reference data (known places and people) keeps precedence: a model span that cuts
across a known name, or runs two known names together, is dropped (the known names
are added later), and a known name replaces a model span it covers.
How the model is trained: :mod:`pipeline.training`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from pipeline import lang as registry
from pipeline.errors import ConfigError
from pipeline.extensions import LABELS, merge_ents, note_coverage
from pipeline.people import people_forms, place_forms

log = logging.getLogger(__name__)

MODEL_COMPONENT = "osintdesk_model_ner"


@cache
def load_language_model(lang: str, folder: str) -> Language:
    """The trained model in ``pipeline/lang/<lang>/<folder>``, loaded once per process."""
    spec = registry.get(lang)
    path = Path(str(spec.folder)) / folder
    if not (path / "meta.json").is_file():
        raise ConfigError(
            f"language {lang}: no trained NER model at {path} "
            f"(train it with `make train-{lang}-ner`)"
        )
    try:
        return spacy.load(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"language {lang}: cannot load NER model {path}: {exc}") from exc


registry.on_change(load_language_model.cache_clear)


class ModelNER:
    """Runs the language's trained model on normalised words; entities onto the doc."""

    def __init__(
        self,
        nlp: Language,
        name: str,
        model: str,
        batch_size: int,
        people_path: str,
        countries_path: str,
    ) -> None:
        self.name = name
        self.lang = nlp.lang or "xx"
        self.known = [
            people_forms(self.lang, nlp.tokenizer, Path(people_path) if people_path else None),
            place_forms(self.lang, nlp.tokenizer, Path(countries_path) if countries_path else None),
        ]
        self.spec = registry.get(self.lang)
        self.model = load_language_model(self.lang, model)
        self.batch_size = batch_size
        unknown = set(getattr(self.model.get_pipe("ner"), "labels", ())) - set(LABELS)
        if unknown:
            raise ConfigError(f"{name}: model labels {sorted(unknown)} are not among {LABELS}")

    def _normal(self, doc: Doc) -> Doc:
        words = [self.spec.normalise(t.text) or t.text for t in doc]
        spaces = [bool(t.whitespace_) for t in doc]
        return Doc(self.model.vocab, words=words, spaces=spaces)

    def _known_spans(self, doc: Doc) -> list[tuple[int, int]]:
        return [(s, e) for index in self.known for s, e, _ in index.scan(doc)]

    @staticmethod
    def _against_known(start: int, end: int, known: list[tuple[int, int]]) -> bool:
        """Whether a model span may stand: it cuts across no known name and holds at
        most one ("أندريه بيلوسوف سيرغي شويغو" is two people run together)."""
        inside = 0
        for s, t in known:
            if start <= s and t <= end:
                inside += 1
            elif s < end and start < t:
                return False
        return inside <= 1

    def _copy(self, doc: Doc, normal: Doc) -> Doc:
        known = self._known_spans(doc) if normal.ents else []
        spans = [
            Span(doc, e.start, e.end, label=e.label_)
            for e in normal.ents
            if self._against_known(e.start, e.end, known)
        ]
        merge_ents(doc, spans)
        note_coverage(doc, self.name)
        return doc

    def __call__(self, doc: Doc) -> Doc:
        return self._copy(doc, self.model(self._normal(doc)))

    def pipe(self, stream: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        for batch in minibatch(stream, size=batch_size or self.batch_size):
            normals = self.model.pipe(self._normal(d) for d in batch)
            for doc, normal in zip(batch, normals, strict=True):
                yield self._copy(doc, normal)


@Language.factory(
    MODEL_COMPONENT,
    default_config={"model": "model", "batch_size": 128, "people_path": "", "countries_path": ""},
)
def make_model_ner(
    nlp: Language,
    name: str,
    model: str,
    batch_size: int,
    people_path: str,
    countries_path: str,
) -> ModelNER:
    return ModelNER(nlp, name, model, batch_size, people_path, countries_path)
