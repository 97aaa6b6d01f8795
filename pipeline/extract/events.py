"""Dated, typed events: a sentence with a dated DATE span and a trigger word.

Each trigger of the sentence is paired with its nearest date (clause boundaries in
between count as distance); the best-ranked pair is the event, and a second pair
that clearly tells another event ("based there from 1979 ... left in 2002") is a
second one. People, weapons systems, countries and places of the sentence are the
event's participants; the confidence formula is in :mod:`pipeline.extract`.

A sentence without a date of its own still makes one event when a trigger of an
``undated`` type (arms orders and deliveries) has its required labels there ("the
sale of six Varshavyanka-class submarines"): its date is the governing one of the
:class:`DateContext`, and ``date.basis`` says where it was read.

How the sentence states it (lexicon data per language, ``lang/<code>/triggers.yaml``):
``modality`` from cue words next to the trigger (planned, threatened, negated; an asserted
trigger outranks the others); a date nearer a verb of reporting than any trigger dates the
report (``reported_by``); a sentence that refers back ("the first batch", "the deal") takes
the systems of an earlier one (``weapons_basis``); a series of dates ("the first … in 2007,
the second in March 2008") gives one event per date.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import cast

from spacy.tokens import Span

from pipeline.config import ExtractOptions
from pipeline.extensions import doc_text
from pipeline.extract.matcher import (
    TriggerMatch,
    antecedent_words,
    clause_words,
    find_triggers,
    is_comparison,
    modality,
    report_words,
    sequence_words,
)
from pipeline.extract.parties import ARMS_WHEN_ARMED
from pipeline.extract.records import (
    DocPart,
    WeaponMention,
    date_info,
    organisation_mention,
    person_mention,
    weapon_mention,
)
from pipeline.extract.triggers import TriggerLexicon, load_lexicon
from pipeline.ids import hash_id
from schemas.records import (
    DateBasis,
    DateInfo,
    EventRecord,
    EventWeapon,
    Evidence,
    Extractor,
    Modality,
    Quantity,
)

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


# a date read outside the sentence is weaker evidence of the event's date
_CONTEXT_DATE_FACTOR = 0.8


@dataclass(frozen=True)
class DateContext:
    """The dates that govern a sentence which has none of its own, nearest first.

    ``previous``: the dated spans of the previous sentence of the paragraph;
    ``paragraph``: those of its earlier sentences; ``headline``: those of the
    document's headline; ``published``: the publication date, the last resort.
    ``weapons``: the systems an arms trigger without one of its own may refer back to.
    """

    previous: tuple[DateInfo, ...] = ()
    paragraph: tuple[DateInfo, ...] = ()
    headline: tuple[DateInfo, ...] = ()
    published: dt.date | None = None
    # the weapons systems of the nearest earlier sentence that names one (within the
    # lexicon's ``antecedent_sentences``): what "the first batch" or «26 самолетов» refers to
    weapons: tuple[WeaponMention, ...] = ()

    def governing(self) -> DateInfo | None:
        """The governing date with its basis, or None when the text and its metadata
        give none."""
        levels: tuple[tuple[DateBasis, tuple[DateInfo, ...]], ...] = (
            ("previous_sentence", self.previous),
            ("paragraph", self.paragraph),
            ("headline", self.headline),
        )
        for basis, dates in levels:
            valued = [d for d in dates if d.value is not None]
            if valued:
                return valued[-1].model_copy(update={"basis": basis})
        if self.published is not None:
            value = self.published.isoformat()
            return DateInfo(
                text=value, value=value, start=0, end=0, precision="day", basis="reported_by"
            )
        return None


@dataclass(frozen=True)
class _Candidate:
    trigger: TriggerMatch
    date: DateInfo | None
    distance: int
    # an arms trigger in the clause of a weapons system it needs (no clause mark between)
    governs: bool = True
    # stated as done: outranks a planned, threatened or negated trigger of the sentence
    # ("refused to sell F-35 jets" is the refusal, not a sale)
    asserted: bool = True


@dataclass(frozen=True)
class _Participants:
    """Who and what a sentence names, in order of first mention."""

    people: list[str]
    weapons: list[EventWeapon]
    countries: list[str]
    places: list[str]
    organisations: list[str] = field(default_factory=list)

    @property
    def actors(self) -> int:
        return len(self.countries) + len(self.people)

    @property
    def has_object(self) -> bool:
        """A weapons system, a place or a second actor."""
        return bool(self.weapons or self.places or self.actors > 1)


def _distance(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    if a_start < b_end and b_start < a_end:
        return 0
    return b_start - a_end if b_start >= a_end else a_start - b_end


class _Gaps:
    """Distances from the words of one sentence to its dates, each measured once (every
    trigger's nearest date compares the date with every other trigger of the sentence).

    ``text`` is the sentence and ``base`` its document offset. Clause boundaries are the
    lexicon's ``clause_marks`` and the language's ``clause_words`` ("and", "when", "и",
    "và" ...).
    """

    def __init__(self, text: str, base: int, lang: str, lexicon: TriggerLexicon) -> None:
        self.text = text
        self.base = base
        self.words = clause_words(lang)
        self.marks = set(lexicon.clause_marks)
        self.penalty = lexicon.clause_penalty
        self._known: dict[tuple[int, int, int, int], tuple[int, int]] = {}

    def apart(self, a_start: int, a_end: int, d: DateInfo) -> tuple[int, int]:
        """Distance from a word to a date, with the clause penalty; clause marks between."""
        key = (a_start, a_end, d.start, d.end)
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = self._measure(a_start, a_end, d.start, d.end)
        return known

    def _measure(self, a_start: int, a_end: int, d_start: int, d_end: int) -> tuple[int, int]:
        gap = _distance(a_start, a_end, d_start, d_end)
        lo, hi = (a_end, d_start) if d_start >= a_end else (d_end, a_start)
        between = self.text[lo - self.base : hi - self.base] if gap else ""
        marks = sum(between.count(mark) for mark in self.marks)
        if self.words is not None and between:
            marks += len(self.words.findall(between))
        return gap + self.penalty * marks, marks


def _nearest_date(
    trigger: TriggerMatch,
    dates: Sequence[DateInfo],
    text: str,
    base: int,
    lang: str,
    lexicon: TriggerLexicon,
    gaps: _Gaps | None = None,
) -> tuple[DateInfo, int]:
    """The date closest to the trigger; each clause boundary in between adds a penalty.

    ``text`` is the sentence and ``base`` its document offset (``gaps``: the sentence's
    distances measured so far). Clause boundaries are the lexicon's ``clause_marks`` and
    the language's ``clause_words`` ("and", "when", "и", "và" ...).
    """
    apart = (gaps or _Gaps(text, base, lang, lexicon)).apart
    pattern = report_words(lang)
    reports = [
        (m.start() + base, m.end() + base)
        for m in (pattern.finditer(text) if pattern is not None else ())
        if not (m.start() + base < trigger.end and trigger.start < m.end() + base)
    ]
    # every trigger of the sentence: a date nearer one of them is an event's, not the report's
    others = [
        (t.start + base, t.end + base)
        for t in find_triggers(text, lang)
        if not any(t.start + base < b and a < t.end + base for a, b in reports)
    ]
    scored = []
    for d in dates:
        distance, marks = apart(trigger.start, trigger.end, d)
        nearest = min([distance, *(apart(a, b, d)[0] for a, b in others)])
        # nearer a verb of reporting than any trigger: the date of the report ("the
        # company said on Tuesday"), which dates the event only as reported by then
        reported = any(apart(a, b, d)[0] < nearest for a, b in reports)
        scored.append((reported, distance, d.start, marks, d))
    reported, distance, _, marks, best = min(scored, key=lambda item: item[:3])
    basis: DateBasis = "reported_by" if reported else "sentence" if marks else "clause"
    return best.model_copy(update={"basis": basis}), distance


def _rank(c: _Candidate) -> tuple[bool, float, bool, int, int, int]:
    return (
        c.asserted,
        c.trigger.weight,
        c.governs,
        c.trigger.priority,
        -c.distance,
        -c.trigger.start,
    )


def _asserted(trigger: TriggerMatch, text: str, start: int, lang: str) -> bool:
    """Whether the sentence ``text`` (at document offset ``start``) states it as done."""
    return modality(text, trigger.start - start, trigger.end - start, lang) == "asserted"


def _governs(
    trigger: TriggerMatch, ents: Sequence[Span], text: str, base: int, part: DocPart
) -> bool:
    """Whether a trigger that needs a weapons system has one in its own clause: no clause
    mark between them ("تسلّمت ... دبابات تي-90 إس، لتضيف ... صفقات السلاح": the receipt
    governs the tanks, the deals of the next clause do not)."""
    if "WEAPON" not in trigger.requires:
        return True
    marks = load_lexicon().clause_marks
    for e in ents:
        if e.label_ != "WEAPON":
            continue
        w_start, w_end = part.offset + e.start_char, part.offset + e.end_char
        lo, hi = (trigger.end, w_start) if w_start >= trigger.end else (w_end, trigger.start)
        between = text[max(lo - base, 0) : max(hi - base, 0)]
        if not any(ch in marks for ch in between):
            return True
    return False


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
    if first.date is None or other.date is None:
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


def event_confidence(
    weight: float, date: DateInfo | None, *, actors: int, has_object: bool
) -> float:
    """The documented confidence formula (see :mod:`pipeline.extract`)."""
    if date is None or date.basis == "reported_by":
        date_score = DATE_SCORE["unknown"]
    else:
        date_score = DATE_SCORE.get(date.precision, DATE_SCORE["unknown"])
        if date.basis not in (None, "clause", "sentence"):
            date_score *= _CONTEXT_DATE_FACTOR
    if date is not None and (date.anchored or date.year_inferred):
        date_score *= 0.9
    entity_score = (0.5 if actors else 0.0) + (0.5 if has_object else 0.0)
    return round(min(1.0, 0.5 * weight + 0.3 * date_score + 0.2 * entity_score), 3)


def unique(items: Iterable[str]) -> list[str]:
    """``items`` without repeats, in first-seen order."""
    return list(dict.fromkeys(items))


def _event_weapons(weapons: Sequence[WeaponMention]) -> list[EventWeapon]:
    """One entry per (system, quantity); a quantity-less entry only if none has one."""
    pairs: dict[tuple[str, int | None], Quantity | None] = {}
    for w in weapons:
        key = (w.id, w.mention.quantity)
        if pairs.get(key) is None:
            pairs[key] = w.mention.quantity_detail
    counted = {wid for (wid, qty), detail in pairs.items() if qty is not None or detail}
    return [
        EventWeapon(id=wid, quantity=qty, quantity_detail=detail)
        for (wid, qty), detail in pairs.items()
        if qty is not None or detail is not None or wid not in counted
    ]


def sentence_dates(sent: Span, part: DocPart) -> list[DateInfo]:
    """The sentence's dated DATE spans, in document offsets (a later sentence's context)."""
    return _dated(part.ents_in(sent), part)


def _dated(ents: Sequence[Span], part: DocPart) -> list[DateInfo]:
    """The sentence's DATE spans that carry a value or were anchored, less the
    document's dateline and points of comparison ("10 % of the 1989 level")."""
    skip = part.skip
    text = doc_text(part.doc)
    return [
        d
        for e in ents
        if e.label_ == "DATE"
        and (d := date_info(e, part.offset)) is not None
        and (d.value is not None or d.anchored)
        and (skip is None or not (d.start < skip[1] and skip[0] < d.end))
        and not is_comparison(
            text[max(0, e.start_char - 40) : e.start_char],
            text[e.end_char : e.end_char + 40],
            part.language,
        )
    ]


def _candidates(
    text: str,
    start: int,
    ents: Sequence[Span],
    dates: Sequence[DateInfo],
    part: DocPart,
    refers_back: bool = False,
) -> list[_Candidate]:
    """Each trigger whose required labels the sentence has, with its nearest date."""
    lexicon = load_lexicon()
    labels = _labels(ents, refers_back)
    triggers = [
        replace(t, start=t.start + start, end=t.end + start)
        for t in find_triggers(text, part.language)
        if t.requires <= labels
    ]
    candidates = []
    gaps = _Gaps(text, start, part.language, lexicon)
    for trig in triggers:
        date, distance = _nearest_date(trig, dates, text, start, part.language, lexicon, gaps)
        governs = refers_back or _governs(trig, ents, text, start, part)
        asserted = _asserted(trig, text, start, part.language)
        candidates.append(_Candidate(trig, date, distance, governs, asserted))
    return candidates


def _labels(ents: Sequence[Span], refers_back: bool) -> set[str]:
    """The sentence's entity labels; WEAPON too when it refers back to earlier systems."""
    labels = {e.label_ for e in ents}
    return labels | {"WEAPON"} if refers_back else labels


def _refers_back(text: str, ents: Sequence[Span], lang: str, context: DateContext | None) -> bool:
    """Whether a sentence without a weapons system of its own refers back to the systems
    of an earlier sentence: it has a noun that does ("the first batch", «26 самолетов»,
    "首批") and the context holds such systems."""
    if context is None or not context.weapons or any(e.label_ == "WEAPON" for e in ents):
        return False
    pattern = antecedent_words(lang)
    return bool(pattern and pattern.search(text))


def _undated_candidates(
    text: str,
    start: int,
    ents: Sequence[Span],
    part: DocPart,
    context: DateContext,
    refers_back: bool = False,
) -> list[_Candidate]:
    """The triggers of ``undated`` types whose required labels the sentence has,
    each with the context's governing date."""
    labels = _labels(ents, refers_back)
    governing = context.governing()
    found = [
        replace(t, start=t.start + start, end=t.end + start)
        for t in find_triggers(text, part.language)
        if t.undated and t.requires <= labels
    ]
    return [
        _Candidate(
            t,
            governing,
            0,
            refers_back or _governs(t, ents, text, start, part),
            _asserted(t, text, start, part.language),
        )
        for t in found
    ]


def _choose(candidates: Sequence[_Candidate]) -> list[_Candidate]:
    """The best candidate, and a second one when it clearly tells another event."""
    lexicon = load_lexicon()
    best = max(candidates, key=_rank)
    # an arms trigger, stated as done, types a sentence whose best trigger is of a type that
    # is a transfer when it names a system ("concluded a deal for three batteries of
    # shore-based, anti-ship BrahMos ... the joint venture": an order, not trade)
    wider = [
        c
        for c in candidates
        if best.trigger.type in ARMS_WHEN_ARMED
        and best.trigger.type in c.trigger.subsumes
        and "WEAPON" in c.trigger.requires
        and c.asserted >= best.asserted
    ]
    chosen = [max(wider, key=_rank) if wider else best]
    second = [c for c in candidates if _clearly_another(chosen[0], c, candidates, lexicon)]
    if second:
        chosen.append(max(second, key=_rank))
    return chosen


def _clauses(text: str, lang: str) -> list[tuple[int, int]]:
    """The sentence cut at clause marks and clause words, as (start, end) offsets in it."""
    lexicon = load_lexicon()
    cuts = {i for i, ch in enumerate(text) if ch in lexicon.clause_marks}
    words = clause_words(lang)
    if words is not None:
        cuts.update(m.start() for m in words.finditer(text))
    bounds = [0, *sorted(cuts), len(text)]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def _series(
    first: _Candidate, dates: Sequence[DateInfo], text: str, start: int, lang: str
) -> list[_Candidate]:
    """More events of an arms trigger, one per further date of a series in its sentence
    ("the first batch was shipped in December 2007, and the second in March 2008"): a date
    in a clause of its own that holds no trigger and an ordinal or series word (or follows
    a clause that holds one and no date: «вторая — в апреле 2023 года»)."""
    if "WEAPON" not in first.trigger.requires or first.date is None:
        return []
    series = sequence_words(lang)
    if series is None:
        return []
    triggers = [(t.start, t.end) for t in find_triggers(text, lang)]
    more = []
    lead = ""  # a preceding clause with a series word and no date ("вторая —")
    for a, b in _clauses(text, lang):
        clause = text[a:b]
        inside = [d for d in dates if a <= d.start - start and d.end - start <= b]
        named, lead = lead + clause, clause if not inside else ""
        if len(inside) != 1 or inside[0].start == first.date.start:
            continue
        if any(a <= s and e <= b for s, e in triggers) or not series.search(named):
            continue
        date = inside[0].model_copy(update={"basis": "sentence"})
        more.append(replace(first, date=date))
    return more


def _participants(
    ents: Sequence[Span], part: DocPart, doc_id: str, earlier: Sequence[WeaponMention] = ()
) -> _Participants:
    """Who and what the sentence names; ``earlier``: the systems it refers back to."""
    people = unique(
        p.id
        for e in ents
        if e.label_ == "PERSON" and (p := person_mention(e, part, doc_id)) is not None
    )
    weapons = _event_weapons(
        [
            w
            for e in ents
            if e.label_ == "WEAPON" and (w := weapon_mention(e, part, doc_id)) is not None
        ]
        or earlier
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
    organisations = unique(
        o.id
        for e in ents
        if e.label_ == "ORG" and (o := organisation_mention(e, part, doc_id)) is not None
    )
    return _Participants(people, weapons, unique(countries), unique(places), organisations)


def _records(
    chosen: Sequence[_Candidate],
    who: _Participants,
    evidence: Evidence,
    extractor: Extractor,
    options: ExtractOptions,
    referred: bool = False,
) -> list[EventRecord]:
    """The chosen candidates as event records, less those below the confidence floor."""
    events = []
    types_seen: set[str] = set()
    for cand in chosen:
        confidence = event_confidence(
            cand.trigger.weight, cand.date, actors=who.actors, has_object=who.has_object
        )
        if confidence < options.min_event_confidence:
            continue
        # a second event of the same type in one sentence: its date tells it apart
        value = cand.date.value if cand.date is not None else None
        apart = [value or ""] if cand.trigger.type in types_seen else []
        events.append(
            EventRecord(
                id=hash_id(
                    "event",
                    evidence.document_id,
                    str(evidence.start),
                    str(evidence.end),
                    cand.trigger.type,
                    *apart,
                ),
                type=cand.trigger.type,
                date=cand.date,
                people=who.people,
                organisations=who.organisations,
                weapons=who.weapons,
                weapons_basis=(
                    ("earlier_sentence" if referred else "sentence") if who.weapons else None
                ),
                modality=_modality(cand.trigger, evidence),
                countries=who.countries,
                places=who.places,
                trigger=cand.trigger.text,
                evidence=evidence,
                confidence=confidence,
                extractor=extractor,
            )
        )
        types_seen.add(cand.trigger.type)
    return events


def _modality(trigger: TriggerMatch, evidence: Evidence) -> Modality:
    found = modality(
        evidence.sentence,
        trigger.start - evidence.start,
        trigger.end - evidence.start,
        evidence.language,
    )
    return cast(Modality, found)


def sentence_events(
    sent: Span,
    part: DocPart,
    *,
    doc_id: str,
    extractor: Extractor,
    options: ExtractOptions,
    context: DateContext | None = None,
) -> list[EventRecord]:
    """Zero, one or (when clearly two) two events from one sentence.

    With a ``context``, a sentence without a date of its own gives one event of an
    ``undated`` type (an arms order or delivery with its weapons system), dated by
    the context's governing date.
    """
    text = part.text_of(sent)
    lead = len(text) - len(text.lstrip())
    text = text.strip()
    if not text or len(text) > options.max_sentence_chars:
        return []
    start = part.offset + sent.start_char + lead
    ents = part.ents_in(sent)
    dates = _dated(ents, part)
    refers_back = _refers_back(text, ents, part.language, context)
    if dates:
        candidates = _candidates(text, start, ents, dates, part, refers_back)
    elif context is not None:
        candidates = _undated_candidates(text, start, ents, part, context, refers_back)
    else:
        return []
    if not candidates:
        return []
    evidence = Evidence(
        document_id=doc_id,
        sentence=text,
        start=start,
        end=start + len(text),
        language=part.language,
    )
    # a sentence dated from outside tells one event
    chosen = _choose(candidates) if dates else [max(candidates, key=_rank)]
    if dates and len(chosen) == 1:
        chosen.extend(_series(chosen[0], dates, text, start, part.language))
    # systems an earlier sentence names stand in only for the arms types that need them
    refers = refers_back and any("WEAPON" in c.trigger.requires for c in chosen)
    earlier = context.weapons if refers and context is not None else ()
    who = _participants(ents, part, doc_id, earlier)
    return _records(chosen, who, evidence, extractor, options, referred=bool(earlier))
