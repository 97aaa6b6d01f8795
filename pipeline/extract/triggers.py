"""The event trigger lexicon: its format, and loading it from the registry.

``pipeline/data/triggers.yaml`` holds what all languages share (event types, their
priorities and what they subsume); each language's ``lang/<code>/triggers.yaml``
adds its trigger words, placed under their event type on load.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline import lang as lang_registry
from pipeline.refdata import load_yaml_model
from schemas.records import EventType, Modality

Label = Literal["PERSON", "ORG", "GPE", "LOC", "WEAPON", "DATE"]


class LanguageLexicon(BaseModel):
    model_config = ConfigDict(extra="forbid")

    match: Literal["word", "substring"] = "word"
    proclitics: list[str] = Field(default_factory=list)
    fold: list[str] = Field(default_factory=list)
    ignore_marks: bool = False
    # filled from the registry on load: the script's marks, and letters it unifies
    marks: str = ""
    exclude: list[str] = Field(default_factory=list)
    clause_words: list[str] = Field(default_factory=list)
    # words just before or after a date that make it a point of comparison ("10 % of the
    # 1989 level", "比2019年"), which dates no event
    comparison_before: list[str] = Field(default_factory=list)
    comparison_after: list[str] = Field(default_factory=list)
    # verbs of reporting ("said", «сообщает», "表示"): a date nearer one of them than the
    # trigger is the date of the report, not of the event
    report_words: list[str] = Field(default_factory=list)
    # nouns that refer back to weapons systems named before ("the first batch", «самолетов»):
    # an arms trigger in a sentence without a system of its own takes the earlier sentence's
    antecedent_words: list[str] = Field(default_factory=list)
    # words next to a trigger (same clause, within `modality_window` characters) that make
    # the event planned, threatened or negated rather than asserted
    modality: dict[Modality, list[str]] = Field(default_factory=dict)
    # ordinals and words of a series ("the first batch ... the second in March 2008"): a
    # clause with one of them and a date but no trigger of its own tells another event of
    # the sentence's arms trigger
    sequence_words: list[str] = Field(default_factory=list)


class EventTypeLexicon(BaseModel):
    model_config = ConfigDict(extra="forbid")

    priority: int = 0
    requires: list[Label] = Field(default_factory=list)
    subsumes: list[EventType] = Field(default_factory=list)
    # an event of this type needs no date of its own: it takes the governing one
    undated: bool = False
    # ... but only by a trigger at least this strong ("warned", not "said")
    undated_min_weight: float = Field(0.0, ge=0.0, le=1.0)
    triggers: dict[str, dict[str, float]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _weights(self) -> EventTypeLexicon:
        for lang, table in self.triggers.items():
            for text, weight in table.items():
                if not 0.0 < weight <= 1.0:
                    raise ValueError(f"{lang} trigger {text!r}: weight {weight} not in (0, 1]")
                if not text.strip("* "):
                    raise ValueError(f"{lang}: empty trigger")
        return self


class TriggerLexicon(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int
    second_event_min_weight: float = Field(0.8, ge=0.0, le=1.0)
    second_event_same_type_min_weight: float = Field(0.6, ge=0.0, le=1.0)
    clause_marks: str = ",;:()"
    clause_penalty: int = Field(30, ge=0)
    # a modality cue counts this many characters before a trigger, or after it
    modality_window: int = Field(40, ge=0)
    modality_window_after: int = Field(15, ge=0)
    # how many sentences back an arms trigger may look for the systems it refers to
    antecedent_sentences: int = Field(3, ge=0)
    languages: dict[str, LanguageLexicon]
    types: dict[EventType, EventTypeLexicon]

    @model_validator(mode="after")
    def _languages_declared(self) -> TriggerLexicon:
        for name, spec in self.types.items():
            unknown = set(spec.triggers) - set(self.languages)
            if unknown:
                raise ValueError(f"type {name}: undeclared languages {sorted(unknown)}")
        return self


@lru_cache(maxsize=4)
def load_lexicon(path: Path | None = None) -> TriggerLexicon:
    """The trigger lexicon, validated: ``pipeline/data/triggers.yaml`` with every
    language's ``triggers.yaml`` (or the one file ``path`` holding all of it)."""
    if path is not None:
        return load_yaml_model(TriggerLexicon, "triggers.yaml", path)
    return lang_registry.load_with_languages(
        TriggerLexicon, "triggers.yaml", "triggers", _place_triggers
    )


def _place_triggers(data: dict[str, Any], code: str, part: dict[str, Any]) -> None:
    """A language's trigger words go under their event type; its script's
    normalisation (one table, ``lang/<code>/language.yaml``) joins its fold classes."""
    types = data.setdefault("types", {})
    for name, table in (part.pop("types", None) or {}).items():
        types.setdefault(name, {}).setdefault("triggers", {})[code] = table
    normalisation = lang_registry.get(code).normalisation
    classes: dict[str, str] = {}
    for letter, target in normalisation.letters.items():
        classes[target] = classes.get(target, target) + letter
    part["fold"] = [*part.get("fold", []), *classes.values()]
    if part.get("ignore_marks") and normalisation.remove:
        part["marks"] = normalisation.remove + "*"


lang_registry.on_change(load_lexicon.cache_clear)
