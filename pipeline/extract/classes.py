"""Generic weapon classes (mortar, VBIED, MANPADS ...) as typed mentions, and on events.

The weapons component lists the classes a paragraph names in ``Doc._.weapon_classes``
(``pipeline.weapons.find_weapon_classes``, words per language in
``pipeline/lang/<code>/weapons.yaml``). They are never weapon records: an event whose
sentence names one carries its id in ``EventRecord.weapon_classes``.
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.extensions import doc_text
from pipeline.extract.records import ClassMention, DocPart
from schemas.records import EventRecord, Mention


def class_mentions(parts: Sequence[DocPart], doc_id: str) -> list[ClassMention]:
    """Every class mention of the processed paragraphs, in document offsets."""
    found = []
    for part in parts:
        for start, end, class_id in part.doc._.weapon_classes or []:
            found.append(
                ClassMention(
                    class_id=class_id,
                    mention=Mention(
                        document_id=doc_id,
                        text=doc_text(part.doc)[start:end],
                        start=part.offset + start,
                        end=part.offset + end,
                        language=part.language,
                    ),
                )
            )
    return found


def add_weapon_classes(events: Sequence[EventRecord], mentions: Sequence[ClassMention]) -> None:
    """Each event gets the classes its evidence sentence names, in order of first mention."""
    for event in events:
        inside = [
            m.class_id
            for m in mentions
            if event.evidence.start <= m.mention.start and m.mention.end <= event.evidence.end
        ]
        event.weapon_classes = list(dict.fromkeys(inside))
