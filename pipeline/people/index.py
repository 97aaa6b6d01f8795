"""Known name forms indexed for lookups and for scanning token sequences."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from spacy.tokens import Doc

from pipeline import lang as lang_registry
from pipeline.ids import slug
from pipeline.people.models import Person, load_countries, load_people, name_patterns
from pipeline.people.normalise import (
    joined_key,
    marks_agree,
    parts_joined,
    person_key,
    token_key,
)


def case_rule(text: str) -> int:
    """2: an acronym, matched in exactly this case (US, not "us"); 1: capitalised; 0: any."""
    letters = [c for c in text if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return 2
    return 1 if text[:1].isupper() else 0


def _case_ok(rule: int, form: str, token: str) -> bool:
    if rule == 2:
        return token == form
    return rule == 0 or not token[:1].isalpha() or token[:1].isupper()


@dataclass(frozen=True)
class Form:
    """One written name form, as token keys, pointing at a reference value."""

    keys: tuple[str, ...]
    words: tuple[str, ...]
    case: tuple[int, ...]
    value: str
    lang: str


@dataclass
class FormIndex:
    """Known forms keyed by their first token key, for scanning token sequences.

    ``scan`` finds the longest known form starting at each token, left to right,
    without overlaps. Forms that point to more than one value are ambiguous
    and never reported. Languages whose name parts are joined (Chinese) match
    whole strings instead of tokens.
    """

    by_first: dict[str, list[Form]] = field(default_factory=dict)
    full: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    joined_regex: re.Pattern[str] | None = None
    joined_values: dict[str, set[str]] = field(default_factory=dict)

    def add(self, words: list[str], value: str, lang: str) -> None:
        keys = tuple(token_key(w) for w in words)
        if not keys or not all(keys):
            return
        form = Form(keys, tuple(words), tuple(case_rule(w) for w in words), value, lang)
        self.full.setdefault(keys, set()).add(value)
        bucket = self.by_first.setdefault(keys[0], [])
        if form not in bucket:
            bucket.append(form)

    def add_joined(self, forms: Iterable[tuple[str, str]]) -> None:
        dots = "".join(re.escape(d) for d in name_patterns().chinese_name_dots)
        alternatives: set[str] = set()
        for text, value in forms:
            key = joined_key(text)
            if not key:
                continue
            self.joined_values.setdefault(key, set()).add(value)
            parts = [re.escape(p) for p in re.split(f"[{dots}]", text) if p]
            alternatives.add(f"[{dots}]?".join(parts))
        if alternatives:
            ordered = sorted(alternatives, key=len, reverse=True)
            self.joined_regex = re.compile("|".join(ordered))

    def values_for(self, keys: tuple[str, ...]) -> set[str]:
        return self.full.get(keys, set())

    def unique(self, keys: tuple[str, ...]) -> str | None:
        values = self.values_for(keys)
        return next(iter(values)) if len(values) == 1 else None

    def scan(
        self, doc: Doc, start: int = 0, end: int | None = None
    ) -> Iterator[tuple[int, int, str]]:
        """(start token, end token, value) for each unambiguous known form in doc[start:end]."""
        if self.joined_regex is not None:
            yield from self._scan_joined(doc, start, end)
            return
        stop = len(doc) if end is None else end
        keys = [token_key(t.text) for t in doc[start:stop]]
        i = 0
        while i < len(keys):
            best: tuple[int, str] | None = None
            for form in self.by_first.get(keys[i], ()):
                n = len(form.keys)
                if i + n > len(keys) or tuple(keys[i : i + n]) != form.keys:
                    continue
                words = [doc[start + i + k].text for k in range(n)]
                if not all(_case_ok(form.case[k], form.words[k], words[k]) for k in range(n)):
                    continue
                if not all(marks_agree(form.words[k], words[k]) for k in range(n)):
                    continue
                if best is None or n > best[0]:
                    value = self.unique(form.keys)
                    if value is not None:
                        best = (n, value)
            if best is None:
                i += 1
                continue
            yield start + i, start + i + best[0], best[1]
            i += best[0]

    def _scan_joined(self, doc: Doc, start: int, end: int | None) -> Iterator[tuple[int, int, str]]:
        assert self.joined_regex is not None
        region = doc[start : len(doc) if end is None else end]
        offset = region.start_char
        for match in self.joined_regex.finditer(region.text):
            key = joined_key(match.group())
            values = self.joined_values.get(key, set())
            if len(values) != 1:
                continue
            span = doc.char_span(
                offset + match.start(), offset + match.end(), alignment_mode="expand"
            )
            if span is not None:
                yield span.start, span.end, next(iter(values))


def _tokenised(text: str, tokenizer: Any) -> list[str]:
    if tokenizer is None:
        return text.split()
    return [t.text for t in tokenizer(text) if not t.is_space]


@dataclass
class PersonIndex:
    """Known people: forms per language and lookups by name."""

    people: dict[str, Person]
    keys: dict[str, set[str]]

    def lookup(self, name: str) -> str | None:
        """Person id when ``name`` (in any script) is a known form of exactly one person."""
        key = " ".join(token_key(w) for w in name.split())
        ids = self.keys.get(key) or self.keys.get(joined_key(name), set())
        return next(iter(ids)) if len(ids) == 1 else None


@lru_cache(maxsize=4)
def person_index(path: Path | None = None) -> PersonIndex:
    people = {p.id: p for p in load_people(path).people}
    keys: dict[str, set[str]] = {}
    for person in people.values():
        forms = [person.name, *(f for fs in person.names.values() for f in fs)]
        for form in forms:
            keys.setdefault(" ".join(token_key(w) for w in form.split()), set()).add(person.id)
            keys.setdefault(joined_key(form), set()).add(person.id)
    return PersonIndex(people, keys)


def people_forms(lang: str, tokenizer: Any, path: Path | None = None) -> FormIndex:
    """Index of person forms for texts in ``lang``.

    All forms of the text's language; from the other languages only forms of
    two or more words (a lone "Dung" or "Trong" is too ambiguous outside the
    language that listed it).
    """
    index = FormIndex()
    people = load_people(path).people
    if parts_joined(lang):
        index.add_joined((form, p.id) for p in people for form in p.names.get(lang, []))
        return index
    for person in people:
        for form_lang, forms in person.names.items():
            if parts_joined(form_lang):
                continue
            for form in forms:
                words = _tokenised(form, tokenizer)
                if form_lang != lang and len(form.split()) < 2:
                    continue
                index.add(words, person.id, form_lang)
    return index


def place_forms(lang: str, tokenizer: Any, path: Path | None = None) -> FormIndex:
    """Index of country and place names in ``lang`` (values: "country:RU", "place:<i>")."""
    index = FormIndex()
    data = load_countries(path)
    entries: list[tuple[str, str]] = []
    for country in data.countries:
        entries += [(f, f"country:{country.code}") for f in country.names.get(lang, [])]
    for i, place in enumerate(data.places):
        entries += [(f, f"place:{i}") for f in place.names.get(lang, [])]
    if parts_joined(lang):
        index.add_joined(entries)
        return index
    for form, value in entries:
        index.add(_tokenised(form, tokenizer), value, lang)
    return index


def adjective_forms(lang: str, path: Path | None = None) -> dict[str, str]:
    """Demonym/nisba key → country code (used for linking, never emitted as spans)."""
    out: dict[str, str] = {}
    for country in load_countries(path).countries:
        for adjective in country.adjectives.get(lang, []):
            out[token_key(adjective)] = country.code
    return out


def person_id(name: str, lang: str, path: Path | None = None) -> str:
    """``person:<slug>``: the reference id when the name is known, else from its key."""
    known = person_index(path).lookup(name)
    if known is not None:
        return known
    return "person:" + slug(person_key(name, lang))


lang_registry.on_change(person_index.cache_clear)
