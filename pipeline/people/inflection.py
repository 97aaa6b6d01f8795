"""Russian and Ukrainian names in the nominative, through pymorphy3's dictionaries.

A name's words stand in one grammatical case ("Реджепа Тайипа Эрдогана": genitive),
so the case (and gender) is chosen for the whole name: the one most of its words can
be read in, name readings (first names, surnames, patronymics) preferred. Each word is
then put in the nominative of that reading, keeping its gender (Захаровой →
Захарова, not the dictionary's masculine lemma Захаров). Words the dictionary cannot
read in that case stay as written. The dictionary of a language is its
``morphology`` in ``names.yaml`` (a pymorphy3 language code); a language without one
has no inflection to undo.
"""

from __future__ import annotations

import logging
from collections import Counter
from functools import lru_cache
from typing import Any

from pipeline import lang as lang_registry
from pipeline.people.models import name_patterns

log = logging.getLogger(__name__)

_CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")
_GENDERS = ("masc", "femn")
_NAME_TAGS = ("Name", "Surn", "Patr")


@lru_cache(maxsize=4)
def _analyser(code: str) -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=code)


def _readings(word: str, analyser: Any) -> list[Any]:
    """Singular noun readings of ``word``."""
    return [
        p
        for p in analyser.parse(word)
        if "NOUN" in p.tag.grammemes and "plur" not in p.tag.grammemes
    ]


def _fits(parse: Any, case: str, gender: str) -> bool:
    grammemes = parse.tag.grammemes
    return case in grammemes and (gender in grammemes or not grammemes & set(_GENDERS))


def _is_name(parse: Any) -> bool:
    return bool(parse.tag.grammemes & set(_NAME_TAGS))


def _restore_case(written: str, word: str) -> str:
    """``word`` (lower case) written with the capitals of ``written``, part by part."""
    parts = word.split("-")
    shapes = written.split("-")
    if len(parts) != len(shapes):
        return word.capitalize() if written[:1].isupper() else word
    out = []
    for part, shape in zip(parts, shapes, strict=True):
        if shape.isupper() and len(shape) > 1:
            out.append(part.upper())
        elif shape[:1].isupper():
            out.append(part[:1].upper() + part[1:])
        else:
            out.append(part)
    return "-".join(out)


def is_given_name(word: str, lang: str) -> bool:
    """Whether the language's dictionary reads ``word`` as a given name (a "Name")."""
    code = name_patterns().for_lang(lang).morphology
    if not code or len(word) < 2:
        return False
    return any(_is_name_tag(p, "Name") for p in _analyser(code).parse(word))


def _is_name_tag(parse: Any, tag: str) -> bool:
    return tag in parse.tag.grammemes


def nominative(name: str, lang: str) -> str:
    """``name`` with every word in the nominative, for a language with a ``morphology``;
    else ``name`` unchanged. Initials and words the dictionary does not read keep their
    written form."""
    code = name_patterns().for_lang(lang).morphology
    words = name.split()
    if not code or not words:
        return name
    analyser = _analyser(code)
    readings = [_readings(w, analyser) if len(w.strip(".")) > 1 else [] for w in words]
    votes: Counter[tuple[str, str]] = Counter()
    for parses in readings:
        options = {(c, g) for p in parses for c in _CASES for g in _GENDERS if _fits(p, c, g)}
        named = {
            (c, g)
            for p in parses
            if _is_name(p)
            for c in _CASES
            for g in _GENDERS
            if _fits(p, c, g)
        }
        for option in options:
            votes[option] += 2 if option in named else 1
    if not votes:
        return name
    # the most votes; ties to the nominative (as written), then masculine
    case, gender = min(votes, key=lambda o: (-votes[o], _CASES.index(o[0]), _GENDERS.index(o[1])))
    if case == "nomn":
        return name
    out: list[str] = []
    for word, parses in zip(words, readings, strict=True):
        fitting = [p for p in parses if _fits(p, case, gender)]
        fitting.sort(key=lambda p: (not _is_name(p), -p.score))
        inflected = fitting[0].inflect({"nomn"}) if fitting else None
        out.append(_restore_case(word, inflected.word) if inflected is not None else word)
    return " ".join(out)


lang_registry.on_change(_analyser.cache_clear)
