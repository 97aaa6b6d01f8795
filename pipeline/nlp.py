"""Per-language spaCy pipelines, built from the language registry once per process.

Each language's ``pipeline/lang/<code>/language.yaml`` says how: the spaCy language
class and tokenizer, the statistical model (if one exists), named tokenizer fixes,
and its components with their config (see :class:`pipeline.lang.PipelineSpec`).
Every pipeline splits sentences and emits the entity labels of
``pipeline.extensions.LABELS`` (PERSON, ORG, GPE, LOC, WEAPON, DATE); after the
language's own components come osintdesk's weapons and dates components (unless
the language placed them) and the people linker last. A language outside the
registry gets a multilingual tokenizer and sentence splitting only: no coverage.
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import spacy
from spacy.lang.punctuation import TOKENIZER_INFIXES, TOKENIZER_PREFIXES, TOKENIZER_SUFFIXES
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex

from pipeline import lang as registry
from pipeline import ner_model, ner_ru, ner_rules, ner_zh, people
from pipeline.errors import ConfigError
from pipeline.extensions import LABELS, note_coverage, register_extensions
from pipeline.models import load_model

log = logging.getLogger(__name__)

register_extensions()

LABEL_MAP_COMPONENT = "osintdesk_label_map"
WEAPONS_COMPONENT = "osintdesk_weapons"
DATES_COMPONENT = "osintdesk_dates"
# osintdesk's own components every language gets, and the modules registering them
OWN_COMPONENTS = ((WEAPONS_COMPONENT, "pipeline.weapons"), (DATES_COMPONENT, "pipeline.dates"))
# components whose work is finding or linking entities (what coverage reports)
ENTITY_COMPONENTS = (
    "ner",
    ner_model.MODEL_COMPONENT,
    ner_ru.NATASHA_COMPONENT,
    ner_zh.LAC_COMPONENT,
    ner_rules.RULE_COMPONENT,
    WEAPONS_COMPONENT,
    DATES_COMPONENT,
    people.PEOPLE_COMPONENT,
)
# reference-data paths, passed to every component whose factory takes them
PATH_SETTINGS = ("people_path", "countries_path")
# named tokenizer adjustments a language may ask for (``pipeline.tokenizer_fixes``)
FIXES: dict[str, Callable[[Language], None]] = {
    "arabic_suffixes": ner_rules.fix_arabic_tokenizer,
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
    default_config={"mapping": {}, "keep_dates": True, "source": "ner"},
)
def make_label_map(
    nlp: Language, name: str, mapping: dict[str, str], keep_dates: bool, source: str
) -> LabelMap:
    return LabelMap(name, mapping, keep_dates, source)


SENTENCE_GUARD = "osintdesk_sentence_guard"


class SentenceGuard:
    """Takes back the punctuation sentencizer's boundaries that cut a number or follow an
    abbreviation: "3.75亿" (a decimal point between digits, no space around it) and the
    language's ``sentence_abbreviations`` ("г.", "рр.", "tr.", "TS."), whether the
    tokenizer kept the full stop on the word or split it off."""

    def __init__(self, name: str, abbreviations: list[str]) -> None:
        self.name = name
        self.abbreviations = frozenset(abbreviations)

    def _keeps_going(self, doc: Doc, i: int) -> bool:
        prev = doc[i - 1]
        if prev.text in self.abbreviations:
            return True
        if prev.text != "." or i < 2 or doc[i - 2].whitespace_:
            return False
        before = doc[i - 2]
        if not prev.whitespace_ and before.text[-1:].isdigit() and doc[i].text[:1].isdigit():
            return True
        return before.text + "." in self.abbreviations

    def __call__(self, doc: Doc) -> Doc:
        for i in range(1, len(doc)):
            if doc[i].is_sent_start and self._keeps_going(doc, i):
                doc[i].is_sent_start = False
        return doc


@Language.factory(SENTENCE_GUARD, default_config={"abbreviations": []})
def make_sentence_guard(nlp: Language, name: str, abbreviations: list[str]) -> SentenceGuard:
    return SentenceGuard(name, abbreviations)


@cache
def _own_components() -> tuple[str, ...]:
    """Import the modules of osintdesk's own components; a missing one is an error."""
    for factory, module in OWN_COMPONENTS:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ConfigError(f"component {factory}: cannot import {module}: {exc}") from exc
        if not Language.has_factory(factory):
            raise ConfigError(f"component {factory}: {module} registers no such factory")
    return tuple(factory for factory, _ in OWN_COMPONENTS)


def _syllable_tokenizer(nlp: Language) -> Tokenizer:
    return Tokenizer(
        nlp.vocab,
        rules={},
        prefix_search=compile_prefix_regex(TOKENIZER_PREFIXES).search,
        suffix_search=compile_suffix_regex(TOKENIZER_SUFFIXES).search,
        infix_finditer=compile_infix_regex(TOKENIZER_INFIXES).finditer,
    )


def blank(lang: str) -> Language:
    """A tokenizer-only pipeline for ``lang``, tokenised exactly as the registry's pipeline.

    Use it (not ``spacy.blank``) wherever spans must line up with ours: spaCy's own
    Vietnamese tokenizer needs pyvi and joins syllables into words, and its Chinese
    default would differ from our one-token-per-character split.
    """
    spec = registry.find(lang)
    if spec is None:
        return spacy.blank(lang)
    settings = spec.pipeline
    if settings.tokenizer == "characters":
        nlp = spacy.blank(settings.spacy_lang, config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    elif settings.tokenizer == "syllables":
        config = {"nlp": {"tokenizer": {"use_pyvi": False}}} if settings.spacy_lang == "vi" else {}
        nlp = spacy.blank(settings.spacy_lang, config=config)
        nlp.tokenizer = _syllable_tokenizer(nlp)
    else:
        nlp = spacy.blank(settings.spacy_lang)
    # components read the language from ``nlp.lang``; a language spaCy has no class for
    # (spacy_lang "xx") is still itself to them
    nlp.lang = spec.code
    nlp.meta["lang"] = spec.code
    for fix in settings.tokenizer_fixes:
        if fix not in FIXES:
            raise ConfigError(f"language {lang}: unknown tokenizer fix {fix!r} ({sorted(FIXES)})")
        FIXES[fix](nlp)
    return nlp


def _base(spec: registry.LanguageSpec) -> Language:
    settings = spec.pipeline
    if settings.model:
        nlp = load_model(settings.model, exclude=settings.model_exclude)
        for name in settings.model_enable:
            if name not in nlp.disabled:
                raise ConfigError(
                    f"language {spec.code}: model_enable {name!r} is not a disabled component "
                    f"of the model (disabled: {sorted(nlp.disabled)})"
                )
            nlp.enable_pipe(name)
        return nlp
    nlp = blank(spec.code)
    punct = {"punct_chars": settings.sentence_punct} if settings.sentence_punct else {}
    nlp.add_pipe("sentencizer", config=punct)
    nlp.add_pipe(SENTENCE_GUARD, config={"abbreviations": settings.sentence_abbreviations})
    return nlp


def _with_paths(factory: str, config: dict[str, Any], paths: dict[str, str]) -> dict[str, Any]:
    accepted = Language.get_factory_meta(factory).default_config or {}
    return {**{k: v for k, v in paths.items() if k in accepted}, **config}


def build_nlp(
    lang: str,
    people_path: Path | None = None,
    countries_path: Path | None = None,
    settings: dict[str, dict[str, Any]] | None = None,
) -> Language:
    """A fresh pipeline for ``lang`` (see the module docstring). Prefer :func:`get_nlp`.

    ``settings`` (``ExtractOptions.components``) override component config by factory.
    """
    settings = settings or {}
    spec = registry.find(lang)
    if spec is None:
        nlp = spacy.blank("xx")
        nlp.add_pipe("sentencizer")
        return nlp
    paths = {"people_path": str(people_path or ""), "countries_path": str(countries_path or "")}
    own = _own_components()
    nlp = _base(spec)
    for component in spec.pipeline.components:
        if not Language.has_factory(component.factory):
            raise ConfigError(f"language {lang}: no component factory {component.factory!r}")
        config = {**component.config, **settings.get(component.factory, {})}
        config = _with_paths(component.factory, config, paths)
        nlp.add_pipe(component.factory, config=config, before=component.before)
    for factory in own:
        if factory not in nlp.pipe_names:
            nlp.add_pipe(factory, config=_with_paths(factory, settings.get(factory, {}), paths))
    people_config = {**settings.get(people.PEOPLE_COMPONENT, {}), **paths}
    nlp.add_pipe(people.PEOPLE_COMPONENT, config=people_config)
    log.info("built %s pipeline: %s", lang, nlp.pipe_names)
    return nlp


def get_nlp(lang: str, settings: dict[str, dict[str, Any]] | None = None) -> Language:
    """The pipeline for ``lang`` with these component ``settings``, built on first use and
    cached for the process."""
    return _cached_nlp(lang, json.dumps(settings or {}, sort_keys=True))


@cache
def _cached_nlp(lang: str, settings: str) -> Language:
    return build_nlp(lang, settings=json.loads(settings))


registry.on_change(_cached_nlp.cache_clear)


def release_pipelines() -> None:
    """Drop every pipeline this process built, with the models only they use (LAC, the
    trained NER models); they are built again on next use."""
    _cached_nlp.cache_clear()
    ner_model.load_language_model.cache_clear()
    ner_zh.load_lac.cache_clear()


def coverage(lang: str) -> list[str]:
    """Components doing entity work for ``lang``; empty when there is no model for it."""
    return [name for name in get_nlp(lang).pipe_names if name in ENTITY_COMPONENTS]
