"""Per-language spaCy pipelines, built once per process.

Every pipeline splits sentences and emits the entity labels of
``pipeline.extensions.LABELS`` (PERSON, ORG, GPE, LOC, WEAPON, DATE):

====  =====================================================================
en    en_core_web_sm (weapons ruler *before* its NER, which otherwise calls
      Su-30MK2 a PERSON and Gepard a NORP), labels mapped, gazetteer places
ru    blank tokenizer + natasha NER (PER/LOC/ORG) + gazetteer places
zh    character tokens + LAC NER (PER/LOC/ORG) + gazetteer places
vi    syllable tokenizer + rule NER (titles, family-name runs, gazetteer)
ar    blank tokenizer (suffix fixes, clitic splitting) + rule NER
other blank multilingual tokenizer and sentence splitting only: no coverage
====  =====================================================================

then ``osintdesk_weapons`` and ``osintdesk_dates`` (when those modules are
importable) and ``osintdesk_people`` (linking) last.
"""

from __future__ import annotations

import importlib
import logging
from functools import cache
from pathlib import Path

import spacy
from spacy.lang.punctuation import TOKENIZER_INFIXES, TOKENIZER_PREFIXES, TOKENIZER_SUFFIXES
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from pipeline import ner_ru, ner_rules, ner_zh, people
from pipeline.extensions import LABELS, register_extensions
from pipeline.models import load_english
from pipeline.people import note_coverage

log = logging.getLogger(__name__)

register_extensions()

SUPPORTED = ("en", "ru", "ar", "vi", "zh")
LABEL_MAP_COMPONENT = "osintdesk_label_map"
WEAPONS_COMPONENT = "osintdesk_weapons"
DATES_COMPONENT = "osintdesk_dates"
# modules that register optional factories when imported
_OPTIONAL = ((WEAPONS_COMPONENT, "pipeline.weapons"), (DATES_COMPONENT, "pipeline.dates"))
# components whose work is finding or linking entities (what coverage reports)
ENTITY_COMPONENTS = (
    "ner",
    ner_ru.NATASHA_COMPONENT,
    ner_zh.LAC_COMPONENT,
    ner_rules.RULE_COMPONENT,
    WEAPONS_COMPONENT,
    DATES_COMPONENT,
    people.PEOPLE_COMPONENT,
)

# en_core_web_sm components left out: the parser gives sentences, ner the entities
EN_EXCLUDED = ["tagger", "attribute_ruler", "lemmatizer"]
# en_core_web_sm labels → ours; labels not listed are dropped.
EN_LABELS = {
    "PERSON": "PERSON",
    "ORG": "ORG",
    "GPE": "GPE",
    "LOC": "LOC",
    "FAC": "LOC",
    "DATE": "DATE",
    "WEAPON": "WEAPON",
}


class LabelMap:
    """Maps a model's entity labels to ours and drops the rest (NORP, CARDINAL…)."""

    def __init__(self, name: str, mapping: dict[str, str], keep_dates: bool, source: str) -> None:
        unknown = set(mapping.values()) - set(LABELS)
        if unknown:
            raise ValueError(f"{name}: labels {sorted(unknown)} are not among {LABELS}")
        self.name = name
        self.mapping = mapping
        self.keep_dates = keep_dates
        self.source = source

    def __call__(self, doc: Doc) -> Doc:
        ents: list[Span] = []
        for ent in doc.ents:
            label = self.mapping.get(ent.label_)
            if label is None or (label == "DATE" and not self.keep_dates):
                continue
            if label != ent.label_:
                ent = Span(doc, ent.start, ent.end, label=label)
            ents.append(ent)
        doc.ents = ents
        note_coverage(doc, self.source)
        return doc


@Language.factory(
    LABEL_MAP_COMPONENT,
    default_config={"mapping": EN_LABELS, "keep_dates": True, "source": "ner"},
)
def make_label_map(
    nlp: Language, name: str, mapping: dict[str, str], keep_dates: bool, source: str
) -> LabelMap:
    return LabelMap(name, mapping, keep_dates, source)


def _optional_components() -> list[str]:
    """Factory names of the weapons/dates components that can be imported."""
    available: list[str] = []
    for factory, module in _OPTIONAL:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            log.warning("component %s unavailable: cannot import %s: %s", factory, module, exc)
            continue
        if Language.has_factory(factory):
            available.append(factory)
        else:
            log.warning("component %s unavailable: %s registers no such factory", factory, module)
    return available


def blank(lang: str) -> Language:
    """A tokenizer-only pipeline for ``lang``, tokenised exactly as the registry's pipeline.

    Use it (not ``spacy.blank``) wherever spans must line up with ours: spaCy's own
    Vietnamese tokenizer needs pyvi and joins syllables into words, and its Chinese
    default would differ from our one-token-per-character split.
    """
    if lang == "vi":
        nlp = spacy.blank("vi", config={"nlp": {"tokenizer": {"use_pyvi": False}}})
        # syllables with punctuation split off: spaCy's pyvi mode joins syllables (names
        # then straddle word boundaries) and its plain mode leaves "Nội." glued
        nlp.tokenizer = Tokenizer(
            nlp.vocab,
            rules={},
            prefix_search=compile_prefix_regex(TOKENIZER_PREFIXES).search,
            suffix_search=compile_suffix_regex(TOKENIZER_SUFFIXES).search,
            infix_finditer=compile_infix_regex(TOKENIZER_INFIXES).finditer,
        )
        return nlp
    if lang == "zh":
        # characters: jieba's words often straddle entity boundaries (Traditional script
        # especially: "習近平訪問河內" gives "習近平訪"); one token per character aligns
        # every component's character spans exactly
        return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    return spacy.blank(lang)


def _blank(lang: str) -> Language:
    nlp = blank(lang)
    nlp.add_pipe("sentencizer")
    return nlp


def build_nlp(
    lang: str, people_path: Path | None = None, countries_path: Path | None = None
) -> Language:
    """A fresh pipeline for ``lang`` (see the module docstring). Prefer :func:`get_nlp`."""
    if lang not in SUPPORTED:
        return _blank("xx")
    paths = {
        "people_path": str(people_path or ""),
        "countries_path": str(countries_path or ""),
    }
    optional = _optional_components()
    rule_config = {"countries_path": paths["countries_path"]}
    if lang == "en":
        # nothing downstream reads POS tags or lemmas; entities and sentences are the
        # same without them (checked on the seed documents)
        nlp = load_english(exclude=EN_EXCLUDED)
        if WEAPONS_COMPONENT in optional:
            nlp.add_pipe(WEAPONS_COMPONENT, before="ner")
        # model DATE spans are kept: the dates component widens and normalises them
        nlp.add_pipe(LABEL_MAP_COMPONENT, after="ner")
        nlp.add_pipe(ner_rules.RULE_COMPONENT, config={**rule_config, "titles": False})
    elif lang == "ru":
        nlp = _blank("ru")
        nlp.add_pipe(ner_ru.NATASHA_COMPONENT)
        nlp.add_pipe(ner_rules.RULE_COMPONENT, config={**rule_config, "titles": False})
    elif lang == "zh":
        nlp = _blank("zh")
        nlp.add_pipe(ner_zh.LAC_COMPONENT)
        nlp.add_pipe(ner_rules.RULE_COMPONENT, config={**rule_config, "titles": False})
    elif lang == "vi":
        nlp = _blank("vi")
        nlp.add_pipe(ner_rules.RULE_COMPONENT, config={**rule_config, "titles": True})
    else:  # ar
        nlp = _blank("ar")
        ner_rules.fix_arabic_tokenizer(nlp)
        nlp.add_pipe(ner_rules.CLITIC_COMPONENT, config=paths)
        nlp.add_pipe(ner_rules.RULE_COMPONENT, config={**rule_config, "titles": True})
    for factory in optional:
        if factory not in nlp.pipe_names:
            nlp.add_pipe(factory)
    nlp.add_pipe(people.PEOPLE_COMPONENT, config=paths)
    log.info("built %s pipeline: %s", lang, nlp.pipe_names)
    return nlp


@cache
def get_nlp(lang: str) -> Language:
    """The pipeline for ``lang``, built on first use and cached for the process."""
    return build_nlp(lang)


def coverage(lang: str) -> list[str]:
    """Components doing entity work for ``lang``; empty when there is no model for it."""
    return [name for name in get_nlp(lang).pipe_names if name in ENTITY_COMPONENTS]
