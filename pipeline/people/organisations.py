"""Organisations of the domain: arms makers and exporters, ministries, armed forces,
government agencies and international bodies (``pipeline/data/organisations.yaml``).

Each entry has an id (``organisation:<slug of name>``), an English ``name``, a
``kind``, a ``country`` (none for international bodies), its written forms per
language. The weapons catalogue's ``producer`` values an organisation stands for are
those with one of its English forms as a part (``producer_values``). The file
is validated on load: ids are the slug of the name and unique, languages are the
registry's, and a form two entries share is refused (it would link to neither).
Linking: known forms are found in texts like known people (``FormIndex``), and an ORG
or PERSON span whose whole text is a known form gets the organisation's id.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline import lang as lang_registry
from pipeline.errors import ConfigError
from pipeline.ids import slug
from pipeline.people.index import FormIndex, _tokenised, case_rule
from pipeline.people.models import name_patterns
from pipeline.people.normalise import joined_key, parts_joined, token_key
from pipeline.people.places import REFERENCE_LANGUAGE
from pipeline.refdata import load_yaml_model
from schemas.records import OrganisationKind


class Organisation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^organisation:[^\s:A-Z]+$")
    name: str = Field(min_length=1)
    kind: OrganisationKind
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    names: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("names")
    @classmethod
    def _languages(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(lang_registry.codes()))
        if unknown:
            raise ValueError(f"unknown language(s) {unknown}; valid: {list(lang_registry.codes())}")
        return value

    @model_validator(mode="after")
    def _id_is_slug(self) -> Organisation:
        expected = f"organisation:{slug(self.name)}"
        if self.id != expected:
            raise ValueError(f"id {self.id!r} must be {expected!r} (organisation:<slug of name>)")
        return self


class OrganisationsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
    organisations: list[Organisation]


def _key(text: str, lang: str) -> str:
    if parts_joined(lang):
        return joined_key(text)
    return " ".join(token_key(w) for w in text.split())


@lru_cache(maxsize=4)
def load_organisations(path: Path | None = None) -> OrganisationsFile:
    """The organisations reference data, validated (see the module docstring)."""
    data = load_yaml_model(OrganisationsFile, "organisations.yaml", path)
    origin = path or "organisations.yaml"
    seen: set[str] = set()
    owners: dict[tuple[str, str], str] = {}
    for org in data.organisations:
        if org.id in seen:
            raise ConfigError(f"{origin}: duplicate organisation id {org.id}")
        seen.add(org.id)
        for lang, forms in org.names.items():
            for form in forms:
                key = (lang, _key(form, lang) + ("" if case_rule(form) != 2 else "\x00" + form))
                other = owners.setdefault(key, org.id)
                if other != org.id:
                    raise ConfigError(
                        f"{origin}: form {form!r} ({lang}) names both {other} and {org.id}"
                    )
    return data


@lru_cache(maxsize=4)
def organisations_by_id(path: Path | None = None) -> dict[str, Organisation]:
    return {o.id: o for o in load_organisations(path).organisations}


@lru_cache(maxsize=16)
def _keys(lang: str, path: Path | None = None) -> dict[str, tuple[str, str]]:
    """Key → (organisation id, form) for the forms of ``lang`` and the reference language."""
    out: dict[str, tuple[str, str]] = {}
    for org in load_organisations(path).organisations:
        for form_lang, forms in org.names.items():
            if form_lang in (lang, REFERENCE_LANGUAGE):
                for form in forms:
                    out.setdefault(_key(form, lang), (org.id, form))
    return out


def lookup_organisation(text: str, lang: str, path: Path | None = None) -> str | None:
    """The organisation id ``text`` (a whole name, any case form) names in ``lang``;
    acronyms match only in their own case ("NATO", not "nato")."""
    found = _keys(lang, path).get(_key(text.strip(), lang))
    if found is None:
        return None
    oid, form = found
    if case_rule(form) == 2 and text.strip() != form:
        return None
    return oid


def organisation_forms(lang: str, tokenizer: Any, path: Path | None = None) -> FormIndex:
    """Index of organisation forms for texts in ``lang`` (values: organisation ids)."""
    index = FormIndex()
    entries = [
        (form, org.id)
        for org in load_organisations(path).organisations
        for form_lang, forms in org.names.items()
        if form_lang in (lang, REFERENCE_LANGUAGE)
        for form in forms
    ]
    if parts_joined(lang):
        index.add_joined(entries)
        return index
    for form, oid in entries:
        index.add(_tokenised(form, tokenizer), oid, lang)
    return index


def _parts(producer: str) -> set[str]:
    """The organisation names in a catalogue ``producer`` value ("Bharat Dynamics, DRDO";
    "KNDS France (Nexter)"; "Admiralty Shipyards; Amur Shipyard")."""
    import re

    return {p.strip() for p in re.split(r"[,;/()]| and ", producer) if p.strip()}


@lru_cache(maxsize=1)
def producer_values() -> dict[str, list[str]]:
    """Organisation id → the weapons catalogue's producer values naming it."""
    from pipeline.weapons import load_catalogue

    producers = sorted({e.producer for e in load_catalogue() if e.producer})
    out: dict[str, list[str]] = {}
    for org in load_organisations().organisations:
        forms = set(org.names.get(REFERENCE_LANGUAGE, [])) | {org.name}
        values = [p for p in producers if forms & _parts(p)]
        if values:
            out[org.id] = values
    return out


def kind_from_name(name: str, lang: str) -> OrganisationKind:
    """The kind an unknown organisation's name states by its words (``org_kind_words``
    of the language's names.yaml): a ministry, an armed force, an agency...; else "other"."""
    patterns = name_patterns().for_lang(lang)
    if parts_joined(lang):
        return next(
            (
                kind
                for kind, words in patterns.org_kind_words.items()
                if any(w in name for w in words)
            ),
            "other",
        )
    words = {token_key(w) for w in name.replace("-", " ").split()}
    for kind, cues in patterns.org_kind_words.items():
        for cue in cues:
            keys = [token_key(w) for w in cue.split()]
            if len(keys) == 1 and keys[0] in words:
                return kind
            if len(keys) > 1 and " ".join(keys) in " ".join(token_key(w) for w in name.split()):
                return kind
    return "other"


def organisation_key(text: str, lang: str) -> str:
    """A stable key for any organisation name, known or not."""
    return _key(text, lang)


for _cached in (load_organisations, organisations_by_id, _keys, producer_values):
    lang_registry.on_change(_cached.cache_clear)
