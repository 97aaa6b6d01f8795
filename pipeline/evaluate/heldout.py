"""The team's held-out set of real arms articles (``tests/heldout/``), scored by recall.

The repository holds each article's address and our annotation; the texts (under
copyright) live beside the checkout in ``../heldout-texts/<id>.txt`` (or
``$OSINTDESK_HELDOUT_TEXTS``) and are re-obtained by address when missing (see
``tests/heldout/README.md``). Articles whose text is absent are counted as skipped.

Each article goes through the whole ``ingest`` path (cleaning, language per paragraph,
extraction). A gold item is found when an extracted mention overlaps one of its forms
as written, so differences of canonical spelling between annotator and catalogue do not
count against extraction:

- people recall, and the share of found people given a Latin canonical name;
- weapons recall (one gold entry per system and article), and quantity recall over gold
  entries that state a count (found with that count);
- weapons precision: of the distinct systems extracted from an article, the share with a
  mention overlapping a gold weapon form (what is left is read by hand: a miss of the
  annotation, or a false weapon);
- parties recall over gold entries that state supplier and recipient: an extracted event
  gives the found system both, as annotated;
- events recall: (type, date) pairs; a gold date with an unknown year (``XXXX-07-12``,
  ``XXXX-07``) matches that day (month) of any year, at the same precision; a gold event
  without a date (``null``: the text dates it nowhere) matches an event dated only by its
  report (``date.basis == "reported_by"``). Only events stated as done
  (``modality == "asserted"``) are matched: the gold lists no plans, threats or denials.

The split is fixed by the address (see the README). Never change rules or data while
looking at the ``test`` rows.
"""

from __future__ import annotations

import json
import os
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.config import load_options
from pipeline.evaluate import REPO_ROOT, Report
from pipeline.evaluate.gold import Ratio
from pipeline.extract import DocumentExtraction
from pipeline.ingest import ingest_paths
from schemas.edtf import parse_or_none

HELDOUT_DIR = REPO_ROOT / "tests" / "heldout"
COLUMNS = [
    "split",
    "language",
    "articles",
    "skipped",
    "people_r",
    "latin_names",
    "weapons_r",
    "weapons_p",
    "quantity_r",
    "parties_r",
    "events_r",
]


def texts_dir() -> Path:
    env = os.environ.get("OSINTDESK_HELDOUT_TEXTS")
    return Path(env) if env else REPO_ROOT.parent / "heldout-texts"


def _count(ratio: Ratio, hit: bool) -> None:
    ratio.total += 1
    ratio.hits += int(hit)


@dataclass
class Score:
    articles: int = 0
    skipped: int = 0
    people: Ratio = field(default_factory=Ratio)
    latin: Ratio = field(default_factory=Ratio)
    weapons: Ratio = field(default_factory=Ratio)
    weapons_p: Ratio = field(default_factory=Ratio)
    quantity: Ratio = field(default_factory=Ratio)
    parties: Ratio = field(default_factory=Ratio)
    events: Ratio = field(default_factory=Ratio)

    def merge(self, other: Score) -> None:
        self.articles += other.articles
        self.skipped += other.skipped
        for name in ("people", "latin", "weapons", "weapons_p", "quantity", "parties", "events"):
            getattr(self, name).add(getattr(other, name))


def _spans(text: str, forms: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for form in forms:
        start = text.find(form)
        while form and start >= 0:
            spans.append((start, start + len(form)))
            start = text.find(form, start + 1)
    return spans


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


def _is_latin(name: str | None) -> bool:
    letters = [c for c in name or "" if c.isalpha()]
    return bool(letters) and all(unicodedata.name(c, "").startswith("LATIN") for c in letters)


def _date_matches(gold: str | None, value: str | None) -> bool:
    if gold is None or value is None:
        return gold == value
    if gold == value:
        return True
    if gold.startswith("XXXX-"):  # the article gives the month (and day), not the year
        found = parse_or_none(value)
        month, _, day = gold[5:].partition("-")
        if found is None or found.precision != ("day" if day else "month"):
            return False
        if not day:
            return found.earliest.month == int(month)
        return (found.earliest.month, found.earliest.day) == (int(month), int(day))
    return gold == value


def _parties_found(
    gold: dict[str, Any], weapon_ids: set[str], extraction: DocumentExtraction
) -> bool:
    """Whether an event gives the system found for ``gold`` the gold supplier and recipient."""
    for event in extraction.events:
        for weapon in event.weapons:
            if weapon.id in weapon_ids and weapon.supplier and weapon.recipient:
                found = (weapon.supplier.country, weapon.recipient.country)
                if found == (gold["supplier"], gold["recipient"]):
                    return True
    return False


def score_article(gold: dict[str, Any], text: str, extraction: DocumentExtraction) -> Score:
    score = Score(articles=1)
    for person in gold.get("people", []):
        spans = _spans(text, person["forms"])
        hits = [p for p in extraction.people if _overlaps(spans, p.mention.start, p.mention.end)]
        _count(score.people, bool(hits))
        if hits:
            _count(score.latin, any(_is_latin(p.canonical_name) for p in hits))
    for weapon in gold.get("weapons", []):
        spans = _spans(text, weapon["forms"])
        arms = [w for w in extraction.weapons if _overlaps(spans, w.mention.start, w.mention.end)]
        _count(score.weapons, bool(arms))
        if weapon.get("quantity") is not None:
            _count(score.quantity, any(w.mention.quantity == weapon["quantity"] for w in arms))
        if weapon.get("supplier") and weapon.get("recipient"):
            _count(score.parties, _parties_found(weapon, {w.id for w in arms}, extraction))
    gold_spans = _spans(text, [f for w in gold.get("weapons", []) for f in w["forms"]])
    for wid in sorted({w.id for w in extraction.weapons}):
        mentions = [w.mention for w in extraction.weapons if w.id == wid]
        _count(score.weapons_p, any(_overlaps(gold_spans, m.start, m.end) for m in mentions))
    # the gold lists occurrences only: a planned, threatened or negated event matches none
    predicted = [
        (e.type, e.date.value if e.date else None, e.date.basis if e.date else None)
        for e in extraction.events
        if e.modality == "asserted"
    ]
    for event in gold.get("events", []):
        match = next(
            (
                p
                for p in predicted
                if p[0] == event["type"]
                and (
                    _date_matches(event["date"], p[1])
                    # dated by its report only: the text gives it no date, as gold's null says
                    or (event["date"] is None and p[2] == "reported_by")
                )
            ),
            None,
        )
        _count(score.events, match is not None)
        if match is not None:
            predicted.remove(match)
    return score


def _articles(root: Path) -> list[dict[str, Any]]:
    lines = (root / "articles.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _row(split: str, language: str, score: Score) -> dict[str, object]:
    row: dict[str, object] = {
        "split": split,
        "language": language,
        "articles": score.articles,
        "skipped": score.skipped,
    }
    for column, ratio in (
        ("people_r", score.people),
        ("latin_names", score.latin),
        ("weapons_r", score.weapons),
        ("weapons_p", score.weapons_p),
        ("quantity_r", score.quantity),
        ("parties_r", score.parties),
        ("events_r", score.events),
    ):
        rate = ratio.value
        row[column] = "n/a" if rate is None else f"{rate:.3f} ({ratio.hits}/{ratio.total})"
    return row


def evaluate(path: Path | None = None, texts: Path | None = None) -> Report:
    """Recall per split and language on the held-out articles (see the module docstring)."""
    root = path or HELDOUT_DIR
    source = texts or texts_dir()
    options = load_options()
    scores: dict[tuple[str, str], Score] = {}
    with tempfile.TemporaryDirectory(prefix="osintdesk-heldout-") as out:
        for article in _articles(root):
            key = (article["split"], article["language"])
            score = scores.setdefault(key, Score())
            file = source / f"{article['id']}.txt"
            if not file.is_file():
                score.skipped += 1
                continue
            gold = json.loads((root / "annotations" / f"{article['id']}.json").read_text("utf-8"))
            done, _failures = ingest_paths([str(file)], options=options, out_dir=Path(out))
            if done:
                score.merge(score_article(gold, done[0].record.text, done[0].extraction))
            else:
                score.merge(Score(articles=1))
    report = Report(title="Held-out real articles (tests/heldout): recall", columns=COLUMNS)
    for split in ("tune", "test"):
        total = Score()
        for (s, language), score in sorted(scores.items()):
            if s == split:
                report.rows.append(_row(split, language, score))
                total.merge(score)
        report.rows.append(_row(split, "all", total))
    report.notes.append(
        "A gold item counts as found when an extracted mention overlaps one of its forms as "
        f"written; texts read from {source} (articles without a text are 'skipped'). Stored "
        "texts end after about 2,000 bytes, so long articles are cut; annotations cover what "
        "is stored. The test rows are reported, never tuned on."
    )
    return report
