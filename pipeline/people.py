"""People and place linking across scripts.

Reference data: ``pipeline/data/people.yaml`` (known people, every written
form per language, dated roles), ``pipeline/data/countries.yaml`` (countries
and recurring places) and ``pipeline/data/name_patterns.yaml`` (normalisation
tables). Everything is loaded and validated once.

Names are compared through *keys*: casefolded, diacritics stripped for Latin
script (Vietnamese included), Arabic harakat/tatweel removed and letter
variants unified, Chinese name dots removed, Russian tokens cut to a stem so
that case endings (Путина, Путиным, Зунгом) still match.

The spaCy component ``osintdesk_people`` runs last in every pipeline: it links
PERSON spans to person ids, adds PERSON spans for known forms the NER missed,
and links GPE/LOC spans to ISO country codes or known places. It also removes
false people: ship names (after a ship word or a hull number, per language in
``name_patterns.yaml``), known places a model called PERSON ("Sochi"), known
person names inside longer place names ("Ho Chi Minh City"), and Chinese
country abbreviations ("越方", "苏越").
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.errors import ConfigError
from pipeline import lang as lang_registry
from pipeline.extensions import merge_ents, note_coverage, register_extensions
from pipeline.ids import slug
from pipeline.refdata import load_yaml_model

log = logging.getLogger(__name__)

register_extensions()

PEOPLE_COMPONENT = "osintdesk_people"


# --------------------------------------------------------------------------- data models


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Role(_Data):
    title: str
    start: dt.date | None = Field(None, alias="from")
    end: dt.date | None = Field(None, alias="to")


class Person(_Data):
    id: str = Field(pattern=r"^person:[a-z0-9-]+$")
    name: str
    names: dict[str, list[str]] = Field(default_factory=dict)
    country: str | None = None
    roles: list[Role] = Field(default_factory=list)


class PeopleFile(_Data):
    version: int = 1
    people: list[Person]


class Country(_Data):
    code: str = Field(pattern=r"^[A-Z]{2}$")
    name: str
    names: dict[str, list[str]] = Field(default_factory=dict)
    adjectives: dict[str, list[str]] = Field(default_factory=dict)


class Place(_Data):
    name: str
    country: str | None = None
    label: Literal["GPE", "LOC"] = "GPE"
    names: dict[str, list[str]] = Field(default_factory=dict)


class CountriesFile(_Data):
    version: int = 1
    countries: list[Country]
    places: list[Place] = Field(default_factory=list)


class LanguagePatterns(_Data):
    titles: list[str] = Field(default_factory=list)
    max_name_tokens: int = Field(3, ge=1)
    surnames: list[str] = Field(default_factory=list)
    min_name_run: int = Field(3, ge=2)
    skip_after_title: int = Field(0, ge=0)
    name_stop: list[str] = Field(default_factory=list)
    clitics: list[str] = Field(default_factory=list)
    connectors: list[str] = Field(default_factory=list)
    given_names: list[str] = Field(default_factory=list)
    name_stop_prefixes: list[str] = Field(default_factory=list)
    place_cues: dict[str, Literal["GPE", "LOC"]] = Field(default_factory=dict)
    cue_in_span: bool = True
    org_cues: list[str] = Field(default_factory=list)
    not_name_starts: list[str] = Field(default_factory=list)
    title_words_in_names: list[str] = Field(default_factory=list)
    name_start_stop_prefixes: list[str] = Field(default_factory=list)
    ship_cues_before: list[str] = Field(default_factory=list)
    ship_cues_after: list[str] = Field(default_factory=list)
    ship_cue_boundary: bool = True
    ship_cue_gap: int = Field(0, ge=0)
    ship_list_joiners: list[str] = Field(default_factory=list)
    country_abbreviations: list[str] = Field(default_factory=list)
    abbreviation_suffixes: list[str] = Field(default_factory=list)
    geo_features: list[str] = Field(default_factory=list)
    stem_endings: list[str] = Field(default_factory=list)
    transliteration: dict[str, str] = Field(default_factory=dict)

    @field_validator("ship_cues_before", "ship_cues_after")
    @classmethod
    def _regex_fragments(cls, value: list[str]) -> list[str]:
        for fragment in value:
            _check_regex(fragment)
        return value


def _check_regex(fragment: str) -> str:
    try:
        re.compile(fragment)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {fragment!r}: {exc}") from exc
    return fragment


class NamePatterns(_Data):
    version: int = 1
    languages: dict[str, LanguagePatterns]
    hull_number: str | None = None
    min_stem: int = Field(3, ge=1)
    latin_fold: dict[str, str] = Field(default_factory=dict)
    chinese_name_dots: list[str] = Field(default_factory=list)

    @field_validator("hull_number")
    @classmethod
    def _hull_regex(cls, value: str | None) -> str | None:
        return None if value is None else _check_regex(value)

    def for_lang(self, lang: str) -> LanguagePatterns:
        return self.languages.get(lang, LanguagePatterns())

    def for_script(self, script: str) -> list[LanguagePatterns]:
        """The patterns of every registry language written in ``script``."""
        return [p for code, p in self.languages.items() if script in lang_registry.get(code).scripts]


@lru_cache(maxsize=4)
def load_people(path: Path | None = None) -> PeopleFile:
    """People reference data (default: ``pipeline/data/people.yaml``)."""
    people = load_yaml_model(PeopleFile, "people.yaml", path)
    seen: set[str] = set()
    for person in people.people:
        if person.id in seen:
            raise ConfigError(f"{path or 'people.yaml'}: duplicate person id {person.id}")
        seen.add(person.id)
    return people


@lru_cache(maxsize=4)
def load_countries(path: Path | None = None) -> CountriesFile:
    """Countries and places (default: ``pipeline/data/countries.yaml``)."""
    return load_yaml_model(CountriesFile, "countries.yaml", path)


@lru_cache(maxsize=1)
def name_patterns() -> NamePatterns:
    """Titles, stop words and normalisation tables (``name_patterns.yaml``)."""
    return lang_registry.load_with_languages(NamePatterns, "name_patterns.yaml", "names")


# --------------------------------------------------------------------------- normalisation

_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def _is_latin(char: str) -> bool:
    return char.isalpha() and unicodedata.name(char, "").startswith("LATIN")


def fold_latin(text: str) -> str:
    """Latin letters without diacritics (Nguyễn → Nguyen, Đà → Da); other scripts untouched."""
    fold = name_patterns().latin_fold
    out: list[str] = []
    for char in text:
        if char in fold:
            out.append(fold[char])
        elif _is_latin(char):
            out.append(
                "".join(
                    c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
                )
            )
        else:
            out.append(char)
    return "".join(out)


def normalize_arabic(text: str) -> str:
    """Arabic in its comparison form (the registry's one table, ``lang/ar``)."""
    return lang_registry.get("ar").normalise(text)


def _is_cyrillic(text: str) -> bool:
    return any("\u0400" <= c <= "\u04ff" for c in text)


@lru_cache(maxsize=1)
def _cyrillic_endings() -> tuple[str, ...]:
    endings = {e for p in name_patterns().for_script("cyrillic") for e in p.stem_endings}
    return tuple(sorted(endings, key=lambda e: (-len(e), e)))


def ru_stem(word: str) -> str:
    """A casefolded Cyrillic word without its case ending (Путиным → путин).

    The endings are those of every Cyrillic-script language in the registry, so a
    name key does not depend on which of them a sentence was detected as.
    """
    min_stem = name_patterns().min_stem
    word = word.casefold().replace("ё", "е")
    for ending in _cyrillic_endings():
        if word.endswith(ending) and len(word) - len(ending) >= min_stem:
            return word[: -len(ending)]
    return word


@lru_cache(maxsize=65536)
def normalize_text(text: str) -> str:
    """Script-aware comparison form of a string (no stemming)."""
    text = unicodedata.normalize("NFC", text)
    text = lang_registry.normalise_all(text)
    for dot in name_patterns().chinese_name_dots:
        if dot != ".":
            text = text.replace(dot, "")
    text = fold_latin(text).casefold().replace("ё", "е")
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=65536)
def token_key(token: str) -> str:
    """Comparison key of one token: normalised, Russian words stemmed."""
    if _is_cyrillic(token):
        return ru_stem(normalize_text(token))
    return normalize_text(token)


@lru_cache(maxsize=1)
def _cyrillic_latin() -> dict[str, str]:
    """One Cyrillic → Latin table: the registry's Cyrillic languages, in code order."""
    table: dict[str, str] = {}
    for patterns in name_patterns().for_script("cyrillic"):
        for letter, latin in patterns.transliteration.items():
            table.setdefault(letter, latin)
    return table


def transliterate_cyrillic(text: str) -> str:
    table = _cyrillic_latin()
    return "".join(table.get(c, c) for c in text.casefold())


def person_key(name: str, lang: str) -> str:
    """A stable key for any person name, known or not.

    Latin names are folded to ASCII lower case, Russian names are stemmed and
    transliterated (so "Зунгом" and "Зунг" share a key), Arabic and Chinese
    names keep their normalised native script.
    """
    if lang == "zh" or not name.strip():
        return normalize_text(name).replace(" ", "")
    parts: list[str] = []
    for word in name.split():
        if _is_cyrillic(word):
            parts.append(transliterate_cyrillic(ru_stem(normalize_text(word))))
        else:
            parts.append(normalize_text(word))
    return " ".join(p for p in parts if p)


def person_id(name: str, lang: str, path: Path | None = None) -> str:
    """``person:<slug>``: the reference id when the name is known, else from its key."""
    known = person_index(path).lookup(name)
    if known is not None:
        return known
    return "person:" + slug(person_key(name, lang))


# --------------------------------------------------------------------------- form index


def _case_rule(text: str) -> int:
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
    and never reported. Chinese uses character matching instead of tokens.
    """

    by_first: dict[str, list[Form]] = field(default_factory=dict)
    full: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    zh_regex: re.Pattern[str] | None = None
    zh_values: dict[str, set[str]] = field(default_factory=dict)

    def add(self, words: list[str], value: str, lang: str) -> None:
        keys = tuple(token_key(w) for w in words)
        if not keys or not all(keys):
            return
        form = Form(keys, tuple(words), tuple(_case_rule(w) for w in words), value, lang)
        self.full.setdefault(keys, set()).add(value)
        bucket = self.by_first.setdefault(keys[0], [])
        if form not in bucket:
            bucket.append(form)

    def add_zh(self, forms: Iterable[tuple[str, str]]) -> None:
        dots = "".join(re.escape(d) for d in name_patterns().chinese_name_dots)
        alternatives: set[str] = set()
        for text, value in forms:
            key = normalize_text(text).replace(" ", "")
            if not key:
                continue
            self.zh_values.setdefault(key, set()).add(value)
            parts = [re.escape(p) for p in re.split(f"[{dots}]", text) if p]
            alternatives.add(f"[{dots}]?".join(parts))
        if alternatives:
            ordered = sorted(alternatives, key=len, reverse=True)
            self.zh_regex = re.compile("|".join(ordered))

    def values_for(self, keys: tuple[str, ...]) -> set[str]:
        return self.full.get(keys, set())

    def unique(self, keys: tuple[str, ...]) -> str | None:
        values = self.values_for(keys)
        return next(iter(values)) if len(values) == 1 else None

    def scan(
        self, doc: Doc, start: int = 0, end: int | None = None
    ) -> Iterator[tuple[int, int, str]]:
        """(start token, end token, value) for each unambiguous known form in doc[start:end]."""
        if self.zh_regex is not None:
            yield from self._scan_zh(doc, start, end)
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
                if not all(
                    _case_ok(form.case[k], form.words[k], doc[start + i + k].text) for k in range(n)
                ):
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

    def _scan_zh(self, doc: Doc, start: int, end: int | None) -> Iterator[tuple[int, int, str]]:
        assert self.zh_regex is not None
        region = doc[start : len(doc) if end is None else end]
        offset = region.start_char
        for match in self.zh_regex.finditer(region.text):
            key = normalize_text(match.group()).replace(" ", "")
            values = self.zh_values.get(key, set())
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
        ids = self.keys.get(key) or self.keys.get(normalize_text(name).replace(" ", ""), set())
        return next(iter(ids)) if len(ids) == 1 else None


@lru_cache(maxsize=4)
def person_index(path: Path | None = None) -> PersonIndex:
    people = {p.id: p for p in load_people(path).people}
    keys: dict[str, set[str]] = {}
    for person in people.values():
        forms = [person.name, *(f for fs in person.names.values() for f in fs)]
        for form in forms:
            keys.setdefault(" ".join(token_key(w) for w in form.split()), set()).add(person.id)
            keys.setdefault(normalize_text(form).replace(" ", ""), set()).add(person.id)
    return PersonIndex(people, keys)


def people_forms(lang: str, tokenizer: Any, path: Path | None = None) -> FormIndex:
    """Index of person forms for texts in ``lang``.

    All forms of the text's language; from the other languages only forms of
    two or more words (a lone "Dung" or "Trong" is too ambiguous outside the
    language that listed it).
    """
    index = FormIndex()
    people = load_people(path).people
    if lang == "zh":
        index.add_zh((form, p.id) for p in people for form in p.names.get("zh", []))
        return index
    for person in people:
        for form_lang, forms in person.names.items():
            if form_lang == "zh":
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
    if lang == "zh":
        index.add_zh(entries)
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


@dataclass(frozen=True)
class PlaceInfo:
    label: str
    code: str | None
    name: str
    is_country: bool


@lru_cache(maxsize=1024)
def place_info(value: str, path: Path | None = None) -> PlaceInfo:
    """Resolve a ``place_forms`` value to label, ISO code and canonical name."""
    data = load_countries(path)
    kind, _, ref = value.partition(":")
    if kind == "country":
        country = next(c for c in data.countries if c.code == ref)
        return PlaceInfo("GPE", country.code, country.name, True)
    place = data.places[int(ref)]
    return PlaceInfo(place.label, place.country, place.name, False)


def place_label(text: str, lang: str, default: str = "GPE") -> str:
    """GPE or LOC for a model's "location" span: reference data first, then geography words."""
    value = lookup_place(text, lang)
    if value is not None:
        return place_info(value).label
    features = {token_key(w) for w in name_patterns().for_lang(lang).geo_features}
    if lang == "zh":
        return (
            "LOC" if any(text.endswith(w) for w in name_patterns().for_lang("zh").geo_features) else default
        )
    if any(token_key(w) in features for w in text.split()):
        return "LOC"
    return default


def _span_key(text: str, lang: str) -> str:
    if lang == "zh":
        return normalize_text(text).replace(" ", "")
    return " ".join(token_key(w) for w in text.split())


@lru_cache(maxsize=8)
def _place_forms_by_key(lang: str) -> dict[str, tuple[str, str]]:
    """Key → (value, form as written) for every country/place form in ``lang`` or English."""
    data = load_countries()
    out: dict[str, tuple[str, str]] = {}
    entries = [(c.names, f"country:{c.code}") for c in data.countries]
    entries += [(p.names, f"place:{i}") for i, p in enumerate(data.places)]
    for names, value in entries:
        for form_lang, forms in names.items():
            if form_lang in (lang, "en"):
                for form in forms:
                    out.setdefault(_span_key(form, lang), (value, form))
    return out


def lookup_place(text: str, lang: str) -> str | None:
    """``country:XX`` / ``place:<i>`` for a whole place name; acronyms only in capitals."""
    found = _place_forms_by_key(lang).get(_span_key(text, lang))
    if found is None:
        return None
    value, form = found
    if _case_rule(form) == 2 and text.strip() != form:
        return None  # "Us" is not the US
    return value


def country_code(name: str, lang: str) -> str | None:
    """ISO code for a country name or demonym in ``lang`` (Россия, روسيا, Nga, 俄罗斯 → RU)."""
    value = lookup_place(name, lang)
    if value is not None and value.startswith("country:"):
        return value.partition(":")[2]
    return adjective_forms(lang).get(token_key(name)) if " " not in name.strip() else None


# --------------------------------------------------------------------------- roles


def _period(when: dt.date | str) -> tuple[dt.date, dt.date]:
    if isinstance(when, dt.date):
        return when, when
    parts = when.split("-")
    try:
        year = int(parts[0])
        if len(parts) == 1:
            return dt.date(year, 1, 1), dt.date(year, 12, 31)
        month = int(parts[1])
        if len(parts) == 2:
            last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
            return dt.date(year, month, 1), dt.date(year, month, last)
        return (dt.date(year, month, int(parts[2])),) * 2
    except (ValueError, IndexError) as exc:
        raise ValueError(f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {when!r}") from exc


def role_at(pid: str, when: dt.date | str, path: Path | None = None) -> str | None:
    """The role a known person held at ``when`` (the one covering most of that period)."""
    person = person_index(path).people.get(pid)
    if person is None:
        return None
    first, last = _period(when)
    best: tuple[int, dt.date, str] | None = None
    for role in person.roles:
        start = role.start or dt.date.min
        end = role.end or dt.date.max
        overlap = (min(end, last) - max(start, first)).days
        if overlap < 0:
            continue
        candidate = (overlap, start, role.title)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else None


# --------------------------------------------------------------------------- doc helpers


# --------------------------------------------------------------------------- ships

# quotes and spaces that may sit between a ship word and the ship's name
_QUOTES = "\\s\"'“”«»„‘’「」『』"


@dataclass(frozen=True)
class ShipCues:
    """Compiled ship-name context patterns of one language (see ``name_patterns.yaml``)."""

    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    hull: re.Pattern[str] | None
    joiner: re.Pattern[str] | None
    hull_after: re.Pattern[str] | None = None

    def is_ship(self, doc: Doc, start_char: int, end_char: int) -> bool:
        """Whether the name at doc.text[start_char:end_char] is a ship's name."""
        text = doc.text
        if self.hull is not None and self.hull.match(text, start_char, end_char):
            return True
        # one character more than the cues need, so a word boundary is seen
        window = text[max(0, start_char - 81) : start_char]
        if self.before is not None and self.before.search(window):
            return True
        # a hull number right after the name: "Đinh Tiên Hoàng (HQ-011)"
        if self.hull_after is not None and self.hull_after.match(text, end_char):
            return True
        return self.after is not None and bool(self.after.match(text[end_char : end_char + 40]))

    def joined(self, doc: Doc, previous_end: int, start_char: int) -> bool:
        """Whether only a list joiner ("and", "và", ",") separates two names."""
        if self.joiner is None or previous_end < 0 or previous_end > start_char:
            return False
        return bool(self.joiner.fullmatch(doc.text[previous_end:start_char]))


@lru_cache(maxsize=8)
def ship_cues(lang: str) -> ShipCues:
    patterns = name_patterns()
    lang_patterns = patterns.for_lang(lang)
    lead = r"(?<!\w)" if lang_patterns.ship_cue_boundary else ""
    alternatives: list[str] = []
    if lang_patterns.ship_cues_before:
        cues = "|".join(f"(?:{c})" for c in lang_patterns.ship_cues_before)
        alternatives.append(f"{lead}(?:{cues})")
    if patterns.hull_number:
        alternatives.append(rf"(?<!\w)(?:{patterns.hull_number})")
    before = (
        re.compile(f"(?:{'|'.join(alternatives)})[{_QUOTES}]*$", re.IGNORECASE)
        if alternatives
        else None
    )
    after = None
    if lang_patterns.ship_cues_after:
        cues = "|".join(f"(?:{c})" for c in lang_patterns.ship_cues_after)
        gap = f"\\w{{0,{lang_patterns.ship_cue_gap}}}" if lang_patterns.ship_cue_gap else ""
        tail = r"(?!\w)" if lang_patterns.ship_cue_boundary else ""
        after = re.compile(f"[{_QUOTES}]*{gap}(?:{cues}){tail}", re.IGNORECASE)
    hull = re.compile(rf"(?:{patterns.hull_number})(?!\w)") if patterns.hull_number else None
    joiner = None
    if lang_patterns.ship_list_joiners:
        words = "|".join(re.escape(j) for j in lang_patterns.ship_list_joiners)
        joiner = re.compile(rf"\s*(?:{words})(?:\s*(?:{words}))?\s*", re.IGNORECASE)
    hull_after = None
    if patterns.hull_number:
        hull_after = re.compile(rf"[{_QUOTES}]*[(（,，]?\s*(?:{patterns.hull_number})(?!\w)")
    return ShipCues(before, after, hull, joiner, hull_after)


def is_country_abbreviation(text: str, lang: str) -> bool:
    """Chinese "越方", "苏越", "中方": country abbreviations, never a person."""
    patterns = name_patterns().for_lang(lang)
    letters = set(patterns.country_abbreviations)
    if not letters:
        return False
    for suffix in patterns.abbreviation_suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    return 1 <= len(text) <= 2 and all(c in letters for c in text)


# --------------------------------------------------------------------------- component


class PeopleLinker:
    """Links PERSON spans to people.yaml and GPE/LOC spans to countries.yaml."""

    def __init__(self, nlp: Language, name: str, people_path: str, countries_path: str) -> None:
        self.name = name
        self.lang: str = nlp.lang or "xx"
        self.people_path = Path(people_path) if people_path else None
        self.countries_path = Path(countries_path) if countries_path else None
        tokenizer = nlp.tokenizer
        self.people = people_forms(self.lang, tokenizer, self.people_path)
        self.places = place_forms(self.lang, tokenizer, self.countries_path)
        self.index = person_index(self.people_path)
        self.geo_words = {
            token_key(w) for w in name_patterns().for_lang(self.lang).geo_features if " " not in w
        }
        self.demonyms = set(adjective_forms(self.lang, self.countries_path))

    def _link_person(self, span: Span) -> None:
        pid = self.index.lookup(span.text)
        if pid is None:
            found = {value for _, _, value in self.people.scan(span.doc, span.start, span.end)}
            pid = next(iter(found)) if len(found) == 1 else None
        if pid is not None:
            span._.canonical = pid
            span._.canonical_name = self.index.people[pid].name

    def _trim(self, span: Span) -> Span:
        """Cut a PERSON span down to the one complete known name inside it.

        Title rules take up to a few words after a title; when the first of them
        form a known name ("إدوارد شيفرنادزه خيار ..."), the rest is not the name.
        A known name of two or more words further in wins too ("للحزب الشيوعي
        نغوين فو ترونغ"); a lone known word further in does not ("Владимир
        Владимирович Путин" stays whole).
        """
        matches = list(self.people.scan(span.doc, span.start, span.end))
        if len(matches) != 1:
            return span
        start, end, _ = matches[0]
        if (start, end) == (span.start, span.end):
            return span
        if start == span.start or end - start >= 2:
            return Span(span.doc, start, end, label="PERSON")
        return span

    def _link_place(self, span: Span) -> Span:
        value = lookup_place(span.text, self.lang)
        if value is None:
            matches = list(self.places.scan(span.doc, span.start, span.end))
            if len(matches) == 1 and (matches[0][0], matches[0][1]) == (span.start, span.end):
                value = matches[0][2]
        if value is None:
            return span
        info = place_info(value, self.countries_path)
        if span.label_ == "ORG" and not info.is_country:
            return span
        label = info.label if span.label_ in ("GPE", "LOC", "ORG") else span.label_
        if label != span.label_:
            span = Span(span.doc, span.start, span.end, label=label)
        if info.is_country:
            span._.canonical = info.code
        span._.canonical_name = info.name
        return span

    def _not_a_person(self, span: Span) -> str | None:
        """For a PERSON span no reference data knows as a person: the place label when
        it is a known place ("Sochi", "Vung Tau"), "LOC" when it names a geographic
        feature (a mistyped "Cam Rah Bay"), "drop" when it ends in a demonym
        ("Russo-Vietnamese") or is a Chinese country abbreviation ("越方", "苏越"),
        else None (keep it as an unknown person)."""
        words = [token_key(t.text) for t in span if not t.is_punct]
        if not words or is_country_abbreviation(span.text, self.lang):
            return "drop"
        place = lookup_place(span.text, self.lang)
        if place is not None:
            return place_info(place, self.countries_path).label
        if set(words) & self.geo_words:
            return "LOC"
        if words[-1] in self.demonyms:
            return "drop"
        return None

    def _known_names(self, doc: Doc) -> list[Span]:
        """Known person forms in ``doc``, except those inside a longer known place
        ("Ho Chi Minh" in "Ho Chi Minh City", "胡志明" in "胡志明市")."""
        places = [(start, end) for start, end, _ in self.places.scan(doc)]
        return [
            Span(doc, start, end, label="PERSON")
            for start, end, _ in self.people.scan(doc)
            if not any(s <= start and end <= e and e - s > end - start for s, e in places)
        ]

    @staticmethod
    def _drop_partial_overlaps(doc: Doc, known: list[Span]) -> None:
        """A known name beats a PERSON span that overlaps it only in part (a title
        rule's "للحزب الشيوعي نغوين فو" against the known "نغوين فو ترونغ")."""

        def partial(ent: Span, name: Span) -> bool:
            if ent.end <= name.start or name.end <= ent.start:
                return False
            inside = name.start <= ent.start and ent.end <= name.end
            return not inside and not (ent.start <= name.start and name.end <= ent.end)

        keep = [
            ent
            for ent in doc.ents
            if ent.label_ != "PERSON" or not any(partial(ent, name) for name in known)
        ]
        if len(keep) != len(doc.ents):
            doc.ents = keep

    def _is_country(self, span: Span) -> bool:
        value = lookup_place(span.text, self.lang)
        return value is not None and value.startswith("country:")

    def _person(self, ent: Span) -> Span | None:
        """The PERSON span trimmed and linked, turned into a place, or None to drop it."""
        doc = ent.doc
        if self.index.lookup(ent.text) is None and lookup_place(ent.text, self.lang):
            return self._link_place(Span(doc, ent.start, ent.end, label="GPE"))
        ent = self._trim(ent)
        self._link_person(ent)
        if ent._.canonical is None:
            verdict = self._not_a_person(ent)
            if verdict == "drop":
                return None
            if verdict in ("GPE", "LOC"):
                return self._link_place(Span(doc, ent.start, ent.end, label=verdict))
        return ent

    def __call__(self, doc: Doc) -> Doc:
        known = self._known_names(doc)
        self._drop_partial_overlaps(doc, known)
        merge_ents(doc, known, replace=True)
        ships = ship_cues(self.lang)
        ents: list[Span] = []
        ship_end = -1  # end char of the last ship name, for lists of ships
        for ent in doc.ents:
            if ent.label_ in ("PERSON", "GPE", "LOC"):
                # a place after a ship word or hull number is a ship ("HQ-186 Da Nang",
                # "tàu ngầm Hải Phòng"); a country is not ("tàu Nga": a Russian ship)
                if ships.is_ship(doc, ent.start_char, ent.end_char) and not self._is_country(ent):
                    ship_end = ent.end_char
                    continue
                if ent.label_ == "PERSON" and ships.joined(doc, ship_end, ent.start_char):
                    ship_end = ent.end_char
                    continue
            if ent.label_ == "PERSON":
                person = self._person(ent)
                if person is not None:
                    ents.append(person)
                continue
            if ent.label_ in ("GPE", "LOC", "ORG"):
                ent = self._link_place(ent)
            ents.append(ent)
        doc.ents = ents
        note_coverage(doc, self.name)
        return doc


@Language.factory(
    PEOPLE_COMPONENT,
    default_config={"people_path": "", "countries_path": ""},
)
def make_people_linker(
    nlp: Language, name: str, people_path: str, countries_path: str
) -> PeopleLinker:
    return PeopleLinker(nlp, name, people_path, countries_path)


for _cached in (
    name_patterns,
    _cyrillic_endings,
    _cyrillic_latin,
    normalize_text,
    token_key,
    person_index,
    _place_forms_by_key,
    ship_cues,
):
    lang_registry.on_change(_cached.cache_clear)
