"""Record models: the single source of osintdesk's output format.

Every JSON file osintdesk writes is an instance of one of these models. The
JSON Schema files under ``schemas/json/`` are exported from them by
``osintdesk schemas`` and a test fails when they are stale. Fields may be
added; none may be renamed.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.edtf import EdtfString

SCHEMA_VERSION = "1.0"

EventType = Literal[
    "diplomatic_visit",
    "agreement_signed",
    "arms_order",
    "arms_delivery",
    "military_cooperation",
    "deployment_or_basing",
    "vote_or_statement",
    "incident",
    "trade_or_investment",
    "other",
]

# Where an event's date was read: the trigger's own clause or sentence, the previous
# sentence, an earlier sentence of the paragraph, the headline, or, when the text
# gives none, the publication date (the event is dated by when it was reported).
DateBasis = Literal[
    "clause", "sentence", "previous_sentence", "paragraph", "headline", "reported_by"
]

# How the text states an event: as having happened ("asserted"), as intended, expected or
# offered ("planned"), as a threat ("threatened"), or as denied, refused or not confirmed
# ("negated"); read from the words next to the trigger (lang/<code>/triggers.yaml `modality`).
Modality = Literal["asserted", "planned", "threatened", "negated"]

# Where an arms event's weapons systems were read: its own sentence, or, when the sentence
# refers back to them ("the first batch", «26 самолетов»), the nearest earlier sentence
# that names one.
WeaponsBasis = Literal["sentence", "earlier_sentence"]

# Where a document's publication date was read: the page's metadata, or the text's own
# header line or dateline.
PublishedBasis = Literal["metadata", "feed", "dateline"]

# how a person's Latin name was obtained: the people reference data, a transliteration
# from another script (pipeline/people/latin.py), or the text's own Latin spelling
NameBasis = Literal["reference", "transliteration", "as_written"]

# what an organisation is (pipeline/data/organisations.yaml); "other" for an organisation
# the reference data does not know
OrganisationKind = Literal[
    "arms_maker",
    "arms_exporter",
    "ministry",
    "government_agency",
    "armed_forces",
    "international",
    "other",
]

DatePrecision = Literal[
    "day", "month", "season", "quarter", "year", "decade", "century", "range", "unknown"
]

# SIPRI's categories (aircraft, air_defence, anti_submarine, armoured_vehicle, artillery,
# engine, missile, naval_weapon, satellite, sensor, ship, other; UAVs are aircraft) plus four
# finer ones kept from the first release: helicopter (an aircraft), submarine (a ship),
# coastal_defence (missile), radar (a sensor); see SIPRI_CATEGORY.
WeaponCategory = Literal[
    "aircraft",
    "helicopter",
    "submarine",
    "ship",
    "missile",
    "air_defence",
    "coastal_defence",
    "armoured_vehicle",
    "artillery",
    "radar",
    "sensor",
    "engine",
    "naval_weapon",
    "anti_submarine",
    "satellite",
    "other",
]
SIPRI_CATEGORY: dict[str, str] = {
    "helicopter": "aircraft",
    "submarine": "ship",
    "coastal_defence": "missile",
    "radar": "sensor",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class _Record(_Model):
    schema_version: str = Field(SCHEMA_VERSION, description="Version of this record format.")


class SourceRef(_Model):
    """Where a document came from, down to the exact bytes."""

    location: str = Field(description="The URL or file path as given in the manifest or CLI.")
    kind: Literal["url", "file", "feed"] = Field(description="How the source is fetched.")
    source_id: str | None = Field(None, description="Id of the manifest entry, if any.")
    fetched_at: dt.datetime = Field(description="When the bytes were fetched (UTC).")
    sha256: str = Field(description="sha256 of the raw bytes; names the snapshot file.")
    final_url: str | None = Field(None, description="URL after redirects, for URL sources.")
    status: int | None = Field(None, description="HTTP status, for URL sources.")
    content_type: str | None = Field(None, description="Declared or sniffed content type.")
    snapshot: str | None = Field(None, description="Snapshot path relative to the output dir.")
    also_at: list[str] = Field(
        default_factory=list,
        description="Other locations that gave exactly the same bytes (same sha256) in this "
        "run: one document, not one per location. Sorted.",
    )


class Paragraph(_Model):
    text: str = Field(description="Paragraph text, exactly text[start:end] of the document.")
    language: str = Field(description="ISO 639-1 code, or 'und' when undetermined.")
    start: int = Field(ge=0, description="Character offset in the document text.")
    end: int = Field(ge=0, description="Character offset (exclusive) in the document text.")


class Cleaning(_Model):
    method: Literal["trafilatura", "text-filter", "tag-strip", "none"] = Field(
        description="How the main text was obtained."
    )
    removed: dict[str, int] = Field(
        default_factory=dict,
        description="Paragraphs (or footnote markers, or stray NUL bytes: nul_bytes) removed, "
        "counted per reason.",
    )
    encoding: str | None = Field(None, description="Character encoding used to decode the bytes.")


class DocumentRecord(_Record):
    id: str = Field(description="Stable id: hash of source location and content sha256.")
    source: SourceRef
    title: str | None = None
    author: str | None = None
    authors: list[str] = Field(
        default_factory=list,
        description="Who the document's bylines and photo or editor credits name, in text "
        "order; document metadata, never people records.",
    )
    site: str | None = None
    published: dt.date | None = Field(None, description="Publication date, when known.")
    published_basis: PublishedBasis | None = Field(
        None,
        description="Where the publication date was read: the page's metadata (HTML, through "
        "trafilatura/htmldate), the date its feed listed it under, or a header line or "
        "dateline of the text. Never the run date.",
    )
    language: str = Field(description="Main language of the document (ISO 639-1).")
    languages: dict[str, int] = Field(
        default_factory=dict, description="Characters of cleaned text per detected language."
    )
    text: str = Field(description="Cleaned main text; all offsets refer to it.")
    paragraphs: list[Paragraph]
    cleaning: Cleaning
    coverage: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per language present, the pipeline components that ran. An empty or "
        "missing list means no model for that language: no findings is not evidence of absence.",
    )
    extractor: Extractor | None = None


PartyBasis = Literal["sentence", "paragraph", "document", "origin", "reviewer"]


class Party(_Model):
    """A country's part in a transfer, and what says so."""

    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166 alpha-2 code.")
    basis: PartyBasis = Field(
        description="Where the text states it: the event's sentence, its paragraph, the "
        "document; 'origin': not stated, the system's country of origin; 'reviewer': set "
        "by a reviewer."
    )
    cue: str | None = Field(
        None, description="The words that gave the role ('from', 'received'), when any."
    )


QuantityQualifier = Literal["exact", "approximate", "at_least", "at_most", "range"]


class Quantity(_Model):
    """A number of units as the text states it: exact, approximate, bounded or a range,
    with the batch it belongs to ("the second batch of 12": value 12, batch 2)."""

    value: int = Field(ge=0, description="The number stated (the low end of a range).")
    high: int | None = Field(None, ge=0, description="The high end of a range (8-12: 12).")
    qualifier: QuantityQualifier = Field(
        "exact",
        description="exact; approximate ('about 30', 'около 30'); at_least ('more than 20', "
        "'понад 200', '逾百'); at_most ('up to 30'); range ('8 to 12', value and high).",
    )
    batch: int | None = Field(
        None, ge=1, description="Ordinal of the batch the units belong to, when stated."
    )
    text: str | None = Field(None, description="The quantity expression as written.")

    @property
    def approximate(self) -> bool:
        """Whether the text states the number other than exactly."""
        return self.qualifier != "exact"


class Mention(_Model):
    document_id: str
    text: str = Field(description="The mention exactly as written: text[start:end].")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    language: str
    quantity: int | None = Field(None, description="Units mentioned with a weapons system.")
    supplier: Party | None = Field(
        None, description="Of a weapons system mentioned in an arms event: who supplies it."
    )
    recipient: Party | None = Field(
        None, description="Of a weapons system mentioned in an arms event: who receives it."
    )
    quantity_detail: Quantity | None = Field(
        None,
        description="The quantity as stated (qualifier, range, batch); `quantity` is its value, "
        "none for a range.",
    )


class PersonRecord(_Record):
    id: str = Field(description="person:<slug>; canonical from reference data or normalised name.")
    name: str = Field(description="Canonical display name, Latin script where known.")
    name_basis: NameBasis | None = Field(
        None,
        description="Where the Latin name comes from: reference (people reference data), "
        "transliteration (romanised from another script) or as_written (the text's own "
        "Latin spelling); null when no Latin name could be made.",
    )
    aliases: list[str] = Field(default_factory=list, description="Every other form seen or known.")
    known: bool = Field(False, description="True when linked to the reference data.")
    roles: list[str] = Field(default_factory=list)
    mentions: list[Mention] = Field(default_factory=list)


class WeaponRecord(_Record):
    id: str = Field(description="weapon:<slug> of the canonical designation.")
    name: str = Field(description="Canonical Latin designation, e.g. Su-30MK2, Project 636.1.")
    aliases: list[str] = Field(
        default_factory=list, description="Class/reporting names and forms seen."
    )
    category: WeaponCategory = "other"
    family: str | None = Field(None, description="Designation family, e.g. Su-30.")
    origin: str | None = Field(None, description="Country of origin (ISO 3166 alpha-2).")
    known: bool = Field(False, description="True when linked to the reference data.")
    mentions: list[Mention] = Field(default_factory=list)


class OrganisationRecord(_Record):
    id: str = Field(
        description="organisation:<slug>: of the reference name, else of the normalised name."
    )
    name: str = Field(description="Canonical name (the reference data's English name when known).")
    aliases: list[str] = Field(default_factory=list, description="Every other form seen.")
    kind: OrganisationKind = "other"
    country: str | None = Field(None, description="ISO 3166 alpha-2; null for international.")
    known: bool = Field(False, description="True when linked to the reference data.")
    producers: list[str] = Field(
        default_factory=list,
        description="The weapons catalogue's producer values this organisation stands for.",
    )
    mentions: list[Mention] = Field(default_factory=list)


class DateInfo(_Model):
    text: str = Field(description="The date expression as written.")
    value: str | None = Field(
        None,
        description="EDTF-style value: 2014-11-27, 2014-11, 2014, 199X, 1965-07/1974-12; "
        "XXXX-11-27 or XXXX-11 when the text gives no year and no publication date places it.",
    )
    start: int = Field(ge=0, description="Offset in the document text.")
    end: int = Field(ge=0)
    precision: DatePrecision = "unknown"
    anchored: bool = Field(False, description="Relative date resolved against publication date.")
    calendar: Literal["hijri", "solar_hijri"] | None = Field(
        None,
        description="The calendar the text wrote the date in, when not the Gregorian one; "
        "the value is its Gregorian reading (a Hijri month or year is a range of days).",
    )
    year_inferred: bool = Field(
        False,
        description="A month or day written without a year, in a document with no publication "
        "date: the year is the nearest one the text states before it. With none before it, "
        "the value leaves the year unspecified (XXXX-03-17) and this is false.",
    )
    basis: DateBasis | None = Field(
        None,
        description="For an event's date, where it was read: 'clause' or 'sentence' (the "
        "trigger's own), 'previous_sentence', 'paragraph', 'headline', or 'reported_by' (the "
        "publication date, when the text dates the event nowhere; offsets are then 0). "
        "None on date mentions.",
    )


class EventWeapon(_Model):
    id: str
    quantity: int | None = None
    quantity_detail: Quantity | None = Field(
        None, description="The quantity as stated (qualifier, range, batch)."
    )
    supplier: Party | None = Field(None, description="Who supplies this system, in arms events.")
    recipient: Party | None = Field(None, description="Who receives it, in arms events.")


class Evidence(_Model):
    document_id: str
    sentence: str = Field(description="The sentence exactly as in the document text.")
    start: int = Field(ge=0, description="Sentence offset in the document text.")
    end: int = Field(ge=0)
    language: str


class Extractor(_Model):
    name: str = "osintdesk"
    version: str


class ClusterMention(_Model):
    """One mention of a real-world event: an event record of one document."""

    event_id: str
    document_id: str
    start: int = Field(ge=0, description="Sentence offset in the document text.")
    end: int = Field(ge=0)
    language: str


class EventCluster(_Model):
    """The real-world event an event record tells, counted as ACLED and GDELT count it (one
    event, many sources). Its mentions are listed once, in the cluster's own record
    (:class:`ClusterRecord`, ``clusters.jsonl``), not on every event that tells it."""

    id: str = Field(description="cluster:<hash of the member event id that sorts first>.")
    num_mentions: int = Field(ge=1, description="Event records in the cluster (GDELT NumMentions).")
    num_sources: int = Field(ge=1, description="Distinct documents (GDELT NumSources).")
    languages: list[str] = Field(default_factory=list, description="Languages of the mentions.")


class ClusterRecord(_Record):
    """One real-world event and every event record that tells it (``clusters.jsonl``, one
    line per cluster, as GDELT keeps its mentions apart from its events)."""

    id: str = Field(description="cluster:<hash of the member event id that sorts first>.")
    num_mentions: int = Field(ge=1, description="Event records in the cluster (GDELT NumMentions).")
    num_sources: int = Field(ge=1, description="Distinct documents (GDELT NumSources).")
    languages: list[str] = Field(default_factory=list, description="Languages of the mentions.")
    mentions: list[ClusterMention] = Field(
        description="Every event record of the cluster, sorted by document, offset and event id."
    )


class EventRecord(_Record):
    id: str = Field(description="event:<hash of document id, sentence span and type>.")
    type: EventType
    date: DateInfo | None
    people: list[str] = Field(default_factory=list, description="Person record ids.")
    organisations: list[str] = Field(
        default_factory=list, description="Organisation record ids named in the sentence."
    )
    weapons: list[EventWeapon] = Field(default_factory=list)
    weapons_basis: WeaponsBasis | None = Field(
        None,
        description="Where the weapons were read: 'sentence', or 'earlier_sentence' when the "
        "sentence refers back to systems an earlier sentence names. None without weapons.",
    )
    modality: Modality = Field(
        "asserted",
        description="'asserted' (stated as done), 'planned' (intended, expected, offered), "
        "'threatened', or 'negated' (denied, refused, not confirmed), as the words around the "
        "trigger state it.",
    )
    countries: list[str] = Field(default_factory=list, description="ISO 3166 alpha-2 codes.")
    places: list[str] = Field(default_factory=list, description="Places as written or canonical.")
    weapon_classes: list[str] = Field(
        default_factory=list,
        description="Generic weapon classes the sentence names (mortar, vbied, manpads, "
        "ballistic_missile ...): typed mentions, not weapon records.",
    )
    trigger: str | None = Field(None, description="Trigger word that typed the event.")
    supplier: Party | None = Field(None, description="Supplying country of an arms event.")
    recipient: Party | None = Field(None, description="Receiving country of an arms event.")
    evidence: Evidence
    confidence: float = Field(ge=0.0, le=1.0)
    extractor: Extractor
    cluster: EventCluster | None = Field(
        None,
        description="The real-world event this record tells, shared with the records of other "
        "sentences, documents and languages that tell the same one (set by linking): its id "
        "and counts; its mentions are in the cluster's record (clusters.jsonl).",
    )


DealStatus = Literal["planned", "ordered", "delivering", "delivered", "cancelled"]


class DealSource(_Model):
    """One report of a deal: an arms event, where it was said and in which language."""

    event_id: str
    type: EventType
    date: str | None = Field(None, description="The event's date value, when dated.")
    quantity: int | None = Field(None, description="Units this report gives for the system.")
    document_id: str
    location: str | None = Field(None, description="The document's URL or file.")
    sentence: str
    language: str


class DealRecord(_Record):
    """One arms transfer deal, shaped like a row of SIPRI's trade register.

    Reports of the same transfer from any document and language are one deal: same
    supplier, recipient and system family, compatible dates and quantities.
    """

    id: str = Field(description="deal:<hash of supplier, recipient, system and first year>.")
    name: str = Field(description="Display name: system, supplier → recipient, year.")
    supplier: Party | None = None
    recipient: Party | None = None
    weapon: str = Field(description="Weapon record id of the system.")
    designation: str = Field(description="The system's designation.")
    category: WeaponCategory = Field("other", description="The system's category (description).")
    number_ordered: int | None = None
    order_date: EdtfString | None = Field(None, description="Date (year) of the order.")
    number_delivered: int | None = None
    delivery_dates: list[EdtfString] = Field(
        default_factory=list, description="Dates of the deliveries reported."
    )
    status: DealStatus = Field(description="The deal's own status, not the review status.")
    comments: str = ""
    sources: list[DealSource] = Field(default_factory=list)


DocumentRecord.model_rebuild()

RECORD_MODELS: dict[str, type[BaseModel]] = {
    "document": DocumentRecord,
    "person": PersonRecord,
    "organisation": OrganisationRecord,
    "weapon": WeaponRecord,
    "event": EventRecord,
    "deal": DealRecord,
}

#: every model with a JSON Schema in ``schemas/json/``: the record types above (the ones the
#: review desk decides on) and the event clusters (``clusters.jsonl``)
SCHEMA_MODELS: dict[str, type[BaseModel]] = {**RECORD_MODELS, "cluster": ClusterRecord}
