"""Mentions and dated, typed events from spaCy Docs.

``extract_document`` runs each paragraph through the pipeline of its language
(``pipeline.nlp.get_nlp``), shifts every span back to document offsets and
reads the entity spans through the extensions of ``pipeline.extensions``:

- PERSON spans become :class:`PersonMention` (canonical id when linked);
- WEAPON spans become :class:`WeaponMention` (canonical id, quantity);
- DATE spans with a ``_.date`` value become :class:`~schemas.records.DateInfo`;
- a sentence with a dated DATE span *and* a trigger from
  ``pipeline/data/triggers.yaml`` becomes an :class:`~schemas.records.EventRecord`.

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
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator
from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc, Span

from pipeline import extensions as _extensions
from pipeline.config import ExtractOptions
from pipeline.errors import ConfigError, ExtractError
from pipeline.ids import hash_id, slug
from pipeline import lang as lang_registry
from pipeline.people import person_key
from pipeline.refdata import load_yaml_model
from schemas.records import (
    DateInfo,
    DatePrecision,
    EventRecord,
    EventType,
    EventWeapon,
    Evidence,
    Extractor,
    Mention,
    Paragraph,
    WeaponCategory,
)

log = logging.getLogger(__name__)

_extensions.register_extensions()

_WEAPON_CATEGORIES: tuple[str, ...] = get_args(WeaponCategory)
_PRECISIONS: tuple[str, ...] = get_args(DatePrecision)
_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")

DATE_SCORE: dict[str, float] = {
    "day": 1.0,
    "month": 0.9,
    "season": 0.8,
    "quarter": 0.8,
    "year": 0.7,
    "range": 0.6,
    "decade": 0.4,
    "century": 0.3,
    "unknown": 0.2,
}

Label = Literal["PERSON", "ORG", "GPE", "LOC", "WEAPON", "DATE"]


# --------------------------------------------------------------------------- ids


def person_id(canonical: str | None, key: str) -> str | None:
    """Record id of a person: the canonical id, else ``person:<slug of key>``."""
    if canonical:
        return canonical
    key_slug = slug(key)
    return f"person:{key_slug}" if key_slug else None


# ---------------------------------------------------------------- trigger lexicon


class _DataModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LanguageLexicon(_DataModel):
    match: Literal["word", "substring"] = "word"
    proclitics: list[str] = Field(default_factory=list)
    fold: list[str] = Field(default_factory=list)
    ignore_marks: bool = False
    # filled from the registry on load: the script's marks, and letters it unifies
    marks: str = ""
    exclude: list[str] = Field(default_factory=list)
    clause_words: list[str] = Field(default_factory=list)


class EventTypeLexicon(_DataModel):
    priority: int = 0
    requires: list[Label] = Field(default_factory=list)
    subsumes: list[EventType] = Field(default_factory=list)
    triggers: dict[str, dict[str, float]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _weights(self) -> EventTypeLexicon:
        for lang, table in self.triggers.items():
            for text, weight in table.items():
                if not 0.0 < weight <= 1.0:
                    raise ValueError(f"{lang} trigger {text!r}: weight {weight} not in (0, 1]")
                if not text.strip("* "):
                    raise ValueError(f"{lang}: empty trigger")
        return self


class TriggerLexicon(_DataModel):
    version: int
    second_event_min_weight: float = Field(0.8, ge=0.0, le=1.0)
    second_event_same_type_min_weight: float = Field(0.6, ge=0.0, le=1.0)
    clause_marks: str = ",;:()"
    clause_penalty: int = Field(30, ge=0)
    languages: dict[str, LanguageLexicon]
    types: dict[EventType, EventTypeLexicon]

    @model_validator(mode="after")
    def _languages_declared(self) -> TriggerLexicon:
        for name, spec in self.types.items():
            unknown = set(spec.triggers) - set(self.languages)
            if unknown:
                raise ValueError(f"type {name}: undeclared languages {sorted(unknown)}")
        return self


@lru_cache(maxsize=4)
def load_lexicon(path: Path | None = None) -> TriggerLexicon:
    """The trigger lexicon, validated: ``pipeline/data/triggers.yaml`` with every
    language's ``triggers.yaml`` (or the one file ``path`` holding all of it)."""
    if path is not None:
        return load_yaml_model(TriggerLexicon, "triggers.yaml", path)
    return lang_registry.load_with_languages(
        TriggerLexicon, "triggers.yaml", "triggers", _place_triggers
    )


def _place_triggers(data: dict[str, Any], code: str, part: dict[str, Any]) -> None:
    """A language's trigger words go under their event type; its script's
    normalisation (one table, ``lang/<code>/language.yaml``) joins its fold classes."""
    types = data.setdefault("types", {})
    for name, table in (part.pop("types", None) or {}).items():
        types.setdefault(name, {}).setdefault("triggers", {})[code] = table
    normalisation = lang_registry.get(code).normalisation
    classes: dict[str, str] = {}
    for letter, target in normalisation.letters.items():
        classes[target] = classes.get(target, target) + letter
    part["fold"] = [*part.get("fold", []), *classes.values()]
    if part.get("ignore_marks") and normalisation.remove:
        part["marks"] = normalisation.remove + "*"


lang_registry.on_change(load_lexicon.cache_clear)


@dataclass(frozen=True)
class _CompiledTrigger:
    text: str
    type: str
    weight: float
    priority: int
    requires: frozenset[str]
    subsumes: frozenset[str]
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class TriggerMatch:
    """A trigger found in a text; offsets are relative to that text."""

    text: str
    type: str
    weight: float
    priority: int
    requires: frozenset[str]
    subsumes: frozenset[str]
    start: int
    end: int


def _char_pattern(ch: str, spec: LanguageLexicon) -> str:
    for group in spec.fold:
        if ch in group:
            return "[" + re.escape(group) + "]"
    return re.escape(ch)


def _compile(trigger: str, spec: LanguageLexicon) -> re.Pattern[str]:
    marks = spec.marks
    words = []
    for word in trigger.split():
        stem = word.endswith("*")
        letters = word.rstrip("*")
        body = "".join(_char_pattern(ch, spec) + (marks if ch.isalpha() else "") for ch in letters)
        words.append(body + (r"\w*" if stem else ""))
    core = r"\s+".join(words)
    if spec.match == "substring":
        return re.compile(core, re.IGNORECASE)
    proclitics = sorted(spec.proclitics, key=len, reverse=True)
    prefix = "(?:" + "|".join(re.escape(p) for p in proclitics) + ")?" if proclitics else ""
    return re.compile(r"(?<!\w)" + prefix + core + r"(?!\w)", re.IGNORECASE)


@lru_cache(maxsize=32)
def _compiled(lang: str) -> tuple[tuple[_CompiledTrigger, ...], tuple[re.Pattern[str], ...]]:
    lexicon = load_lexicon()
    spec = lexicon.languages.get(lang)
    if spec is None:
        return (), ()
    triggers = []
    for type_name, type_spec in lexicon.types.items():
        for text, weight in type_spec.triggers.get(lang, {}).items():
            triggers.append(
                _CompiledTrigger(
                    text=text,
                    type=type_name,
                    weight=weight,
                    priority=type_spec.priority,
                    requires=frozenset(type_spec.requires),
                    subsumes=frozenset(type_spec.subsumes),
                    pattern=_compile(text, spec),
                )
            )
    excludes = tuple(_compile(text, spec) for text in spec.exclude)
    return tuple(triggers), excludes


def _nfc_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` in NFC and, for each of its characters plus the end, the offset in ``text``.

    Triggers are written in NFC; decomposed input (e.g. Vietnamese typed with
    combining tone marks) is composed cluster by cluster so offsets map back.
    """
    if unicodedata.is_normalized("NFC", text):
        return text, list(range(len(text) + 1))
    parts: list[str] = []
    offsets: list[int] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or not unicodedata.combining(text[i]):
            cluster = unicodedata.normalize("NFC", text[start:i])
            parts.append(cluster)
            offsets.extend([start] * len(cluster))
            start = i
    offsets.append(len(text))
    return "".join(parts), offsets


def find_triggers(text: str, lang: str) -> list[TriggerMatch]:
    """Every trigger of ``lang`` in ``text`` outside the excluded phrases, in text order."""
    triggers, excludes = _compiled(lang)
    normal, offsets = _nfc_with_offsets(text)
    masked = [m.span() for pattern in excludes for m in pattern.finditer(normal)]
    found = []
    for trig in triggers:
        for m in trig.pattern.finditer(normal):
            if any(m.start() < e and s < m.end() for s, e in masked):
                continue
            start, end = offsets[m.start()], offsets[m.end()]
            found.append(
                TriggerMatch(
                    text=text[start:end],
                    type=trig.type,
                    weight=trig.weight,
                    priority=trig.priority,
                    requires=trig.requires,
                    subsumes=trig.subsumes,
                    start=start,
                    end=end,
                )
            )
    found.sort(key=lambda t: (t.start, t.end, t.type))
    return found


# ---------------------------------------------------------------------- results


class PersonMention(_DataModel):
    """A PERSON span with what linking needs."""

    id: str = Field(description="person:<slug>: canonical id, else of the name key.")
    mention: Mention
    canonical_name: str | None = None
    key: str = Field(description="Normalised key of the form as written.")
    known: bool = False


class WeaponMention(_DataModel):
    """A WEAPON span with its reference data."""

    id: str = Field(description="weapon:<slug> of the canonical designation.")
    mention: Mention
    name: str = Field(description="Canonical designation, else the text as written.")
    category: WeaponCategory = "other"
    family: str | None = None
    origin: str | None = None
    known: bool = False


class DocumentExtraction(_DataModel):
    """Everything extracted from one document, in document offsets."""

    document_id: str
    people: list[PersonMention] = Field(default_factory=list)
    weapons: list[WeaponMention] = Field(default_factory=list)
    dates: list[DateInfo] = Field(default_factory=list)
    events: list[EventRecord] = Field(default_factory=list)
    coverage: dict[str, list[str]] = Field(default_factory=dict)


@dataclass(frozen=True)
class DocPart:
    """A processed paragraph: its Doc, where it starts in the document, its language."""

    doc: Doc
    offset: int
    language: str


# ----------------------------------------------------------------- span readers


def _date_info(span: Span, offset: int) -> DateInfo | None:
    data = span._.date
    if not isinstance(data, dict):
        return None
    value = data.get("value")
    precision = data.get("precision") or "unknown"
    if precision not in _PRECISIONS:
        precision = "unknown"
    return DateInfo(
        text=span.text,
        value=str(value) if value else None,
        start=offset + span.start_char,
        end=offset + span.end_char,
        precision=precision,
        anchored=bool(data.get("anchored", False)),
    )


def _mention(span: Span, part: DocPart, doc_id: str, quantity: int | None = None) -> Mention:
    return Mention(
        document_id=doc_id,
        text=span.text,
        start=part.offset + span.start_char,
        end=part.offset + span.end_char,
        language=part.language,
        quantity=quantity,
    )


def _person(span: Span, part: DocPart, doc_id: str) -> PersonMention | None:
    canonical = span._.canonical if isinstance(span._.canonical, str) else None
    key = person_key(span.text, part.language)
    pid = person_id(canonical, key)
    if pid is None:
        return None
    return PersonMention(
        id=pid,
        mention=_mention(span, part, doc_id),
        canonical_name=span._.canonical_name if canonical else None,
        key=key,
        known=canonical is not None,
    )


def _quantity(span: Span) -> int | None:
    value = span._.quantity
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _weapon(span: Span, part: DocPart, doc_id: str) -> WeaponMention | None:
    info = span._.weapon if isinstance(span._.weapon, dict) else {}
    name = info.get("designation") or span._.canonical_name or span.text
    canonical = span._.canonical if isinstance(span._.canonical, str) else None
    wid = canonical or (f"weapon:{slug(name)}" if slug(name) else None)
    if wid is None:
        return None
    category = info.get("category") or "other"
    return WeaponMention(
        id=wid,
        mention=_mention(span, part, doc_id, _quantity(span)),
        name=name,
        category=category if category in _WEAPON_CATEGORIES else "other",
        family=info.get("family"),
        origin=info.get("origin"),
        known=bool(info.get("known", canonical is not None)),
    )


# ------------------------------------------------------------------------ events


@dataclass(frozen=True)
class _Candidate:
    trigger: TriggerMatch
    date: DateInfo
    distance: int


def _distance(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    if a_start < b_end and b_start < a_end:
        return 0
    return b_start - a_end if b_start >= a_end else a_start - b_end


@lru_cache(maxsize=32)
def _clause_words(lang: str) -> re.Pattern[str] | None:
    spec = load_lexicon().languages.get(lang)
    if spec is None or not spec.clause_words:
        return None
    return re.compile("|".join(_compile(w, spec).pattern for w in spec.clause_words), re.I)


def _nearest_date(
    trigger: TriggerMatch,
    dates: Sequence[DateInfo],
    text: str,
    base: int,
    lang: str,
    lexicon: TriggerLexicon,
) -> tuple[DateInfo, int]:
    """The date closest to the trigger; each clause boundary in between adds a penalty.

    ``text`` is the sentence and ``base`` its document offset. Clause
    boundaries are the lexicon's ``clause_marks`` and the language's
    ``clause_words`` ("and", "when", "и", "và" ...).
    """
    words = _clause_words(lang)
    scored = []
    for d in dates:
        gap = _distance(trigger.start, trigger.end, d.start, d.end)
        lo, hi = (trigger.end, d.start) if d.start >= trigger.end else (d.end, trigger.start)
        between = text[lo - base : hi - base] if gap else ""
        marks = sum(ch in lexicon.clause_marks for ch in between)
        if words is not None and between:
            marks += len(words.findall(between))
        scored.append((gap + lexicon.clause_penalty * marks, d.start, d))
    distance, _, best = min(scored, key=lambda item: (item[0], item[1]))
    return best, distance


def _rank(c: _Candidate) -> tuple[float, int, int, int]:
    return (c.trigger.weight, c.trigger.priority, -c.distance, -c.trigger.start)


def _clearly_another(
    first: _Candidate, other: _Candidate, present: Sequence[_Candidate], lexicon: TriggerLexicon
) -> bool:
    """Whether ``other`` makes a second event beside ``first`` in the same sentence.

    It must be a trigger at another place. Of the same type, it needs a
    date of its own and ``second_event_same_type_min_weight``; of another type,
    ``second_event_min_weight``. When the dates agree, neither type may subsume the other, and
    no trigger ``present`` in the sentence may subsume ``other``'s type (an
    arms order is also a signed contract, "an agreement on military
    cooperation" is an agreement: one event).
    """
    a, b = first.trigger, other.trigger
    if a.start < b.end and b.start < a.end:
        return False
    if a.type == b.type:
        # the same kind of action at two dates ("based there from 1979 ... left in 2002")
        return (
            b.weight >= lexicon.second_event_same_type_min_weight
            and other.date.value != first.date.value
            and other.date.start != first.date.start
        )
    if b.weight < lexicon.second_event_min_weight:
        return False
    if other.date.value == first.date.value:
        if a.type in b.subsumes:
            return False
        return all(b.type not in c.trigger.subsumes for c in present)
    return True


def event_confidence(weight: float, date: DateInfo, *, actors: int, has_object: bool) -> float:
    """The documented confidence formula (see module docstring)."""
    date_score = DATE_SCORE.get(date.precision, DATE_SCORE["unknown"])
    if date.anchored:
        date_score *= 0.9
    entity_score = (0.5 if actors else 0.0) + (0.5 if has_object else 0.0)
    return round(min(1.0, 0.5 * weight + 0.3 * date_score + 0.2 * entity_score), 3)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _event_weapons(weapons: Sequence[WeaponMention]) -> list[EventWeapon]:
    """One entry per (system, quantity); a quantity-less entry only if none has one."""
    pairs = dict.fromkeys((w.id, w.mention.quantity) for w in weapons)
    counted = {wid for wid, qty in pairs if qty is not None}
    return [
        EventWeapon(id=wid, quantity=qty)
        for wid, qty in pairs
        if qty is not None or wid not in counted
    ]


def sentence_events(
    sent: Span,
    part: DocPart,
    *,
    doc_id: str,
    extractor: Extractor,
    options: ExtractOptions,
) -> list[EventRecord]:
    """Zero, one or (when clearly two) two events from one sentence."""
    lexicon = load_lexicon()
    text = sent.text
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    if not text or len(text) > options.max_sentence_chars:
        return []
    start = part.offset + sent.start_char + lead
    end = start + len(text)
    ents = [e for e in sent.doc.ents if e.start >= sent.start and e.end <= sent.end]
    dates = [
        d
        for e in ents
        if e.label_ == "DATE"
        and (d := _date_info(e, part.offset)) is not None
        and (d.value is not None or d.anchored)
    ]
    if not dates:
        return []
    labels = {e.label_ for e in ents}
    triggers = [
        replace(t, start=t.start + start, end=t.end + start)
        for t in find_triggers(text, part.language)
        if t.requires <= labels
    ]
    if not triggers:
        return []
    candidates = []
    for trig in triggers:
        date, distance = _nearest_date(trig, dates, text, start, part.language, lexicon)
        candidates.append(_Candidate(trig, date, distance))
    chosen = [max(candidates, key=_rank)]
    second = [c for c in candidates if _clearly_another(chosen[0], c, candidates, lexicon)]
    if second:
        chosen.append(max(second, key=_rank))

    people = _unique(
        p.id for e in ents if e.label_ == "PERSON" and (p := _person(e, part, doc_id)) is not None
    )
    weapons = _event_weapons(
        [w for e in ents if e.label_ == "WEAPON" and (w := _weapon(e, part, doc_id)) is not None]
    )
    countries: list[str] = []
    places: list[str] = []
    for e in ents:
        if e.label_ not in ("GPE", "LOC"):
            continue
        code = e._.canonical
        if e.label_ == "GPE" and isinstance(code, str) and _COUNTRY_CODE.match(code):
            countries.append(code)
        else:
            places.append(e._.canonical_name or e.text)
    countries = _unique(countries)
    places = _unique(places)
    evidence = Evidence(
        document_id=doc_id, sentence=text, start=start, end=end, language=part.language
    )
    events = []
    types_seen: set[str] = set()
    for cand in chosen:
        confidence = event_confidence(
            cand.trigger.weight,
            cand.date,
            actors=len(countries) + len(people),
            has_object=bool(weapons or places or len(countries) + len(people) > 1),
        )
        if confidence < options.min_event_confidence:
            continue
        events.append(
            EventRecord(
                id=hash_id(
                    "event",
                    doc_id,
                    str(start),
                    str(end),
                    cand.trigger.type,
                    # a second event of the same type in one sentence: its date tells it apart
                    *([cand.date.value or ""] if cand.trigger.type in types_seen else []),
                ),
                type=cand.trigger.type,
                date=cand.date,
                people=people,
                weapons=weapons,
                countries=countries,
                places=places,
                trigger=cand.trigger.text,
                evidence=evidence,
                confidence=confidence,
                extractor=extractor,
            )
        )
        types_seen.add(cand.trigger.type)
    return events


# ------------------------------------------------------------------------ driver

_SENTENCIZER: Sentencizer | None = None


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
    for part in parts:
        doc = part.doc
        for ent in doc.ents:
            if ent.label_ == "PERSON":
                person = _person(ent, part, doc_id)
                if person is not None:
                    result.people.append(person)
            elif ent.label_ == "WEAPON":
                weapon = _weapon(ent, part, doc_id)
                if weapon is not None:
                    result.weapons.append(weapon)
            elif ent.label_ == "DATE":
                date = _date_info(ent, part.offset)
                if date is not None:
                    result.dates.append(date)
        for sent in sentences(doc):
            result.events.extend(
                sentence_events(
                    sent,
                    part,
                    doc_id=doc_id,
                    extractor=extractor,
                    options=options,
                )
            )
    return result


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


def extract_document(
    doc_id: str,
    text: str,
    paragraphs: list[Paragraph],
    *,
    published: dt.date | None,
    options: ExtractOptions,
    extractor: Extractor,
    get_pipeline: PipelineGetter | None = None,
) -> DocumentExtraction:
    """Run each paragraph through its language's pipeline and extract records.

    Consecutive paragraphs of one language are piped together. Languages
    outside ``options.languages`` or without a pipeline are listed in the
    coverage with no components. Raises :class:`ExtractError` when a pipeline
    fails on the document.
    """
    getter = get_pipeline or _default_getter(options)
    coverage: dict[str, list[str]] = {}
    pipelines: dict[str, Language | None] = {}
    parts: list[DocPart] = []
    for lang, group in _groups(paragraphs):
        if lang not in pipelines:
            pipelines[lang] = None
            if lang in options.languages:
                try:
                    pipelines[lang] = getter(lang)
                except ConfigError as exc:
                    log.warning("%s: no pipeline for language %s: %s", doc_id, lang, exc)
        nlp = pipelines[lang]
        if nlp is None:
            coverage.setdefault(lang, [])
            continue
        docs = []
        for para in group:
            if para.end > len(text) or para.start > para.end:
                raise ExtractError(doc_id, f"paragraph {para.start}-{para.end} outside the text")
            try:
                doc = nlp.make_doc(text[para.start : para.end])
            except ValueError as exc:
                raise ExtractError(doc_id, f"{lang} tokenizer failed: {exc}") from exc
            doc._.published = published
            docs.append(doc)
        try:
            processed = list(nlp.pipe(docs))
        except ValueError as exc:
            raise ExtractError(doc_id, f"{lang} pipeline failed: {exc}") from exc
        for para, doc in zip(group, processed, strict=True):
            parts.append(DocPart(doc=doc, offset=para.start, language=lang))
            # components note themselves in Doc._.coverage; none noted means no model
            ran = doc._.coverage if isinstance(doc._.coverage, list) else []
            coverage[lang] = _unique([*coverage.get(lang, []), *(str(c) for c in ran)])
    log.debug("%s: %d paragraphs processed", doc_id, len(parts))
    return extract_parts(
        doc_id,
        parts,
        options=options,
        extractor=extractor,
        coverage=dict(sorted(coverage.items())),
    )
