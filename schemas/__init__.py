"""Pydantic models for every record osintdesk writes."""

from schemas.records import (
    RECORD_MODELS,
    SCHEMA_VERSION,
    Cleaning,
    DateInfo,
    DocumentRecord,
    EventRecord,
    EventType,
    EventWeapon,
    Evidence,
    Extractor,
    Mention,
    Paragraph,
    PersonRecord,
    SourceRef,
    WeaponRecord,
)

__all__ = [
    "RECORD_MODELS",
    "SCHEMA_VERSION",
    "Cleaning",
    "DateInfo",
    "DocumentRecord",
    "EventRecord",
    "EventType",
    "EventWeapon",
    "Evidence",
    "Extractor",
    "Mention",
    "Paragraph",
    "PersonRecord",
    "SourceRef",
    "WeaponRecord",
]
