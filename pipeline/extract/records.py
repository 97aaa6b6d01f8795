"""Entity spans read into mention records, in document offsets.

The spans' values come through the extensions of ``pipeline.extensions``: PERSON
spans become :class:`PersonMention` (canonical id when linked), WEAPON spans
:class:`WeaponMention` (canonical id, quantity), DATE spans with a ``_.date`` value
:class:`~schemas.records.DateInfo`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import get_args

from pydantic import BaseModel, ConfigDict, Field
from spacy.tokens import Doc, Span

from pipeline.extensions import doc_text
from pipeline.ids import slug
from pipeline.people import person_key
from pipeline.people.latin import latin_name
from pipeline.people.organisations import organisation_key
from schemas.records import (
    DateInfo,
    DatePrecision,
    EventRecord,
    Mention,
    NameBasis,
    Quantity,
    WeaponCategory,
)

_WEAPON_CATEGORIES: tuple[str, ...] = get_args(WeaponCategory)
_PRECISIONS: tuple[str, ...] = get_args(DatePrecision)


def person_id(canonical: str | None, key: str) -> str | None:
    """Record id of a person: the canonical id, else ``person:<slug of key>``."""
    if canonical:
        return canonical
    key_slug = slug(key)
    return f"person:{key_slug}" if key_slug else None


class PersonMention(BaseModel):
    """A PERSON span with what linking needs."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="person:<slug>: canonical id, else of the name key.")
    mention: Mention
    canonical_name: str | None = Field(
        None,
        description="Latin name: the reference name when known, else a transliteration or "
        "the Latin form as written (name_basis says which).",
    )
    name_basis: NameBasis | None = None
    key: str = Field(description="Normalised key of the form as written.")
    known: bool = False


class OrganisationMention(BaseModel):
    """An ORG span: linked to the organisations reference data, or by its own name key."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="organisation:<slug>: reference id, else of the name key.")
    mention: Mention
    name: str = Field(description="Reference name when known, else the text as written.")
    key: str = Field(description="Normalised key of the form as written.")
    known: bool = False


class WeaponMention(BaseModel):
    """A WEAPON span with its reference data."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="weapon:<slug> of the canonical designation.")
    mention: Mention
    name: str = Field(description="Canonical designation, else the text as written.")
    category: WeaponCategory = "other"
    family: str | None = None
    origin: str | None = None
    known: bool = False


class ClassMention(BaseModel):
    """A generic weapon class named in a document (a mortar, a VBIED): never a weapon
    record; events carry its id (see :mod:`pipeline.extract.classes`)."""

    model_config = ConfigDict(extra="forbid")

    class_id: str = Field(description="Id from pipeline/data/weapons.yaml weapon_classes.")
    mention: Mention


class DocumentExtraction(BaseModel):
    """Everything extracted from one document, in document offsets."""

    model_config = ConfigDict(extra="forbid")

    document_id: str
    people: list[PersonMention] = Field(default_factory=list)
    organisations: list[OrganisationMention] = Field(default_factory=list)
    weapons: list[WeaponMention] = Field(default_factory=list)
    dates: list[DateInfo] = Field(default_factory=list)
    events: list[EventRecord] = Field(default_factory=list)
    coverage: dict[str, list[str]] = Field(default_factory=dict)
    weapon_classes: list[ClassMention] = Field(
        default_factory=list, description="Generic weapon classes named (not weapon records)."
    )
    authors: list[str] = Field(
        default_factory=list, description="Names in bylines and credits, in text order."
    )


@dataclass(frozen=True)
class DocPart:
    """A processed paragraph: its Doc, where it starts in the document, its language."""

    doc: Doc
    offset: int
    language: str
    # document offsets of a date that dates no event (the document's dateline)
    skip: tuple[int, int] | None = None

    @cached_property
    def ents(self) -> tuple[Span, ...]:
        """The Doc's entity spans, made once: each ``Doc.ents`` makes every Span anew (three
        Token objects each), and extraction reads them once per sentence. The pipeline has
        set them when the part is made; extraction never changes them."""
        return tuple(self.doc.ents)

    def ents_in(self, sent: Span) -> list[Span]:
        """The entity spans inside ``sent``, in order (what ``sent.ents`` gives)."""
        return [e for e in self.ents if e.start >= sent.start and e.end <= sent.end]

    def text_of(self, span: Span) -> str:
        """``span.text``, cut from the Doc's text (``Span.text`` joins a Token object per
        token)."""
        return doc_text(self.doc)[span.start_char : span.end_char]


def date_info(span: Span, offset: int) -> DateInfo | None:
    """The DATE span's value as a record, or None when the span carries none."""
    data = span._.date
    if not isinstance(data, dict):
        return None
    value = data.get("value")
    precision = data.get("precision") or "unknown"
    if precision not in _PRECISIONS:
        precision = "unknown"
    return DateInfo(
        text=span.text,
        value=str(value) if value else None,
        start=offset + span.start_char,
        end=offset + span.end_char,
        precision=precision,
        anchored=bool(data.get("anchored", False)),
        calendar=data.get("calendar"),
        year_inferred=bool(data.get("year_inferred", False)),
    )


def _mention(
    span: Span,
    part: DocPart,
    doc_id: str,
    quantity: int | None = None,
    detail: Quantity | None = None,
) -> Mention:
    return Mention(
        document_id=doc_id,
        text=span.text,
        start=part.offset + span.start_char,
        end=part.offset + span.end_char,
        language=part.language,
        quantity=quantity,
        quantity_detail=detail,
    )


def person_mention(span: Span, part: DocPart, doc_id: str) -> PersonMention | None:
    """A PERSON span as a mention; None when its name gives no id."""
    canonical = span._.canonical if isinstance(span._.canonical, str) else None
    key = person_key(span.text, part.language)
    pid = person_id(canonical, key)
    if pid is None:
        return None
    name: str | None = span._.canonical_name if canonical else None
    basis: NameBasis | None = "reference" if name else None
    if name is None:
        latin = latin_name(span.text, part.language)
        if latin is not None:
            name, basis = latin
    return PersonMention(
        id=pid,
        mention=_mention(span, part, doc_id),
        canonical_name=name,
        name_basis=basis,
        key=key,
        known=canonical is not None,
    )


def organisation_mention(span: Span, part: DocPart, doc_id: str) -> OrganisationMention | None:
    """An ORG span as a mention; None when its name gives no id. A span linked to a
    country (an ORG that is really a state: "Russia") is not an organisation."""
    canonical = span._.canonical if isinstance(span._.canonical, str) else None
    if canonical is not None and not canonical.startswith("organisation:"):
        return None
    key = organisation_key(span.text, part.language)
    oid = canonical or (f"organisation:{slug(key)}" if slug(key) else None)
    if oid is None:
        return None
    return OrganisationMention(
        id=oid,
        mention=_mention(span, part, doc_id),
        name=span._.canonical_name if canonical and span._.canonical_name else span.text,
        key=key,
        known=canonical is not None,
    )


def _quantity(span: Span) -> int | None:
    value = span._.quantity
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _quantity_detail(span: Span) -> Quantity | None:
    value = span._.quantity_detail
    return value if isinstance(value, Quantity) else None


def weapon_mention(span: Span, part: DocPart, doc_id: str) -> WeaponMention | None:
    """A WEAPON span as a mention; None when its designation gives no id."""
    info = span._.weapon if isinstance(span._.weapon, dict) else {}
    name = info.get("designation") or span._.canonical_name or span.text
    canonical = span._.canonical if isinstance(span._.canonical, str) else None
    wid = canonical or (f"weapon:{slug(name)}" if slug(name) else None)
    if wid is None:
        return None
    category = info.get("category") or "other"
    return WeaponMention(
        id=wid,
        mention=_mention(span, part, doc_id, _quantity(span), _quantity_detail(span)),
        name=name,
        category=category if category in _WEAPON_CATEGORIES else "other",
        family=info.get("family"),
        origin=info.get("origin"),
        known=bool(info.get("known", canonical is not None)),
    )
