"""Merge mentions across documents into person and weapon records.

People are grouped by canonical id (reference data) first. A mention that
the reference data did not link joins a known person when its normalised name
key (``pipeline.people.person_key``) equals the key of a form already linked
to exactly one known person; otherwise mentions group by their own key, so
the same unknown name in two documents is one record. Weapons group by their
``weapon:<slug>`` id.

Output is deterministic: records sorted by id, mentions by document id and
offsets, aliases sorted; the same input always gives the same ids.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pipeline.clusters import cluster_events
from pipeline.extract import DocumentExtraction, PersonMention, WeaponMention
from pipeline.people import REFERENCE_LANGUAGE, person_index, person_key
from schemas.records import EventRecord, Mention, PersonRecord, WeaponRecord

log = logging.getLogger(__name__)


@dataclass
class Linked:
    """Linked records, the events with person ids remapped, and the id map used."""

    people: list[PersonRecord] = field(default_factory=list)
    weapons: list[WeaponRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    person_ids: dict[str, str] = field(default_factory=dict)


def is_latin(text: str) -> bool:
    """True when every letter of ``text`` is Latin script (diacritics allowed)."""
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and all(unicodedata.name(ch, "").startswith("LATIN") for ch in letters)


def _most_frequent(forms: Iterable[str]) -> str | None:
    counts = Counter(forms)
    if not counts:
        return None
    # most frequent, then longest (fuller name), then alphabetical: deterministic
    return min(counts, key=lambda f: (-counts[f], -len(f), f))


def _sorted_mentions(mentions: Iterable[Mention]) -> list[Mention]:
    unique = {(m.document_id, m.start, m.end): m for m in mentions}
    return [unique[k] for k in sorted(unique)]


def _person_id_map(people: Sequence[PersonMention]) -> dict[str, str]:
    """Map unknown person ids to a known id where their name key is unambiguous."""
    key_owners: dict[str, set[str]] = defaultdict(set)
    for p in people:
        if p.known:
            key_owners[p.key].add(p.id)
            key_owners[person_key(p.mention.text, p.mention.language)].add(p.id)
            if p.canonical_name:
                key_owners[person_key(p.canonical_name, REFERENCE_LANGUAGE)].add(p.id)
    mapping: dict[str, str] = {}
    for p in people:
        if p.known or p.id in mapping:
            continue
        owners = key_owners.get(p.key, set())
        if len(owners) == 1:
            mapping[p.id] = next(iter(owners))
        elif len(owners) > 1:
            log.info("person key %r matches several known people; left unlinked", p.key)
    return mapping


def _person_record(pid: str, group: Sequence[PersonMention]) -> PersonRecord:
    forms = [p.mention.text for p in group]
    known = any(p.known for p in group)
    canonical = _most_frequent(p.canonical_name for p in group if p.known and p.canonical_name)
    latin = _most_frequent(f for f in forms if is_latin(f))
    name = canonical or latin or _most_frequent(forms) or pid
    aliases = sorted({f for f in forms if f != name})
    return PersonRecord(
        id=pid,
        name=name,
        aliases=aliases,
        known=known,
        roles=_roles(pid) if known else [],
        mentions=_sorted_mentions(p.mention for p in group),
    )


def _roles(pid: str) -> list[str]:
    """Role titles of a known person from the people reference data, in data order."""
    person = person_index().people.get(pid)
    if person is None:
        return []
    return list(dict.fromkeys(role.title for role in person.roles))


def _weapon_record(wid: str, group: Sequence[WeaponMention]) -> WeaponRecord:
    known_group = [w for w in group if w.known] or list(group)
    name = _most_frequent(w.name for w in known_group) or wid
    category = _most_frequent(w.category for w in known_group if w.category != "other")
    family = _most_frequent(w.family for w in known_group if w.family)
    origin = _most_frequent(w.origin for w in known_group if w.origin)
    forms = {w.mention.text for w in group} | {w.name for w in group}
    return WeaponRecord(
        id=wid,
        name=name,
        aliases=sorted(f for f in forms if f != name),
        category=category or "other",
        family=family,
        origin=origin,
        known=any(w.known for w in group),
        mentions=_sorted_mentions(w.mention for w in group),
    )


def link_all(extractions: Sequence[DocumentExtraction]) -> Linked:
    """Link people and weapons across documents; remap event person ids to match;
    cluster the events that tell one real-world event (:mod:`pipeline.clusters`)."""
    people = [p for ex in extractions for p in ex.people]
    mapping = _person_id_map(people)
    by_person: dict[str, list[PersonMention]] = defaultdict(list)
    for p in people:
        by_person[mapping.get(p.id, p.id)].append(p)
    by_weapon: dict[str, list[WeaponMention]] = defaultdict(list)
    for ex in extractions:
        for w in ex.weapons:
            by_weapon[w.id].append(w)
    events = []
    for ex in extractions:
        for event in ex.events:
            remapped = list(dict.fromkeys(mapping.get(pid, pid) for pid in event.people))
            events.append(event.model_copy(update={"people": remapped}))
    events.sort(key=lambda e: (e.evidence.document_id, e.evidence.start, e.id))
    events = cluster_events(events)
    return Linked(
        people=[_person_record(pid, by_person[pid]) for pid in sorted(by_person)],
        weapons=[_weapon_record(wid, by_weapon[wid]) for wid in sorted(by_weapon)],
        events=events,
        person_ids=dict(sorted(mapping.items())),
    )


def link(
    extractions: Sequence[DocumentExtraction],
) -> tuple[list[PersonRecord], list[WeaponRecord]]:
    """Person and weapon records merged across ``extractions`` (see :func:`link_all`)."""
    linked = link_all(extractions)
    return linked.people, linked.weapons
