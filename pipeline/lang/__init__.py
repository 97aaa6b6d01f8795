"""The language registry: everything osintdesk knows about a language, in one folder.

Modelled on spaCy's ``spacy/lang/<code>/``. Each supported language is a folder
``pipeline/lang/<code>/`` holding

``language.yaml``  the :class:`LanguageSpec`: name, direction, scripts, its spaCy
                   pipeline (tokenizer, statistical model, components and their
                   config), normalisation tables, the coverage statement;
``dates.yaml``     date vocabulary and patterns (read by :mod:`pipeline.dates`);
``numbers.yaml``   number words and quantity cues (:mod:`pipeline.quantities`);
``triggers.yaml``  event trigger words per event type (:mod:`pipeline.extract`);
``names.yaml``     titles, cues, clitics, name-stem endings, transliteration and
                   place-feature words (:mod:`pipeline.people`, :mod:`pipeline.ner_rules`);
``weapons.yaml``   class and type words around designations, project words, words that
                   join two names of one system (:mod:`pipeline.weapons`).

The supported languages are the folders that hold a ``language.yaml``; no module
lists them. Adding a language is adding a folder (and tests); a folder outside the
package can be added with :func:`add_path` (tests build a toy language that way).
Every loader that caches language data registers its cache with :func:`on_change`
so that adding a path is seen everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.errors import ConfigError
from pipeline.refdata import check_patterns, read_yaml, validate

M = TypeVar("M", bound=BaseModel)
SPEC_FILE = "language.yaml"
_CODE = re.compile(r"^[a-z]{2,3}$")
_extra_paths: list[Path] = []
_listeners: list[Callable[[], Any]] = []


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Component(_Spec):
    """One spaCy component of a language's pipeline, added in order."""

    factory: str
    config: dict[str, Any] = Field(default_factory=dict)
    before: str | None = Field(None, description="Add before this component (default: last).")


class PipelineSpec(_Spec):
    """How to build the spaCy pipeline (see :func:`pipeline.nlp.build_nlp`)."""

    spacy_lang: str = Field(description="spaCy language class for the tokenizer ('xx': any).")
    tokenizer: Literal["default", "syllables", "characters"] = "default"
    tokenizer_fixes: list[str] = Field(
        default_factory=list, description="Named tokenizer adjustments (pipeline.nlp.FIXES)."
    )
    model: list[str] = Field(
        default_factory=list,
        description="spaCy model packages, first installed wins (none: a blank tokenizer).",
    )
    model_exclude: list[str] = Field(default_factory=list)
    model_enable: list[str] = Field(
        default_factory=list,
        description="Components the model ships disabled that the pipeline turns on ('senter').",
    )
    sentence_punct: list[str] | None = Field(
        None, description="Sentence-final characters (None: spaCy's sentencizer defaults)."
    )
    sentence_abbreviations: list[str] = Field(
        default_factory=list,
        description="Abbreviations written with a full stop that ends no sentence ('г.', 'tr.').",
    )
    components: list[Component] = Field(default_factory=list)


class Normalisation(_Spec):
    """Comparison form of the script: marks removed, letters unified."""

    remove: str | None = Field(None, description="Character class of marks to delete.")
    letters: dict[str, str] = Field(default_factory=dict)

    @field_validator("remove")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        return value if value is None else check_patterns([value])[0]


class Coverage(_Spec):
    """What is statistical and what is rules, said plainly (shown in docs and `lang`)."""

    statistical: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)
    note: str = ""


class LanguageSpec(_Spec):
    code: str
    name: str
    direction: Literal["ltr", "rtl"] = "ltr"
    scripts: list[str] = Field(min_length=1)
    pipeline: PipelineSpec
    normalisation: Normalisation = Normalisation()
    coverage: Coverage
    # CLDR locales whose country names the language reads (Chinese: simplified and
    # traditional); empty means the language code itself
    cldr_locales: list[str] = Field(default_factory=list)
    folder: Path | None = Field(None, exclude=True)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not _CODE.fullmatch(value):
            raise ValueError(f"{value!r} is not an ISO 639 code (2-3 lower-case letters)")
        return value

    def normalise(self, text: str) -> str:
        """``text`` in this language's comparison form (no case folding)."""
        return _normaliser(self.code)(text)

    def data(self, name: str) -> dict[str, Any] | None:
        """The folder's ``<name>.yaml`` as a mapping, or None when the folder has none."""
        return _data_file(self.code, name)


def _package_root() -> Path:
    return Path(str(resources.files("pipeline").joinpath("lang")))


def roots() -> list[Path]:
    """The folders of language folders: the package's, then those added by :func:`add_path`."""
    return [_package_root(), *_extra_paths]


@cache
def _folders() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in roots():
        for folder in sorted(p for p in root.iterdir() if (p / SPEC_FILE).is_file()):
            found[folder.name] = folder  # a later root may replace a language
    return found


@cache
def get(code: str) -> LanguageSpec:
    """The spec of a supported language; :class:`ConfigError` for any other code."""
    folder = _folders().get(code)
    if folder is None:
        raise ConfigError(f"language {code!r}: not in the registry ({', '.join(codes())})")
    origin = str(folder / SPEC_FILE)
    try:
        text = (folder / SPEC_FILE).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"{origin}: cannot read: {exc.strerror or exc}") from exc
    spec = validate(LanguageSpec, read_yaml(text, origin), origin)
    if spec.code != folder.name:
        raise ConfigError(f"{origin}: code {spec.code!r} differs from its folder {folder.name!r}")
    return spec.model_copy(update={"folder": folder})


def codes() -> tuple[str, ...]:
    """The supported language codes, sorted."""
    return tuple(sorted(_folders()))


def find(code: str | None) -> LanguageSpec | None:
    """The spec for ``code`` (``zh-Hant`` → ``zh``), or None when unsupported."""
    base = (code or "").split("-")[0].lower()
    return get(base) if base in _folders() else None


def is_rtl(code: str | None) -> bool:
    spec = find(code)
    return spec is not None and spec.direction == "rtl"


@cache
def _data_file(code: str, name: str) -> dict[str, Any] | None:
    path = get(code).folder / f"{name}.yaml"  # type: ignore[operator]
    if not path.is_file():
        return None
    data = read_yaml(path.read_text("utf-8"), str(path))
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping")
    return data


def sections(name: str) -> dict[str, dict[str, Any]]:
    """``<name>.yaml`` of every language that has one, by code."""
    found = {code: _data_file(code, name) for code in codes()}
    return {code: data for code, data in found.items() if data is not None}


@cache
def _normaliser(code: str) -> Callable[[str], str]:
    spec = get(code).normalisation
    marks = re.compile(spec.remove) if spec.remove else None
    table = str.maketrans(spec.letters)

    def normalise(text: str) -> str:
        return (marks.sub("", text) if marks else text).translate(table)

    return normalise


def normalise_all(text: str) -> str:
    """``text`` with every language's normalisation applied (script-blind comparison)."""
    for code in codes():
        text = _normaliser(code)(text)
    return text


def on_change(clear: Callable[[], Any]) -> None:
    """Register a cache-clearing function to run when the registry changes."""
    _listeners.append(clear)


def add_path(root: Path) -> None:
    """Add a folder of language folders (``root/<code>/language.yaml``)."""
    if not root.is_dir():
        raise ConfigError(f"{root}: not a folder of languages")
    _extra_paths.append(root)
    _changed()


def remove_path(root: Path) -> None:
    _extra_paths.remove(root)
    _changed()


def _changed() -> None:
    for fn in (_folders, get, _data_file, _normaliser):
        fn.cache_clear()
    for clear in _listeners:
        clear()


def load_with_languages(
    model: type[M],
    name: str,
    section: str,
    place: Callable[[dict[str, Any], str, dict[str, Any]], None] | None = None,
) -> M:
    """``pipeline/data/<name>`` (what all languages share) with every language's
    ``<section>.yaml`` placed under ``languages.<code>``, validated by ``model``.

    ``place(data, code, part)`` may move keys of a language's part elsewhere in
    ``data`` first (trigger words go under their event type).
    """
    origin = f"pipeline/data/{name} + pipeline/lang/*/{section}.yaml"
    text = resources.files("pipeline").joinpath("data", name).read_text("utf-8")
    data = read_yaml(text, f"pipeline/data/{name}") or {}
    languages = data.setdefault("languages", {})
    for code, part in sections(section).items():
        part = dict(part)
        if place is not None:
            place(data, code, part)
        languages[code] = part
    return validate(model, data, origin)
