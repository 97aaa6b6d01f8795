"""View models for the record pages: evidence in its paragraph, mentions, documents."""

from __future__ import annotations

from typing import Any

from flows.web.render import text_dir
from flows.web.security import safe_url
from pipeline.review import EDITABLE, Reviewed, ReviewedRecord, date_order
from pipeline.review.diff import word_diff
from pipeline.review.edits import field_value
from pipeline.review.history import history
from pipeline.review.state import evidence_text


def evidence_view(rec: ReviewedRecord, doc: dict[str, Any] | None) -> dict[str, Any]:
    """The evidence sentence inside its paragraph, split for a <mark>."""
    evidence = rec.data["evidence"]
    start, end = int(evidence["start"]), int(evidence["end"])
    language = evidence["language"]
    if doc is not None:
        for para in doc.get("paragraphs", []):
            if para["start"] <= start and end <= para["end"]:
                text = para["text"]
                a, b = start - para["start"], end - para["start"]
                return {
                    "before": text[:a],
                    "mark": text[a:b],
                    "after": text[b:],
                    "lang": para.get("language") or language,
                    "dir": text_dir(para.get("language") or language),
                }
    return {
        "before": "",
        "mark": evidence["sentence"],
        "after": "",
        "lang": language,
        "dir": text_dir(language),
    }


def mention_views(
    mentions: list[dict[str, Any]], docs: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    views = []
    for m in sorted(mentions, key=lambda m: (m["language"], m["document_id"], m["start"])):
        doc = docs.get(m["document_id"])
        text = doc["text"] if doc else ""
        s, e = int(m["start"]), int(m["end"])
        views.append(
            {
                **m,
                "before": text[max(0, s - 80) : s],
                "mark": m["text"],
                "after": text[e : e + 80],
                "dir": text_dir(m["language"]),
                "title": (doc or {}).get("title") or m["document_id"],
            }
        )
    return views


def document_view(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    if doc is None:
        return None
    source = doc["source"]
    location = source.get("final_url") or source["location"]
    return {
        "id": doc["id"],
        "title": doc.get("title") or "",
        "site": doc.get("site") or "",
        "published": doc.get("published") or "",
        "language": doc["language"],
        "location": location,
        "href": safe_url(location),
        "snapshot": bool(source.get("snapshot")),
    }


def find_record(state: Reviewed, record_id: str) -> ReviewedRecord | None:
    """The record, by its id or by the id a canonical-link edit gave it."""
    return state.records.get(record_id) or next(
        (r for r in state.survivors() if r.data["id"] == record_id), None
    )


def _event_context(
    state: Reviewed, rec: ReviewedRecord, docs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Evidence in its paragraph, its document, the same people and systems elsewhere."""
    document_id = rec.data["evidence"]["document_id"]
    evidence_doc = docs.get(document_id)
    linked = [*rec.data.get("people", []), *(w["id"] for w in rec.data.get("weapons", []))]
    by_output = {r.data["id"]: r for r in state.survivors() if r.type != "event"}
    elsewhere = [
        {
            "id": eid,
            "name": by_output[eid].name,
            "mentions": mention_views(
                [
                    m
                    for m in by_output[eid].data.get("mentions", [])
                    if m["document_id"] != document_id
                ],
                docs,
            ),
        }
        for eid in linked
        if eid in by_output
    ]
    return {
        "evidence": evidence_view(rec, evidence_doc),
        "document": document_view(evidence_doc),
        "elsewhere": elsewhere,
    }


def _entity_context(
    state: Reviewed, rec: ReviewedRecord, docs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Mentions by language, the events it takes part in, who and what appears with it."""
    out_id = rec.data["id"]
    events = [
        e
        for e in state.survivors("event")
        if out_id in e.data.get("people", [])
        or any(w["id"] == out_id for w in e.data.get("weapons", []))
    ]
    together: dict[str, int] = {}
    for e in events:
        for other in {*e.data.get("people", []), *(w["id"] for w in e.data.get("weapons", []))}:
            if other != out_id:
                together[other] = together.get(other, 0) + 1
    by_language: dict[str, int] = {}
    for m in rec.data.get("mentions", []):
        by_language[m["language"]] = by_language.get(m["language"], 0) + 1
    return {
        "mentions": mention_views(rec.data.get("mentions", []), docs),
        "mentions_by_language": sorted(by_language.items()),
        "events": sorted(events, key=lambda e: (date_order(e.date), e.id)),
        "together": sorted(together.items(), key=lambda item: (-item[1], item[0])),
        "merged": [state.records[m] for m in rec.merged_from],
        "documents": {d: document_view(docs.get(d)) for d in rec.document_ids},
    }


def _deal_context(
    state: Reviewed, rec: ReviewedRecord, docs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The reports the deal groups, as events, and their documents."""
    reported = [s["event_id"] for s in rec.data.get("sources", [])]
    events = [state.records[e] for e in reported if e in state.records]
    return {
        "mentions": [],
        "events": sorted(events, key=lambda e: (date_order(e.date), e.id)),
        "merge_targets": {},  # a deal is not merged with another
        "merged": [],
        "documents": {d: document_view(docs.get(d)) for d in rec.document_ids},
    }


def record_context(
    state: Reviewed,
    rec: ReviewedRecord,
    docs: dict[str, dict[str, Any]],
    merge_targets: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything ``record.html`` shows for an event or an entity."""
    names = {r.data["id"]: r.name for r in state.survivors() if r.type != "event"} | {
        r.id: r.name for r in state.records.values() if r.type != "event"
    }
    builders = {"event": _event_context, "deal": _deal_context}
    build = builders.get(rec.type, _entity_context)
    changed = None
    if rec.status == "changed" and rec.was is not None:
        old = evidence_text(rec.type, rec.was)
        changed = {"diff": word_diff(old, evidence_text(rec.type, rec.data)), "old": old}
    return {
        "rec": rec,
        "names": names,
        "editable": [(f, field_value(rec.type, rec.data, f)) for f in EDITABLE[rec.type]],
        "history": history(rec, names),
        "changed": changed,
        "merge_targets": merge_targets or {},
        **build(state, rec, docs),
    }
