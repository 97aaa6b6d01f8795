"""Custom attributes on spaCy objects shared by all osintdesk components.

Every language pipeline emits the same entity labels: PERSON, ORG, GPE, LOC,
WEAPON, DATE. Components enrich entity spans through these attributes so
that extraction (``pipeline.extract``) never needs to know which language or
model produced a span.
"""

from __future__ import annotations

from collections.abc import Iterable

from spacy.tokens import Doc, Span

LABELS = ("PERSON", "ORG", "GPE", "LOC", "WEAPON", "DATE")
# Labels whose spans a known name may replace when the name covers them fully.
_REPLACEABLE = {"PERSON", "ORG", "GPE", "LOC"}


_TEXT_KEY = "osintdesk.text"


def doc_text(doc: Doc) -> str:
    """``doc.text``, built once per Doc. spaCy rebuilds the text from every token on each
    ``doc.text``, which made components that ask per candidate name quadratic in effect
    (profile in docs/performance.md). A Doc's text never changes after tokenisation
    (retokenising merges keep it), so the first answer stays right."""
    text = doc.user_data.get(_TEXT_KEY)
    if not isinstance(text, str):
        text = doc.text
        doc.user_data[_TEXT_KEY] = text
    return text


def remember_text(doc: Doc, text: str) -> None:
    """Tell :func:`doc_text` the text ``doc`` was made from, so it is never rebuilt from the
    tokens (one Token object per character in Chinese). spaCy's tokenizers keep every
    character; a Doc whose tokens do not end where ``text`` does is left to be rebuilt."""
    if len(doc) and doc[-1].idx + len(doc[-1].text_with_ws) == len(text):
        doc.user_data[_TEXT_KEY] = text


def register_extensions() -> None:
    """Register the attributes once; safe to call repeatedly."""
    span_attrs: dict[str, object] = {
        # canonical id from reference data (person:..., weapon:..., country code)
        "canonical": None,
        # canonical display name (Latin script where known)
        "canonical_name": None,
        # number of units for WEAPON spans
        "quantity": None,
        # for WEAPON spans: the quantity as stated (schemas.records.Quantity)
        "quantity_detail": None,
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
    if not Doc.has_extension("weapon_classes"):
        # generic weapon classes named in the text: (start_char, end_char, class id)
        Doc.set_extension("weapon_classes", default=None)
    if not Doc.has_extension("credits"):
        # who the text's bylines and credits name (pipeline.people.credits): authors
        Doc.set_extension("credits", default=None)
    if not Doc.has_extension("published"):
        # publication date (datetime.date) used to anchor relative dates
        Doc.set_extension("published", default=None)


register_extensions()


def note_coverage(doc: Doc, name: str) -> None:
    """Record that component ``name`` ran on ``doc``."""
    if doc._.coverage is None:
        doc._.coverage = []
    if name not in doc._.coverage:
        doc._.coverage.append(name)


def _settled(doc: Doc) -> bool:
    """Whether setting ``doc.ents`` to its own entities would change nothing: every token
    is marked inside or outside an entity (none left "missing", which the setter turns
    into "outside") and every entity has a label (the setter drops unlabelled ones)."""
    iob = doc.to_array("ENT_IOB")
    if not len(iob) or not iob.all():
        return not len(iob)
    inside = (iob == 1) | (iob == 3)
    return not (inside & (doc.to_array("ENT_TYPE") == 0)).any()


def merge_ents(doc: Doc, new: Iterable[Span], replace: bool = False) -> None:
    """Add ``new`` spans to ``doc.ents`` without overlaps.

    Existing entities win unless ``replace`` is true and every entity the new
    span overlaps lies inside it and has a replaceable label (never WEAPON/DATE).
    Among new spans, longer ones win. When nothing is added the entities are set
    again only where that changes the Doc (see ``_settled``).
    """
    spans = sorted(new, key=lambda s: (-(s.end - s.start), s.start))
    if not spans and _settled(doc):
        return
    ents = list(doc.ents)
    alive = [True] * len(ents)
    owner = [-1] * len(doc)  # token -> index of the entity holding it
    for k, ent in enumerate(ents):
        owner[ent.start : ent.end] = [k] * (ent.end - ent.start)
    added = False
    for span in spans:
        if span.start >= span.end:
            continue
        hits = {owner[i] for i in range(span.start, span.end) if owner[i] >= 0}
        if hits:
            if not replace or not all(
                span.start <= ents[h].start
                and ents[h].end <= span.end
                and ents[h].label_ in _REPLACEABLE
                for h in hits
            ):
                continue
            for h in hits:
                alive[h] = False
        ents.append(span)
        alive.append(True)
        owner[span.start : span.end] = [len(ents) - 1] * (span.end - span.start)
        added = True
    if not added and _settled(doc):
        return
    doc.ents = sorted(
        (e for e, keep in zip(ents, alive, strict=True) if keep), key=lambda s: s.start
    )
