"""Reviewer-added aliases (``OUT/reference_overrides.yaml``) applied to extractions.

The review desk writes the overlay from its decision log; the packaged
reference data is never edited. Before linking, a mention whose normalised
key equals the key of a reviewer alias takes that entity's id, so the next
run links "Путин В. В." to Vladimir Putin once a reviewer has said so.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from pipeline.extract import DocumentExtraction
from pipeline.people import person_key
from pipeline.refdata import read_yaml, validate
from pipeline.review.layout import OVERRIDES_FILE
from pipeline.weapons import normalise_designation

log = logging.getLogger(__name__)


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str | None = None
    aliases: list[str] = Field(default_factory=list)


class Overrides(BaseModel):
    model_config = ConfigDict(extra="forbid")

    people: list[_Entry] = Field(default_factory=list)
    weapons: list[_Entry] = Field(default_factory=list)


def load_overrides(out_dir: Path) -> Overrides:
    path = out_dir / OVERRIDES_FILE
    if not path.exists():
        return Overrides()
    origin = str(path)
    return validate(Overrides, read_yaml(path.read_text("utf-8"), origin) or {}, origin)


def apply_overrides(
    extractions: list[DocumentExtraction], overrides: Overrides
) -> list[DocumentExtraction]:
    """Re-point mentions matching a reviewer alias; event references follow."""
    if not overrides.people and not overrides.weapons:
        return extractions
    weapon_keys: dict[str, _Entry] = {}
    for entry in overrides.weapons:
        for alias in [*entry.aliases, *([entry.name] if entry.name else [])]:
            key = normalise_designation(alias)
            if key:
                weapon_keys[key] = entry
    people_keys: dict[str, dict[str, _Entry]] = {}  # language -> key -> entry

    def person_entry(text: str, lang: str) -> _Entry | None:
        if lang not in people_keys:
            people_keys[lang] = {
                person_key(alias, lang): entry
                for entry in overrides.people
                for alias in [*entry.aliases, *([entry.name] if entry.name else [])]
            }
        return people_keys[lang].get(person_key(text, lang))

    result = []
    for extraction in extractions:
        remap: dict[str, str] = {}
        people = []
        for pm in extraction.people:
            person = person_entry(pm.mention.text, pm.mention.language)
            if person and person.id != pm.id:
                remap[pm.id] = person.id
                pm = pm.model_copy(
                    update={"id": person.id, "canonical_name": person.name or pm.canonical_name}
                )
            people.append(pm)
        weapons = []
        for wm in extraction.weapons:
            key = normalise_designation(wm.mention.text)
            weapon = weapon_keys.get(key) if key else None
            if weapon and weapon.id != wm.id:
                remap[wm.id] = weapon.id
                wm = wm.model_copy(update={"id": weapon.id, "name": weapon.name or wm.name})
            weapons.append(wm)
        events = [
            event.model_copy(
                update={
                    "people": sorted({remap.get(p, p) for p in event.people}),
                    "weapons": [
                        w.model_copy(update={"id": remap.get(w.id, w.id)}) for w in event.weapons
                    ],
                }
            )
            if remap
            else event
            for event in extraction.events
        ]
        result.append(
            extraction.model_copy(update={"people": people, "weapons": weapons, "events": events})
        )
    if any(r is not e for r, e in zip(result, extractions, strict=True)):
        log.info("applied reviewer aliases from %s", OVERRIDES_FILE)
    return result
