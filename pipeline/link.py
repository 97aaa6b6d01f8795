"""Merge mentions across documents into person and weapon records.

People are grouped by canonical id (reference data) first. A mention that
the reference data did not link joins a known person when its normalised name
key (``pipeline.people.person_key``) equals the key of a form already linked
to exactly one known person; otherwise mentions group by their own key, so
the same unknown name in two documents is one record. Then unknown records are
joined by their Latin names (``pipeline.people.fuzzy``, threshold measured by
``osintdesk evaluate names``): to the one reference person whose Latin names they
match, else to each other; two reference people are never merged. Weapons group by
their ``weapon:<slug>`` id.

Output is deterministic: records sorted by id, mentions by document id and
offsets, aliases sorted; the same input always gives the same ids. Organisations
group by id: the reference id, else ``organisation:<slug of the name key>``.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline import lang as lang_registry
from pipeline.cache import cached_json
from pipeline.clusters import cluster_events, cluster_records
from pipeline.extract import (
    DocumentExtraction,
    OrganisationMention,
    PersonMention,
    WeaponMention,
)
from pipeline.people import REFERENCE_LANGUAGE, person_index, person_key
from pipeline.people.fuzzy import comparable, similar_pairs
from pipeline.people.latin import latin_name
from pipeline.people.organisations import kind_from_name, organisations_by_id, producer_values
from schemas.records import (
    ClusterRecord,
    EventRecord,
    Mention,
    NameBasis,
    OrganisationKind,
    OrganisationRecord,
    PersonRecord,
    WeaponRecord,
)

log = logging.getLogger(__name__)


@dataclass
class Linked:
    """Linked records, the events with person ids remapped, and the id map used."""

    people: list[PersonRecord] = field(default_factory=list)
    organisations: list[OrganisationRecord] = field(default_factory=list)
    weapons: list[WeaponRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    clusters: list[ClusterRecord] = field(default_factory=list)
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


class PersonKeys:
    """What the first linking step needs of every person mention, read one at a time: the
    known people each name key stands for, and the keys of each unknown id, in the order
    they appear. Small: keys and ids, never mentions."""

    def __init__(self) -> None:
        self.owners: dict[str, set[str]] = defaultdict(set)
        self.unknown: dict[str, list[str]] = {}

    def add(self, p: PersonMention) -> None:
        if p.known:
            self.owners[p.key].add(p.id)
            self.owners[person_key(p.mention.text, p.mention.language)].add(p.id)
            if p.canonical_name:
                self.owners[person_key(p.canonical_name, REFERENCE_LANGUAGE)].add(p.id)
        else:
            keys = self.unknown.setdefault(p.id, [])
            if p.key not in keys:
                keys.append(p.key)

    def id_map(self) -> dict[str, str]:
        """Unknown person ids mapped to a known id where a name key of theirs is
        unambiguous (the first such key, in mention order)."""
        mapping: dict[str, str] = {}
        for pid, keys in self.unknown.items():
            for key in keys:
                owners = self.owners.get(key, set())
                if len(owners) == 1:
                    mapping[pid] = next(iter(owners))
                    break
                if len(owners) > 1:
                    log.info("person key %r matches several known people; left unlinked", key)
        return mapping


def _person_id_map(people: Sequence[PersonMention]) -> dict[str, str]:
    """Map unknown person ids to a known id where their name key is unambiguous."""
    keys = PersonKeys()
    for p in people:
        keys.add(p)
    return keys.id_map()


def _latin_name(group: Sequence[PersonMention]) -> tuple[str, NameBasis] | None:
    """The record's Latin name: the reference name, else the text's own Latin spelling,
    else a transliteration (most frequent, then the most words, then the shortest: the
    nominative of a Cyrillic name is its shortest case form)."""
    bases: tuple[NameBasis, ...] = ("reference", "as_written", "transliteration")
    for basis in bases:
        names = Counter(
            p.canonical_name for p in group if p.name_basis == basis and p.canonical_name
        )
        if names:
            best = min(names, key=lambda n: (-names[n], -len(n.split()), len(n), n))
            return best, basis
    return None


@lru_cache(maxsize=1)
def _reference_latin() -> dict[str, list[str]]:
    """Every reference person's comparable Latin names: the canonical name and the
    Latin names of its written forms (Chinese ones only when dotted, as transcriptions).
    Seconds of pymorphy3 and pypinyin work, so kept in the machine's cache
    (:mod:`pipeline.cache`) for the next process."""
    return cached_json("reference-latin", _derive_reference_latin)


def _derive_reference_latin() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for pid, person in person_index().people.items():
        names = {person.name}
        for lang, forms in person.names.items():
            for form in forms:
                latin = latin_name(form, lang)
                if latin is not None:
                    names.add(latin[0])
        out[pid] = sorted(n for n in names if comparable(n))
    return out


@dataclass
class GroupNames:
    """What fuzzy matching reads of a person group: its Latin names, whether any of its
    mentions is a known person."""

    names: set[str] = field(default_factory=set)
    known: bool = False

    def add(self, p: PersonMention) -> None:
        if p.canonical_name:
            self.names.add(p.canonical_name)
        self.known = self.known or p.known

    def merge(self, other: GroupNames) -> None:
        self.names |= other.names
        self.known = self.known or other.known


def _fuzzy_map(groups: dict[str, list[PersonMention]]) -> dict[str, str]:
    summaries: dict[str, GroupNames] = {}
    for pid, group in groups.items():
        summary = summaries[pid] = GroupNames()
        for p in group:
            summary.add(p)
    return fuzzy_map(summaries)


def fuzzy_map(groups: dict[str, GroupNames]) -> dict[str, str]:
    """Unknown groups joined by their Latin names (``pipeline.people.fuzzy``): to the one
    reference person they match, else to each other. Two reference people never merge:
    only unknown groups move."""
    reference = _reference_latin()
    unknown = {
        pid: sorted(n for n in group.names if comparable(n))
        for pid, group in groups.items()
        if pid not in reference and not group.known
    }
    unknown = {pid: names for pid, names in unknown.items() if names}
    owners = [(pid, name) for pid, names in unknown.items() for name in names]
    refs = [(ref, name) for ref, names in reference.items() for name in names]
    matches: dict[str, set[str]] = defaultdict(set)
    for i, j in similar_pairs([n for _, n in owners], [n for _, n in refs]):
        matches[owners[i][0]].add(refs[j][0])
    mapping: dict[str, str] = {}
    for pid in unknown:
        found = matches.get(pid, set())
        if len(found) == 1:
            mapping[pid] = next(iter(found))
        elif len(found) > 1:
            log.info("%s matches several reference people by spelling; left apart", pid)
    # unknown with unknown: the smallest id of each connected set
    rest = sorted(pid for pid in unknown if pid not in mapping)
    parent = {pid: pid for pid in rest}

    def root(pid: str) -> str:
        while parent[pid] != pid:
            pid = parent[pid]
        return pid

    left = [(pid, name) for pid, name in owners if pid in parent]
    for i, j in similar_pairs([n for _, n in left]):
        ra, rb = root(left[i][0]), root(left[j][0])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    for pid in rest:
        if root(pid) != pid:
            mapping[pid] = root(pid)
    return mapping


def person_record(pid: str, group: Sequence[PersonMention]) -> PersonRecord:
    forms = [p.mention.text for p in group]
    reference = person_index().people.get(pid)
    known = any(p.known for p in group) or reference is not None
    canonical = _most_frequent(p.canonical_name for p in group if p.known and p.canonical_name)
    if canonical is None and reference is not None:
        canonical = reference.name
    latin = _latin_name(group)
    basis: NameBasis | None = None
    if canonical:
        name, basis = canonical, "reference"
    elif latin is not None:
        name, basis = latin
    else:
        name = _most_frequent(f for f in forms if is_latin(f)) or _most_frequent(forms) or pid
    aliases = sorted({f for f in forms if f != name})
    return PersonRecord(
        id=pid,
        name=name,
        name_basis=basis,
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


def _unknown_kind(name: str, group: Sequence[OrganisationMention]) -> OrganisationKind:
    """An unknown organisation's kind as its most frequent form's words state it."""
    language = _most_frequent(o.mention.language for o in group if o.mention.text == name)
    return kind_from_name(name, language or group[0].mention.language)


def organisation_record(oid: str, group: Sequence[OrganisationMention]) -> OrganisationRecord:
    """One organisation: the reference entry's name, kind and country when known; the
    weapons catalogue's producer values it stands for."""
    reference = organisations_by_id().get(oid)
    forms = [o.mention.text for o in group]
    name = reference.name if reference else (_most_frequent(forms) or oid)
    return OrganisationRecord(
        id=oid,
        name=name,
        aliases=sorted({f for f in forms if f != name}),
        kind=reference.kind if reference else _unknown_kind(name, group),
        country=reference.country if reference else None,
        known=reference is not None,
        producers=producer_values().get(oid, []),
        mentions=_sorted_mentions(o.mention for o in group),
    )


def weapon_record(wid: str, group: Sequence[WeaponMention]) -> WeaponRecord:
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


def combined_map(first: dict[str, str], fuzzy: dict[str, str]) -> dict[str, str]:
    """The person id map of both linking steps: by name key, then by Latin name."""
    mapping = {pid: fuzzy.get(target, target) for pid, target in first.items()}
    mapping.update({old: new for old, new in fuzzy.items() if old not in mapping})
    return mapping


def remap_people(event: EventRecord, mapping: dict[str, str]) -> EventRecord:
    """``event`` naming the linked person ids (each once, in its order)."""
    remapped = list(dict.fromkeys(mapping.get(pid, pid) for pid in event.people))
    return event.model_copy(update={"people": remapped})


def link_all(extractions: Sequence[DocumentExtraction]) -> Linked:
    """Link people and weapons across documents; remap event person ids to match;
    cluster the events that tell one real-world event (:mod:`pipeline.clusters`), with
    one record per cluster.

    Everything in memory; :mod:`pipeline.assemble` gives the same records from a run of
    any size, reading one document's extraction at a time."""
    people = [p for ex in extractions for p in ex.people]
    mapping = _person_id_map(people)
    by_person: dict[str, list[PersonMention]] = defaultdict(list)
    for p in people:
        by_person[mapping.get(p.id, p.id)].append(p)
    fuzzy = _fuzzy_map(by_person)
    if fuzzy:
        for old, new in fuzzy.items():
            by_person[new].extend(by_person.pop(old))
        mapping = combined_map(mapping, fuzzy)
    by_organisation: dict[str, list[OrganisationMention]] = defaultdict(list)
    for ex in extractions:
        for org in ex.organisations:
            by_organisation[org.id].append(org)
    by_weapon: dict[str, list[WeaponMention]] = defaultdict(list)
    for ex in extractions:
        for w in ex.weapons:
            by_weapon[w.id].append(w)
    events = [remap_people(event, mapping) for ex in extractions for event in ex.events]
    events.sort(key=lambda e: (e.evidence.document_id, e.evidence.start, e.id))
    events = cluster_events(events)
    return Linked(
        people=[person_record(pid, by_person[pid]) for pid in sorted(by_person)],
        organisations=[
            organisation_record(oid, by_organisation[oid]) for oid in sorted(by_organisation)
        ],
        weapons=[weapon_record(wid, by_weapon[wid]) for wid in sorted(by_weapon)],
        events=events,
        clusters=cluster_records(events),
        person_ids=dict(sorted(mapping.items())),
    )


def link(
    extractions: Sequence[DocumentExtraction],
) -> tuple[list[PersonRecord], list[WeaponRecord]]:
    """Person and weapon records merged across ``extractions`` (see :func:`link_all`)."""
    linked = link_all(extractions)
    return linked.people, linked.weapons


lang_registry.on_change(_reference_latin.cache_clear)
