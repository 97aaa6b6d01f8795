"""Custom attributes on spaCy objects shared by all osintdesk components.

Every language pipeline emits the same entity labels: PERSON, ORG, GPE, LOC,
WEAPON, DATE. Components enrich entity spans through these attributes so
that extraction (``pipeline.extract``) never needs to know which language or
model produced a span.
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

LABELS = ("PERSON", "ORG", "GPE", "LOC", "WEAPON", "DATE")


def register_extensions() -> None:
    """Register the attributes once; safe to call repeatedly."""
    span_attrs: dict[str, object] = {
        # canonical id from reference data (person:..., weapon:..., country code)
        "canonical": None,
        # canonical display name (Latin script where known)
        "canonical_name": None,
        # number of units for WEAPON spans
        "quantity": None,
        # for WEAPON spans: dict with category, family, origin, designation, known
        "weapon": None,
        # for DATE spans: dict with value, precision, anchored (see schemas.DateInfo)
        "date": None,
    }
    for name, default in span_attrs.items():
        if not Span.has_extension(name):
            Span.set_extension(name, default=default)
    if not Doc.has_extension("coverage"):
        Doc.set_extension("coverage", default=None)
    if not Doc.has_extension("published"):
        # publication date (datetime.date) used to anchor relative dates
        Doc.set_extension("published", default=None)


register_extensions()
