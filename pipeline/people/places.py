"""Countries and places: names in any language to ISO codes, labels and canonical names."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline import lang as lang_registry
from pipeline.people.index import adjective_forms, case_rule
from pipeline.people.inflection import nominative
from pipeline.people.models import load_countries, name_patterns
from pipeline.people.normalise import joined_key, parts_joined, token_key

# the reference data's own language (the ``name`` of each entry is written in it): its
# country and place names are read in texts of every language (an English "Cam Ranh
# Bay" in a Vietnamese or Arabic article)
REFERENCE_LANGUAGE = "en"


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
    patterns = name_patterns().for_lang(lang)
    if patterns.name_parts_joined:  # 南海, 金兰湾: the feature is the name's last part
        return "LOC" if any(text.endswith(w) for w in patterns.geo_features) else default
    features = {token_key(w) for w in patterns.geo_features}
    if any(token_key(w) in features for w in text.split()):
        return "LOC"
    return default


def _span_key(text: str, lang: str) -> str:
    if parts_joined(lang):
        return joined_key(text)
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
            if form_lang in (lang, REFERENCE_LANGUAGE):
                for form in forms:
                    out.setdefault(_span_key(form, lang), (value, form))
    return out


def lookup_place(text: str, lang: str) -> str | None:
    """``country:XX`` / ``place:<i>`` for a whole place name; acronyms only in capitals.

    A case form the data does not list is read in the nominative where the language has a
    morphology («Египта», «Египту» → Египет; «Польщі» → Польща)."""
    forms = _place_forms_by_key(lang)
    found = forms.get(_span_key(text, lang))
    if found is None:
        base = nominative(text, lang)
        found = forms.get(_span_key(base, lang)) if base != text else None
    if found is None:
        return None
    value, form = found
    if case_rule(form) == 2 and text.strip() != form:
        return None  # "Us" is not the US
    return value


def country_code(name: str, lang: str) -> str | None:
    """ISO code for a country name or demonym in ``lang`` (Россия, روسيا, Nga, 俄罗斯 → RU)."""
    value = lookup_place(name, lang)
    if value is not None and value.startswith("country:"):
        return value.partition(":")[2]
    return adjective_forms(lang).get(token_key(name)) if " " not in name.strip() else None


lang_registry.on_change(_place_forms_by_key.cache_clear)
