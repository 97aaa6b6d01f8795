"""A generated output dir of any size, for timing the review desk (``bench --review``).

The texts are the team's own sample corpus (``raw/samples/``) cut into sentences;
every synthetic document is a seeded draw of sixteen sentences of one language,
and every sentence is an event. People of the reference data are linked wherever
one of their written forms occurs (so searching their names in any script finds
realistic hit counts); the rest of the people and weapons systems are generated
records whose mentions point at words of the documents. Everything written is a
valid record (the store validates it on ingest). Seeded: the same size gives the
same files.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path
from typing import Any, get_args

from pipeline.evaluate import REPO_ROOT
from pipeline.write import atomic_write_text
from schemas.records import EventType

SAMPLES = REPO_ROOT / "raw" / "samples"
PER_DOCUMENT = 16
_SENTENCE_END = re.compile(r"(?<=[.!?。！？؟])\s*")
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w{4,}")
EXTRACTOR = {"name": "osintdesk", "version": "bench"}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sentences() -> dict[str, list[str]]:
    """Sentences of the sample corpus by language (the file name's prefix)."""
    from pipeline.decode import decode

    pool: dict[str, list[str]] = {}
    for path in sorted(SAMPLES.glob("*_*.*")):
        is_html = path.suffix in (".html", ".htm")
        decoded, _ = decode(path.read_bytes(), source=str(path), is_html=is_html)
        text = _TAG.sub(" ", decoded)
        lang = path.name.split("_", 1)[0]
        for line in text.splitlines():
            for sentence in _SENTENCE_END.split(" ".join(line.split())):
                if 20 <= len(sentence) <= 400:
                    pool.setdefault(lang, []).append(sentence)
    return pool


def _reference_forms() -> tuple[re.Pattern[str], dict[str, tuple[str, str, list[str]]]]:
    """One pattern for every written form (4+ characters) of the reference people, and
    (person id, name, every form) by form."""
    from pipeline.people.models import load_people

    by_form: dict[str, tuple[str, str, list[str]]] = {}
    for person in load_people().people:
        every = sorted({f for names in person.names.values() for f in names})
        for form in every:
            if len(form) >= 4:
                by_form.setdefault(form, (person.id, person.name, every))
    ordered = sorted(by_form, key=lambda f: (-len(f), f))
    return re.compile("|".join(map(re.escape, ordered))), by_form


def _mention(doc: dict[str, Any], start: int, end: int) -> dict[str, Any]:
    return {
        "document_id": doc["id"],
        "text": doc["text"][start:end],
        "start": start,
        "end": end,
        "language": doc["language"],
        "quantity": None,
    }


def _document(index: int, lang: str, sentences: list[str]) -> dict[str, Any]:
    text = "\n\n".join(sentences)
    location = f"https://bench.example/{lang}/{index}"
    sha = _sha(text)
    paragraphs, pos = [], 0
    for sentence in sentences:
        paragraphs.append(
            {"text": sentence, "language": lang, "start": pos, "end": pos + len(sentence)}
        )
        pos += len(sentence) + 2
    return {
        "schema_version": "1.0",
        "id": "document:" + _sha(location + sha)[:16],
        "source": {
            "location": location,
            "kind": "url",
            "fetched_at": "2026-11-29T00:00:00+00:00",
            "sha256": sha,
            "final_url": location,
            "status": 200,
            "content_type": "text/html",
            "snapshot": None,
        },
        "title": f"bench {lang} {index}",
        "site": "bench.example",
        "published": None,
        "language": lang,
        "languages": {lang: len(text)},
        "text": text,
        "paragraphs": paragraphs,
        "cleaning": {"method": "text-filter", "removed": {}, "encoding": "utf-8"},
        "coverage": {lang: []},
        "extractor": EXTRACTOR,
    }


def _weapon(i: int) -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "id": f"weapon:bench-{i}",
        "name": f"BX-{i}",
        "aliases": [f"Bench System {i}"],
        "category": "other",
        "family": f"BX-{i // 10}",
        "origin": None,
        "known": False,
        "mentions": [],
    }


def _person(pid: str, name: str, aliases: list[str], known: bool) -> dict[str, Any]:
    return {
        "schema_version": "1.0",
        "id": pid,
        "name": name,
        "aliases": aliases,
        "known": known,
        "roles": [],
        "mentions": [],
    }


def _link_people(
    doc: dict[str, Any],
    para: dict[str, Any],
    pattern: re.Pattern[str],
    by_form: dict[str, tuple[str, str, list[str]]],
    people: dict[str, dict[str, Any]],
) -> list[str]:
    """The reference people a paragraph names, each given (up to 50) mentions."""
    start, sentence = para["start"], para["text"]
    linked: list[str] = []
    for found in pattern.finditer(sentence):
        pid, name, every = by_form[found.group()]
        if pid in linked:
            continue
        linked.append(pid)
        person = people.setdefault(pid, _person(pid, name, [f for f in every if f != name], True))
        if len(person["mentions"]) < 50:
            person["mentions"].append(_mention(doc, start + found.start(), start + found.end()))
    return linked


def _event(
    doc: dict[str, Any],
    para: dict[str, Any],
    lang: str,
    etype: str,
    year: str,
    people: list[str],
    weapons: list[dict[str, Any]],
    countries: list[str],
) -> dict[str, Any]:
    start, end = para["start"], para["end"]
    return {
        "schema_version": "1.0",
        "id": "event:" + _sha(f"{doc['id']}|{start}|{end}|{etype}")[:16],
        "type": etype,
        "date": {
            "text": "",
            "value": year,
            "start": start,
            "end": start,
            "precision": "year",
            "anchored": False,
        },
        "people": people,
        "weapons": weapons,
        "countries": countries,
        "places": [],
        "trigger": None,
        "evidence": {
            "document_id": doc["id"],
            "sentence": para["text"],
            "start": start,
            "end": end,
            "language": lang,
        },
        "confidence": 0.5,
        "extractor": EXTRACTOR,
    }


def _filler_people(
    count: int, docs: list[dict[str, Any]], rng: random.Random
) -> dict[str, dict[str, Any]]:
    """People the reference data does not know, each with one mention."""
    people: dict[str, dict[str, Any]] = {}
    for i in range(max(count, 0)):
        doc = docs[rng.randrange(len(docs))]
        para = doc["paragraphs"][rng.randrange(len(doc["paragraphs"]))]
        word = next(iter(_WORD.finditer(para["text"])), None)
        pid = f"person:bench-{i}"
        people[pid] = _person(pid, f"Bench Person {i}", [], False)
        if word is not None:
            people[pid]["mentions"].append(
                _mention(doc, para["start"] + word.start(), para["start"] + word.end())
            )
    return people


def _write_files(out_dir: Path, docs: list[dict[str, Any]], **files: list[dict[str, Any]]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "documents").mkdir(exist_ok=True)
    for doc in docs:
        atomic_write_text(
            out_dir / "documents" / f"{doc['id'].split(':', 1)[1]}.json",
            json.dumps(doc, ensure_ascii=False, sort_keys=True),
        )
    for name, rows in files.items():
        lines = (json.dumps(r, ensure_ascii=False, sort_keys=True) for r in rows)
        atomic_write_text(out_dir / f"{name}.jsonl", "\n".join(lines) + "\n")


def generate(out_dir: Path, records: int, seed: int = 13) -> dict[str, int]:
    """Write ``records`` records (80 % events, 10 % people, 10 % weapons) and their
    documents into ``out_dir``; returns the counts written."""
    rng = random.Random(seed)
    pool = _sentences()
    languages = sorted(pool)
    pattern, by_form = _reference_forms()
    types = get_args(EventType)
    n_events = records * 8 // 10
    n_people = records // 10
    weapons = [_weapon(i) for i in range(records - n_events - n_people)]
    docs: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    people: dict[str, dict[str, Any]] = {}
    while len(events) < n_events:
        lang = languages[len(docs) % len(languages)]
        doc = _document(len(docs), lang, rng.sample(pool[lang], min(PER_DOCUMENT, len(pool[lang]))))
        docs.append(doc)
        for para in doc["paragraphs"]:
            if len(events) >= n_events:
                break
            linked = _link_people(doc, para, pattern, by_form, people)
            weapon = weapons[rng.randrange(len(weapons))] if weapons else None
            word = next(iter(_WORD.finditer(para["text"])), None)
            if weapon is not None and word is not None and len(weapon["mentions"]) < 5:
                at = para["start"]
                weapon["mentions"].append(_mention(doc, at + word.start(), at + word.end()))
            etype = types[rng.randrange(len(types))]
            year = str(rng.randrange(1990, 2026))
            held = [{"id": weapon["id"], "quantity": rng.randrange(1, 40)}] if weapon else []
            countries = sorted(rng.sample(["CN", "IN", "RU", "UA", "US", "VN"], 2))
            events.append(_event(doc, para, lang, etype, year, linked, held, countries))
    people.update(_filler_people(n_people - len(people), docs, rng))
    _write_files(out_dir, docs, people=list(people.values()), weapons=weapons, events=events)
    return {
        "documents": len(docs),
        "event": len(events),
        "person": len(people),
        "weapon": len(weapons),
    }
