"""Mentions and dated, typed events from spaCy Docs.

``extract_document`` runs each paragraph through the pipeline of its language
(``pipeline.nlp.get_nlp``), shifts every span back to document offsets and
reads the entity spans through the extensions of ``pipeline.extensions``:

- PERSON spans become :class:`PersonMention` (canonical id when linked);
- WEAPON spans become :class:`WeaponMention` (canonical id, quantity);
- DATE spans with a ``_.date`` value become :class:`~schemas.records.DateInfo`;
- a sentence with a dated DATE span *and* a trigger from
  ``pipeline/data/triggers.yaml`` becomes an :class:`~schemas.records.EventRecord`.

The package by job: :mod:`~pipeline.extract.triggers` (the trigger lexicon and its
loading), :mod:`~pipeline.extract.matcher` (triggers found in a text),
:mod:`~pipeline.extract.records` (spans to mention records),
:mod:`~pipeline.extract.events` (event assembly); this module drives them.

Event confidence (documented formula, in [0, 1])::

    confidence = 0.5 * trigger_weight
               + 0.3 * date_score          # by precision, x0.9 when anchored
               + 0.2 * entity_score        # 0.5 actor (country/person) + 0.5 object

where ``date_score`` is 1.0 day, 0.9 month, 0.8 season/quarter, 0.7 year,
0.6 range, 0.4 decade, 0.3 century, 0.2 unknown; the object half of
``entity_score`` is a weapons system, a place or a second actor. Events below
``ExtractOptions.min_event_confidence`` are dropped.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence

from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc, Span

from pipeline import extensions as _extensions
from pipeline.config import ExtractOptions
from pipeline.errors import ConfigError, ExtractError
from pipeline.extract.classes import add_weapon_classes, class_mentions
from pipeline.extract.events import (
    DATE_SCORE,
    DateContext,
    event_confidence,
    sentence_dates,
    sentence_events,
    unique,
)
from pipeline.extract.identity import link_partial_mentions
from pipeline.extract.matcher import TriggerMatch, find_triggers
from pipeline.extract.parties import add_parties
from pipeline.extract.records import (
    DocPart,
    DocumentExtraction,
    OrganisationMention,
    PersonMention,
    WeaponMention,
    date_info,
    organisation_mention,
    person_id,
    person_mention,
    weapon_mention,
)
from pipeline.extract.triggers import (
    EventTypeLexicon,
    Label,
    LanguageLexicon,
    TriggerLexicon,
    load_lexicon,
)
from pipeline.extract.years import infer_years
from schemas.records import DateInfo, Extractor, Paragraph

log = logging.getLogger(__name__)

_extensions.register_extensions()

__all__ = [
    "DATE_SCORE",
    "DateContext",
    "DocPart",
    "DocumentExtraction",
    "EventTypeLexicon",
    "Label",
    "LanguageLexicon",
    "OrganisationMention",
    "PersonMention",
    "PipelineGetter",
    "TriggerLexicon",
    "TriggerMatch",
    "WeaponMention",
    "event_confidence",
    "extract_document",
    "extract_parts",
    "find_triggers",
    "load_lexicon",
    "person_id",
    "sentence_events",
    "sentences",
]

_SENTENCIZER: Sentencizer | None = None
_FULL_STOP = re.compile(r"[.。!！?？؟][\"'»”)\]]*$")


def sentences(doc: Doc) -> list[Span]:
    """The Doc's sentences, never cutting through an entity.

    Docs without sentence boundaries are split by spaCy's punctuation
    sentencizer. A boundary inside an entity span (a splitter that took the
    "." of "636.1" for a full stop) is dropped, merging the two sentences.
    """
    global _SENTENCIZER
    if not doc.has_annotation("SENT_START"):
        if _SENTENCIZER is None:
            _SENTENCIZER = Sentencizer()
        _SENTENCIZER(doc)
    inside = {i for ent in doc.ents for i in range(ent.start + 1, ent.end)}
    starts = [s.start for s in doc.sents if s.start == 0 or s.start not in inside]
    ends = [*starts[1:], len(doc)]
    return [doc[a:b] for a, b in zip(starts, ends, strict=True) if b > a]


def _add_mentions(result: DocumentExtraction, part: DocPart) -> None:
    """The part's PERSON, WEAPON and DATE spans, as records, added to ``result``."""
    doc_id = result.document_id
    credits = part.doc._.credits if isinstance(part.doc._.credits, list) else []
    result.authors.extend(str(c) for c in credits if str(c) not in result.authors)
    for ent in part.ents:
        if ent.label_ == "PERSON":
            person = person_mention(ent, part, doc_id)
            if person is not None:
                result.people.append(person)
        elif ent.label_ == "ORG":
            org = organisation_mention(ent, part, doc_id)
            if org is not None:
                result.organisations.append(org)
        elif ent.label_ == "WEAPON":
            weapon = weapon_mention(ent, part, doc_id)
            if weapon is not None:
                result.weapons.append(weapon)
        elif ent.label_ == "DATE":
            date = date_info(ent, part.offset)
            if date is not None:
                result.dates.append(date)


def extract_parts(
    doc_id: str,
    parts: Sequence[DocPart],
    *,
    options: ExtractOptions,
    extractor: Extractor,
    coverage: dict[str, list[str]] | None = None,
) -> DocumentExtraction:
    """Mentions, dates and events from already processed paragraphs."""
    result = DocumentExtraction(document_id=doc_id, coverage=dict(coverage or {}))
    placed = infer_years(parts)
    if placed:
        log.debug("%s: %d dates without a year given the text's nearest year", doc_id, placed)
    headline = _headline_dates(parts, options)
    # the weapons of each of the last sentences, for sentences that refer back to them
    window = load_lexicon().antecedent_sentences
    recent: list[tuple[WeaponMention, ...]] = []
    for index, part in enumerate(parts):
        _add_mentions(result, part)
        published = part.doc._.published
        earlier: list[DateInfo] = []
        previous: list[DateInfo] = []
        for sent in sentences(part.doc):
            context = DateContext(
                previous=tuple(previous),
                paragraph=tuple(earlier),
                headline=headline if index else (),
                published=published if isinstance(published, dt.date) else None,
                weapons=next((w for w in reversed(recent[-window:]) if w), ()) if window else (),
            )
            result.events.extend(
                sentence_events(
                    sent,
                    part,
                    doc_id=doc_id,
                    extractor=extractor,
                    options=options,
                    context=context,
                )
            )
            earlier.extend(previous)
            previous = sentence_dates(sent, part)
            recent.append(_sentence_weapons(sent, part, doc_id))
    add_parties(result, parts)
    result.weapon_classes = class_mentions(parts, doc_id)
    add_weapon_classes(result.events, result.weapon_classes)
    mapping = link_partial_mentions(result.people)
    if mapping:
        for event in result.events:
            event.people = unique(mapping.get(pid, pid) for pid in event.people)
    return result


def _sentence_weapons(sent: Span, part: DocPart, doc_id: str) -> tuple[WeaponMention, ...]:
    return tuple(
        w
        for e in part.ents_in(sent)
        if e.label_ == "WEAPON" and (w := weapon_mention(e, part, doc_id)) is not None
    )


def _headline_dates(parts: Sequence[DocPart], options: ExtractOptions) -> tuple[DateInfo, ...]:
    """The dated spans of the document's headline: its first paragraph, when that is
    one short sentence (at most ``options.headline_max_chars``) without a full stop."""
    if not parts:
        return ()
    first = parts[0]
    sents = sentences(first.doc)
    text = _extensions.doc_text(first.doc).strip()
    if len(sents) != 1 or len(text) > options.headline_max_chars or _FULL_STOP.search(text):
        return ()
    return tuple(sentence_dates(sents[0], first))


PipelineGetter = Callable[[str], Language]


def _default_getter(options: ExtractOptions) -> PipelineGetter:
    from pipeline.nlp import get_nlp

    return lambda lang: get_nlp(lang, options.components)


def _groups(paragraphs: Sequence[Paragraph]) -> list[tuple[str, list[Paragraph]]]:
    groups: list[tuple[str, list[Paragraph]]] = []
    for para in paragraphs:
        if groups and groups[-1][0] == para.language:
            groups[-1][1].append(para)
        else:
            groups.append((para.language, [para]))
    return groups


def _pipeline(
    lang: str, doc_id: str, getter: PipelineGetter, options: ExtractOptions
) -> Language | None:
    """The pipeline of ``lang``; None when the language is not configured or has none."""
    if lang not in options.languages:
        return None
    try:
        return getter(lang)
    except ConfigError as exc:
        log.warning("%s: no pipeline for language %s: %s", doc_id, lang, exc)
        return None


_CHUNK_BREAKS = (
    re.compile(r"\n"),
    re.compile(r"[.!?;。！？；؟۔]['\"»”)\]]*\s"),
    re.compile(r"\s"),
)


def chunks(start: int, end: int, text: str, limit: int) -> list[tuple[int, int]]:
    """``text[start:end]`` cut into spans of at most ``limit`` characters: at a line break,
    else after a sentence end, else at a space, else hard (a paragraph longer than the
    pipeline's ``max_length`` is processed in pieces, each keeping its document offset)."""
    spans: list[tuple[int, int]] = []
    while end - start > limit:
        cut = start + limit
        for pattern in _CHUNK_BREAKS:
            found = [m.end() for m in pattern.finditer(text, start + limit // 2, cut)]
            if found:
                cut = found[-1]
                break
        spans.append((start, cut))
        start = cut
    spans.append((start, end))
    return spans


def _process(
    doc_id: str,
    text: str,
    lang: str,
    group: Sequence[Paragraph],
    nlp: Language,
    published: dt.date | None,
) -> list[tuple[int, Doc]]:
    """The paragraphs of one language, piped through its pipeline together, with the
    document offset of each Doc (a paragraph over ``nlp.max_length`` gives several)."""
    offsets: list[int] = []
    docs = []
    for para in group:
        if para.end > len(text) or para.start > para.end:
            raise ExtractError(doc_id, f"paragraph {para.start}-{para.end} outside the text")
        for start, end in chunks(para.start, para.end, text, nlp.max_length):
            try:
                doc = nlp.make_doc(text[start:end])
            except ValueError as exc:
                raise ExtractError(doc_id, f"{lang} tokenizer failed: {exc}") from exc
            _extensions.remember_text(doc, text[start:end])
            doc._.published = published
            docs.append(doc)
            offsets.append(start)
    try:
        done = list(nlp.pipe(docs))
    except ValueError as exc:
        raise ExtractError(doc_id, f"{lang} pipeline failed: {exc}") from exc
    return list(zip(offsets, done, strict=True))


def extract_document(
    doc_id: str,
    text: str,
    paragraphs: list[Paragraph],
    *,
    published: dt.date | None,
    options: ExtractOptions,
    extractor: Extractor,
    get_pipeline: PipelineGetter | None = None,
    dateline: tuple[int, int] | None = None,
) -> DocumentExtraction:
    """Run each paragraph through its language's pipeline and extract records.

    Consecutive paragraphs of one language are piped together. Languages
    outside ``options.languages`` or without a pipeline are listed in the
    coverage with no components. ``dateline`` (document offsets) is the date that
    states the publication: it dates no event. Raises :class:`ExtractError` when a
    pipeline fails on the document.
    """
    getter = get_pipeline or _default_getter(options)
    coverage: dict[str, list[str]] = {}
    pipelines: dict[str, Language | None] = {}
    parts: list[DocPart] = []
    for lang, group in _groups(paragraphs):
        if lang not in pipelines:
            pipelines[lang] = _pipeline(lang, doc_id, getter, options)
        nlp = pipelines[lang]
        if nlp is None:
            coverage.setdefault(lang, [])
            continue
        for offset, doc in _process(doc_id, text, lang, group, nlp, published):
            size = len(_extensions.doc_text(doc))
            inside = dateline is not None and offset <= dateline[0] < offset + size
            skip = dateline if inside else None
            parts.append(DocPart(doc=doc, offset=offset, language=lang, skip=skip))
            # components note themselves in Doc._.coverage; none noted means no model
            ran = doc._.coverage if isinstance(doc._.coverage, list) else []
            coverage[lang] = unique([*coverage.get(lang, []), *(str(c) for c in ran)])
    log.debug("%s: %d paragraphs processed", doc_id, len(parts))
    return extract_parts(
        doc_id,
        parts,
        options=options,
        extractor=extractor,
        coverage=dict(sorted(coverage.items())),
    )
