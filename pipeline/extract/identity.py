"""One identity per person within a document: partial mentions joined to full names.

A document names a person in full once ("Александр Михеев", "Lloyd Austin",
"Nguyen Minh Triet", "德米特里·佩斯科夫") and then in part ("Михеев", "Austin",
"Triet", "佩斯科夫"). A mention whose name key is the end of exactly one fuller
mention's key in the same document (its last words; in a language whose name parts
are joined, its last characters after a name dot or at least two of them) takes that
person's id and Latin name. When the part ends the names of two different people
(two Austins), it is left alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.extract.records import PersonMention
from pipeline.people import parts_joined
from pipeline.people.models import name_patterns


def _ends(full: PersonMention, part: PersonMention) -> bool:
    """Whether ``part``'s key is the last part of ``full``'s, and shorter."""
    if full.key == part.key or not part.key:
        return False
    if parts_joined(full.mention.language) and parts_joined(part.mention.language):
        dots = name_patterns().chinese_name_dots
        written = full.mention.text
        if not written.endswith(part.mention.text):
            return False
        before = written[: len(written) - len(part.mention.text)]
        return bool(before) and (before[-1] in dots or len(part.mention.text) >= 2)
    full_words = full.key.split()
    part_words = part.key.split()
    return len(part_words) < len(full_words) and full_words[-len(part_words) :] == part_words


def link_partial_mentions(people: Sequence[PersonMention]) -> dict[str, str]:
    """Rewrite, in place, partial mentions to the one fuller name they end in the same
    document; returns the id map applied (old id → new id)."""
    mapping: dict[str, str] = {}
    for part in people:
        if part.known:  # a reference person keeps the reference id
            continue
        owners = {full.id: full for full in people if _ends(full, part)}
        if len(owners) != 1:
            continue
        full = next(iter(owners.values()))
        if full.id == part.id:
            continue
        mapping[part.id] = full.id
    if not mapping:
        return mapping
    by_id = {p.id: p for p in people if p.id not in mapping}
    for person in people:
        target = mapping.get(person.id)
        if target is None or target not in by_id:
            continue
        full = by_id[target]
        person.id = full.id
        person.known = full.known
        person.canonical_name = full.canonical_name
        person.name_basis = full.name_basis
    return mapping
