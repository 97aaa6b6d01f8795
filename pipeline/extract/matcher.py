"""Trigger words found in a sentence: each language's lexicon compiled to patterns once.

A trigger is matched as a word (``match: word``, with the language's proclitics
allowed in front) or anywhere (``match: substring``, Chinese); ``*`` ends a stem;
letters the script unifies and marks it ignores match in any form. Excluded phrases
("in order to") mask the triggers inside them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pipeline import lang as lang_registry
from pipeline.extract.triggers import LanguageLexicon, load_lexicon


@dataclass(frozen=True)
class _CompiledTrigger:
    text: str
    type: str
    weight: float
    priority: int
    requires: frozenset[str]
    subsumes: frozenset[str]
    undated: bool
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
    undated: bool
    start: int
    end: int


def _char_pattern(ch: str, spec: LanguageLexicon) -> str:
    for group in spec.fold:
        if ch in group:
            return "[" + re.escape(group) + "]"
    return re.escape(ch)


def _core(trigger: str, spec: LanguageLexicon) -> str:
    """The pattern of the words of one trigger (or excluded phrase, or clause word)."""
    marks = spec.marks
    words = []
    for word in trigger.split():
        stem = word.endswith("*")
        letters = word.rstrip("*")
        body = "".join(_char_pattern(ch, spec) + (marks if ch.isalpha() else "") for ch in letters)
        words.append(body + (r"\w*" if stem else ""))
    return r"\s+".join(words)


def _word_prefix(spec: LanguageLexicon) -> str:
    """What a ``match: word`` pattern starts with: a word boundary, then an optional
    proclitic."""
    proclitics = sorted(spec.proclitics, key=len, reverse=True)
    prefix = "(?:" + "|".join(re.escape(p) for p in proclitics) + ")?" if proclitics else ""
    return r"(?<!\w)" + prefix


def _compile(trigger: str, spec: LanguageLexicon) -> re.Pattern[str]:
    """The pattern of one trigger (or excluded phrase, or clause word) of a language."""
    core = _core(trigger, spec)
    if spec.match == "substring":
        return re.compile(core, re.IGNORECASE)
    return re.compile(_word_prefix(spec) + core + r"(?!\w)", re.IGNORECASE)


def _any_of(triggers: list[str], spec: LanguageLexicon) -> re.Pattern[str] | None:
    """One pattern that matches at a position exactly when one of the ``triggers``'
    own patterns does there: the shared word boundary and proclitics are tried once,
    not once per trigger, so a text is scanned once for all of them."""
    if not triggers:
        return None
    if spec.match == "substring":
        cores = "|".join(f"(?:{_core(t, spec)})" for t in triggers)
        return re.compile(cores, re.IGNORECASE)
    cores = "|".join(rf"(?:{_core(t, spec)}(?!\w))" for t in triggers)
    return re.compile(_word_prefix(spec) + f"(?:{cores})", re.IGNORECASE)


@dataclass(frozen=True)
class _LanguageTriggers:
    triggers: tuple[_CompiledTrigger, ...]
    excludes: tuple[re.Pattern[str], ...]
    # matches where any trigger does (see ``_any_of``); None without triggers
    any_trigger: re.Pattern[str] | None


@lru_cache(maxsize=32)
def _compiled(lang: str) -> _LanguageTriggers:
    lexicon = load_lexicon()
    spec = lexicon.languages.get(lang)
    if spec is None:
        return _LanguageTriggers((), (), None)
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
                    undated=type_spec.undated and weight >= type_spec.undated_min_weight,
                    pattern=_compile(text, spec),
                )
            )
    excludes = tuple(_compile(text, spec) for text in spec.exclude)
    any_trigger = _any_of([t.text for t in triggers], spec)
    return _LanguageTriggers(tuple(triggers), excludes, any_trigger)


@lru_cache(maxsize=32)
def clause_words(lang: str) -> re.Pattern[str] | None:
    """The language's clause words ("and", "when", "и", "và" ...) as one pattern."""
    spec = load_lexicon().languages.get(lang)
    if spec is None or not spec.clause_words:
        return None
    return re.compile("|".join(_compile(w, spec).pattern for w in spec.clause_words), re.I)


@lru_cache(maxsize=32)
def _comparison(lang: str) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
    spec = load_lexicon().languages.get(lang)
    if spec is None:
        return None, None
    before = "|".join(_compile(w, spec).pattern for w in spec.comparison_before)
    after = "|".join(_compile(w, spec).pattern for w in spec.comparison_after)
    return (
        re.compile(f"(?:{before})\\s*$", re.IGNORECASE) if before else None,
        re.compile(f"^\\s*(?:{after})", re.IGNORECASE) if after else None,
    )


def is_comparison(before: str, after: str, lang: str) -> bool:
    """Whether the text around a date makes it a point of comparison ("the 1989 level"):
    ``before`` ends where the date starts, ``after`` starts where it ends."""
    head, tail = _comparison(lang)
    return bool((head and head.search(before)) or (tail and tail.search(after)))


def _words(lang: str, field: str) -> re.Pattern[str] | None:
    spec = load_lexicon().languages.get(lang)
    words: list[str] = getattr(spec, field) if spec is not None else []
    if spec is None or not words:
        return None
    return re.compile("|".join(_compile(w, spec).pattern for w in words), re.IGNORECASE)


@lru_cache(maxsize=32)
def report_words(lang: str) -> re.Pattern[str] | None:
    """The language's verbs of reporting ("said", «сообщает») as one pattern."""
    return _words(lang, "report_words")


@lru_cache(maxsize=32)
def antecedent_words(lang: str) -> re.Pattern[str] | None:
    """The language's nouns that refer back to systems named before, as one pattern."""
    return _words(lang, "antecedent_words")


@lru_cache(maxsize=32)
def sequence_words(lang: str) -> re.Pattern[str] | None:
    """The language's ordinals and series words ("second", «вторая») as one pattern."""
    return _words(lang, "sequence_words")


@lru_cache(maxsize=32)
def _modality_cues(lang: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    spec = load_lexicon().languages.get(lang)
    if spec is None:
        return ()
    return tuple(
        (name, re.compile("|".join(_compile(w, spec).pattern for w in words), re.IGNORECASE))
        for name, words in spec.modality.items()
        if words
    )


def modality(text: str, start: int, end: int, lang: str) -> str:
    """How ``text`` states the trigger at ``start``-``end``: the modality of the cue nearest
    it in its clause (no clause mark or clause word between; within the lexicon's
    ``modality_window`` characters before it or ``modality_window_after`` after it),
    else "asserted"."""
    lexicon = load_lexicon()
    words = clause_words(lang)
    best: tuple[int, str] | None = None
    for name, pattern in _modality_cues(lang):
        lo = start - lexicon.modality_window
        hi = min(len(text), end + lexicon.modality_window_after)
        # searched from the sentence start: a cue may begin before the window and end in it
        for m in pattern.finditer(text, 0, hi):
            if m.end() < lo:
                continue
            if m.start() < end and start < m.end():
                continue  # the trigger itself ("plan" in "planned" is no cue of itself)
            between = text[m.end() : start] if m.end() <= start else text[end : m.start()]
            if any(ch in lexicon.clause_marks for ch in between):
                continue
            if words is not None and words.search(between):
                continue
            gap = len(between)
            if best is None or gap < best[0]:
                best = (gap, name)
    return best[1] if best else "asserted"


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


def _present(normal: str, found: _LanguageTriggers) -> list[_CompiledTrigger]:
    """The triggers that match somewhere in ``normal``: each tried only at the positions
    where one of them matches (one scan of the text with ``any_trigger``)."""
    if found.any_trigger is None:
        return []
    starts = []
    pos = 0
    while pos <= len(normal) and (m := found.any_trigger.search(normal, pos)) is not None:
        starts.append(m.start())
        pos = m.start() + 1
    return [t for t in found.triggers if any(t.pattern.match(normal, s) for s in starts)]


@lru_cache(maxsize=256)
def _find_triggers(text: str, lang: str) -> tuple[TriggerMatch, ...]:
    compiled = _compiled(lang)
    normal, offsets = _nfc_with_offsets(text)
    present = _present(normal, compiled)
    if not present:
        return ()
    masked = [m.span() for pattern in compiled.excludes for m in pattern.finditer(normal)]
    found = []
    for trig in present:
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
                    undated=trig.undated,
                    start=start,
                    end=end,
                )
            )
    found.sort(key=lambda t: (t.start, t.end, t.type))
    return tuple(found)


def find_triggers(text: str, lang: str) -> list[TriggerMatch]:
    """Every trigger of ``lang`` in ``text`` outside the excluded phrases, in text order.

    A sentence is asked for its triggers several times while its events are built
    (each trigger's nearest date compares it with the others): the answer for the
    last texts is kept."""
    return list(_find_triggers(text, lang))


for _cached in (
    _compiled,
    _find_triggers,
    clause_words,
    _comparison,
    report_words,
    antecedent_words,
    sequence_words,
    _modality_cues,
):
    lang_registry.on_change(_cached.cache_clear)
