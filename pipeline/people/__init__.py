"""People and place linking across scripts.

Reference data: ``pipeline/data/people.yaml`` (known people, every written
form per language, dated roles), ``pipeline/data/countries.yaml`` (countries
and recurring places) and ``pipeline/data/name_patterns.yaml`` with each
language's ``lang/<code>/names.yaml`` (titles, cues, normalisation tables).
Everything is loaded and validated once.

The package by job:

``models``      the data files' models and loaders;
``normalise``   name keys across scripts (Latin folding, registry normalisation,
                Cyrillic stems and transliteration, joined name parts);
``index``       known forms indexed for lookups and token scanning, person ids;
``places``      countries and places: codes, labels, canonical names;
``roles``       the role a known person held at a date;
``ships``       spaCy helpers for what is never a person (ship names, country
                abbreviations);
``component``   the spaCy component ``osintdesk_people``, last in every pipeline.
"""

from __future__ import annotations

from pipeline.extensions import merge_ents
from pipeline.people.component import PEOPLE_COMPONENT, PeopleLinker, make_people_linker
from pipeline.people.index import (
    Form,
    FormIndex,
    PersonIndex,
    adjective_forms,
    people_forms,
    person_id,
    person_index,
    place_forms,
)
from pipeline.people.models import (
    CountriesFile,
    Country,
    LanguagePatterns,
    NamePatterns,
    PeopleFile,
    Person,
    Place,
    Role,
    load_countries,
    load_people,
    name_patterns,
)
from pipeline.people.normalise import (
    fold_latin,
    joined_key,
    normalize_arabic,
    normalize_text,
    parts_joined,
    person_key,
    ru_stem,
    token_key,
    transliterate_cyrillic,
)
from pipeline.people.places import (
    REFERENCE_LANGUAGE,
    PlaceInfo,
    country_code,
    lookup_place,
    place_info,
    place_label,
)
from pipeline.people.roles import role_at
from pipeline.people.ships import ShipCues, is_country_abbreviation, ship_cues

__all__ = [
    "PEOPLE_COMPONENT",
    "REFERENCE_LANGUAGE",
    "CountriesFile",
    "Country",
    "Form",
    "FormIndex",
    "LanguagePatterns",
    "NamePatterns",
    "PeopleFile",
    "PeopleLinker",
    "Person",
    "PersonIndex",
    "Place",
    "PlaceInfo",
    "Role",
    "ShipCues",
    "adjective_forms",
    "country_code",
    "fold_latin",
    "is_country_abbreviation",
    "joined_key",
    "load_countries",
    "load_people",
    "lookup_place",
    "make_people_linker",
    "merge_ents",
    "name_patterns",
    "normalize_arabic",
    "normalize_text",
    "parts_joined",
    "people_forms",
    "person_id",
    "person_index",
    "person_key",
    "place_forms",
    "place_info",
    "place_label",
    "role_at",
    "ru_stem",
    "ship_cues",
    "token_key",
    "transliterate_cyrillic",
]
