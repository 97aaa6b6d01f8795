"""Reference data of people and places, and the per-language name patterns.

``pipeline/data/people.yaml`` (known people, every written form per language, dated
roles), ``pipeline/data/countries.yaml`` (countries and recurring places) and
``pipeline/data/name_patterns.yaml`` with every language's ``lang/<code>/names.yaml``
(titles, cues, normalisation tables): validated once on load.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from pipeline import lang as lang_registry
from pipeline.errors import ConfigError
from pipeline.refdata import check_patterns, load_yaml_model
from schemas.edtf import Edtf
from schemas.records import OrganisationKind


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Role(_Data):
    """A title held between two days; a month stands for a day the sources leave open
    (``from: 2004-03`` is its first day, ``to: 2004-03`` its last)."""

    title: str
    start: dt.date | None = Field(None, alias="from")
    end: dt.date | None = Field(None, alias="to")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _month(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value):
            period = Edtf.parse(value)
            return period.earliest if info.field_name == "start" else period.latest
        return value


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


class Cldr(_Data):
    """What CLDR (through babel) gives that this domain does not read as a country name."""

    # territories that are not states an arms transfer can involve (regions, unions,
    # uninhabited or pseudo-territories): their CLDR names are not added
    skip_codes: list[str] = Field(default_factory=list)
    # CLDR names that are also everyday words of the language (Arabic مالي "financial"),
    # per language: kept out of the gazetteer, like any ambiguous form
    skip_forms: dict[str, list[str]] = Field(default_factory=dict)


class CountriesFile(_Data):
    version: int = 1
    cldr: Cldr = Cldr()
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
    # diacritics tell words apart (Vietnamese Thanh / Thành, Vinh / Vịnh): stop words are
    # compared as written, case aside, not with the marks folded away
    marks_distinguish_words: bool = False
    # the shape of one native syllable (Vietnamese: onset, vowels, final), matched on the
    # lower-cased word: a run of two or more capitalised words of which one cannot be a
    # native syllable is a foreign name written in Latin letters ("Carl Thayer"), unless
    # it follows one of ``foreign_name_not_after`` (a company, school or centre named
    # after a person: "Đại học George Mason")
    native_syllable: str | None = None
    foreign_name_not_after: list[str] = Field(default_factory=list)
    name_start_stop_prefixes: list[str] = Field(default_factory=list)
    ship_cues_before: list[str] = Field(default_factory=list)
    ship_cues_after: list[str] = Field(default_factory=list)
    ship_cue_boundary: bool = True
    ship_cue_gap: int = Field(0, ge=0)
    ship_list_joiners: list[str] = Field(default_factory=list)
    country_abbreviations: list[str] = Field(default_factory=list)
    abbreviation_suffixes: list[str] = Field(default_factory=list)
    geo_features: list[str] = Field(default_factory=list)
    # the feature word comes before the name (Vietnamese "Vịnh Bắc Bộ", "đảo Phú Quốc"):
    # only a span's first word makes it a feature, so "Nguyễn Chí Vịnh" stays a person
    geo_feature_first: bool = False
    # words a model's ORG/GPE/LOC span may open with that are not part of the name
    # ("the Russian Navy" is the Russian Navy)
    span_articles: list[str] = Field(default_factory=list)
    # and tokens it may close with ("Indian Navy's" is the Indian Navy)
    span_possessives: list[str] = Field(default_factory=list)
    # words that tell the kind of an organisation the reference data does not know
    # ("... Ministry of Defence", "Hải quân ...", "...海军"); the first kind listed whose
    # word the name contains wins (whole words; substrings where name parts are joined)
    org_kind_words: dict[OrganisationKind, list[str]] = Field(default_factory=dict)
    stem_endings: list[str] = Field(default_factory=list)
    transliteration: dict[str, str] = Field(default_factory=dict)
    # the parts of a name are written without spaces (Chinese 习近平, 胡志明市): names are
    # compared and found as whole strings, and geographic features are suffixes
    name_parts_joined: bool = False
    # the definite article glued to a word (Arabic ال): a name word never starts with it
    article: str = ""
    # endings that make an article-bearing word an adjective of origin (Arabic nisba
    # الروسي، الفلسطينية): a nationality word, not a name
    adjective_endings: list[str] = Field(default_factory=list)
    # whether names start with a capital letter; in a script without case, any word of
    # the language's script may be a name word
    names_capitalised: bool = True
    # credits: labels followed by a colon ("Photo Credit:", "Фото:", "图："), and words
    # that start a byline without one ("By", "بقلم", "记者"); what follows is an author
    # or a credit of the document, never a person of the story
    credit_labels: list[str] = Field(default_factory=list)
    # names in Latin script (pipeline/people/latin.py): the pymorphy3 dictionary that
    # puts a name in the nominative first ("ru", "uk"); letters romanised before (or,
    # for Arabic, instead of) anyascii's table; usual Latin spellings of
    # common given names (محمد → Mohammed); characters of foreign-name transcriptions
    # with their Latin sounds (Xinhua's table: 斯 → s, 科 → ko); native family names,
    # with their reading as a family name, which tell a native name (pinyin) from a
    # transcription; letters that write a long vowel after a consonant (Arabic و → u)
    morphology: str | None = None
    # find names without a title: a word the morphology dictionary reads as a given
    # name, followed by one or two capitalised words (for a language whose pipeline has
    # no statistical PERSON model: Ukrainian "Штеффен Хебештрайт" after a long title)
    dictionary_names: bool = False
    # words after which a name belongs to an institution named after the person
    # ("інститут імені Ігоря Сікорського"): such a name is not a dictionary PERSON
    named_after: list[str] = Field(default_factory=list)
    romanise_letters: dict[str, str] = Field(default_factory=dict)
    latin_given_names: dict[str, str] = Field(default_factory=dict)
    transcription_syllables: dict[str, str] = Field(default_factory=dict)
    native_surnames: dict[str, str] = Field(default_factory=dict)
    vowel_letters: dict[str, str] = Field(default_factory=dict)
    byline_words: list[str] = Field(default_factory=list)

    _regex_fragments = field_validator("ship_cues_before", "ship_cues_after")(check_patterns)

    @field_validator("native_syllable")
    @classmethod
    def _syllable_regex(cls, value: str | None) -> str | None:
        return None if value is None else check_patterns([value])[0]


class NamePatterns(_Data):
    version: int = 1
    languages: dict[str, LanguagePatterns]
    hull_number: str | None = None
    min_stem: int = Field(3, ge=1)
    latin_fold: dict[str, str] = Field(default_factory=dict)
    chinese_name_dots: list[str] = Field(default_factory=list)
    # a credit starts a paragraph or follows one of these; it runs to the next one or
    # the paragraph's end, and holds at most credit_max_words words
    credit_separators: list[str] = Field(default_factory=list)
    credit_ends: list[str] = Field(default_factory=list)
    credit_max_words: int = Field(8, ge=1)
    sound_folds: list[tuple[str, str]] = Field(default_factory=list)
    fuzzy_threshold: float = Field(88, ge=0, le=100)

    @field_validator("hull_number")
    @classmethod
    def _hull_regex(cls, value: str | None) -> str | None:
        return None if value is None else check_patterns([value])[0]

    def for_lang(self, lang: str) -> LanguagePatterns:
        """The patterns of ``lang``; the defaults for a language without any (made only
        then: building them costs more than the lookup, and names ask once per span)."""
        found = self.languages.get(lang)
        return found if found is not None else LanguagePatterns()

    def for_script(self, script: str) -> list[LanguagePatterns]:
        """The patterns of every registry language written in ``script``."""
        return [
            p for code, p in self.languages.items() if script in lang_registry.get(code).scripts
        ]


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
    """Countries and places: CLDR's country names in every registry language, plus the data file.

    The file (default ``pipeline/data/countries.yaml``) holds only what CLDR lacks:
    demonyms, case forms, short forms (越方), historical states (SU, YU) and places.
    """
    return with_cldr_names(load_yaml_model(CountriesFile, "countries.yaml", path))


def with_cldr_names(data: CountriesFile) -> CountriesFile:
    """``data`` with every CLDR territory name of each registry language's locales added.

    Countries the file lacks are added with CLDR's English name; forms the file already
    lists are not repeated. A language babel has no locale for gets nothing from CLDR.
    """
    skip_codes = set(data.cldr.skip_codes)
    by_code = {c.code: c for c in data.countries}
    countries = list(data.countries)
    for code, english in sorted(cldr_territories("en").items()):
        if code in skip_codes or code in by_code:
            continue
        by_code[code] = Country(code=code, name=english)
        countries.append(by_code[code])
    for lang in lang_registry.codes():
        skip = set(data.cldr.skip_forms.get(lang, []))
        for locale in lang_registry.get(lang).cldr_locales or [lang]:
            for code, name in cldr_territories(locale).items():
                country = by_code.get(code)
                if country is None or name in skip:
                    continue
                forms = country.names.setdefault(lang, [])
                if name not in forms:
                    forms.append(name)
    return data.model_copy(update={"countries": countries})


@lru_cache(maxsize=32)
def cldr_territories(locale: str) -> dict[str, str]:
    """ISO 3166 alpha-2 code → CLDR name in ``locale``; empty when babel lacks the locale."""
    try:
        names = Locale.parse(locale).territories
    except (UnknownLocaleError, ValueError):
        return {}
    return {code: name for code, name in names.items() if len(code) == 2 and code.isalpha()}


@lru_cache(maxsize=1)
def name_patterns() -> NamePatterns:
    """Titles, stop words and normalisation tables (``name_patterns.yaml``)."""
    return lang_registry.load_with_languages(NamePatterns, "name_patterns.yaml", "names")


lang_registry.on_change(name_patterns.cache_clear)
