"""Score the whole extraction pipeline on the team's gold sentences.

Reads ``tests/gold/<lang>.jsonl`` (one annotated sentence per line: people,
weapons with quantities, dates with values, events), runs
:func:`pipeline.extract.extract_document` on each sentence as a one-paragraph
document and reports, per language and in total:

- people P/R/F1: canonical names (or the text of unlinked mentions), compared
  case- and diacritics-insensitively, as sets per sentence;
- weapons P/R/F1: canonical designations (compared by slug), sets per sentence;
- quantity accuracy: over gold weapons that carry a quantity and whose system
  was found, the share with an extracted mention of that system and quantity;
- date P/R: DATE spans overlapping a gold date's text; date value accuracy:
  share of gold dates whose overlapping span has exactly the gold value;
- events P/R/F1: (type, date value) pairs, as multisets per sentence.

Scores are micro-averaged. :func:`targets` gives the project's quality goals; the
regression floors actually enforced live in ``tests/test_gold_floor.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline import lang as registry
from pipeline.config import ExtractOptions
from pipeline.errors import ConfigError, ExtractError
from pipeline.evaluate import REPO_ROOT, Report
from pipeline.extract import DocumentExtraction, PipelineGetter, extract_document
from pipeline.ids import slug
from schemas.edtf import EdtfString, parse_or_none
from schemas.records import EventType, Extractor, Paragraph

log = logging.getLogger(__name__)

GOLD_DIR = REPO_ROOT / "tests" / "gold"
METRICS = (
    "people_f1",
    "weapons_f1",
    "quantity_acc",
    "date_value_acc",
    "events_f1",
)


# The quality targets (goals; see tests/test_gold_floor.py for enforced floors).
# People: 0.85 where a statistical NER finds names, 0.7 where rules and lists do.
def targets(lang: str) -> dict[str, float]:
    statistical = bool(registry.get(lang).coverage.statistical)
    return {
        "weapons_f1": 0.9,
        "quantity_acc": 0.85,
        "people_f1": 0.85 if statistical else 0.7,
        "date_value_acc": 0.9,
        "events_f1": 0.7,
    }


COLUMNS = [
    "language",
    "sentences",
    "people_p",
    "people_r",
    "people_f1",
    "weapons_p",
    "weapons_r",
    "weapons_f1",
    "quantity_acc",
    "date_p",
    "date_r",
    "date_value_acc",
    "events_p",
    "events_r",
    "events_f1",
]


# ------------------------------------------------------------------ gold format


class _Gold(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GoldWeapon(_Gold):
    name: str
    quantity: int | None = None


class GoldDate(_Gold):
    text: str
    value: EdtfString | None = None


class GoldEvent(_Gold):
    type: EventType
    date: EdtfString | None = None


class GoldSentence(_Gold):
    id: str
    text: str
    published: dt.date | None = None
    people: list[str] = Field(default_factory=list)
    weapons: list[GoldWeapon] = Field(default_factory=list)
    dates: list[GoldDate] = Field(default_factory=list)
    events: list[GoldEvent] = Field(default_factory=list)


def load_gold(lang: str, path: Path | None = None) -> list[GoldSentence]:
    """The gold sentences of ``lang`` from ``path`` (a folder, default ``tests/gold``)."""
    file = (path or GOLD_DIR) / f"{lang}.jsonl"
    if not file.exists():
        raise ConfigError(f"gold file not found: {file}")
    sentences = []
    for number, line in enumerate(file.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            sentences.append(GoldSentence.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            reason = " ".join(str(exc).split())[:200]
            raise ConfigError(f"{file}:{number}: invalid gold line: {reason}") from exc
    return sentences


# ---------------------------------------------------------------------- scoring


def name_key(name: str) -> str:
    """Case- and diacritics-insensitive comparison key of a name."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().replace("đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[\W_]+", " ", stripped).split())


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: PRF) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Ratio:
    hits: int = 0
    total: int = 0

    def add(self, other: Ratio) -> None:
        self.hits += other.hits
        self.total += other.total

    @property
    def value(self) -> float | None:
        return self.hits / self.total if self.total else None


@dataclass
class Score:
    """Counts for one language (or the total) and the errors behind them."""

    language: str
    sentences: int = 0
    people: PRF = field(default_factory=PRF)
    weapons: PRF = field(default_factory=PRF)
    quantity: Ratio = field(default_factory=Ratio)
    dates: PRF = field(default_factory=PRF)
    date_values: Ratio = field(default_factory=Ratio)
    events: PRF = field(default_factory=PRF)
    errors: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.sentences += other.sentences
        for name in ("people", "weapons", "quantity", "dates", "date_values", "events"):
            getattr(self, name).add(getattr(other, name))

    def metrics(self) -> dict[str, float | None]:
        return {
            "people_p": self.people.precision,
            "people_r": self.people.recall,
            "people_f1": self.people.f1,
            "weapons_p": self.weapons.precision,
            "weapons_r": self.weapons.recall,
            "weapons_f1": self.weapons.f1,
            "quantity_acc": self.quantity.value,
            "date_p": self.dates.precision,
            "date_r": self.dates.recall,
            "date_value_acc": self.date_values.value,
            "events_p": self.events.precision,
            "events_r": self.events.recall,
            "events_f1": self.events.f1,
        }


def _set_prf(gold: set[str], found: set[str]) -> PRF:
    return PRF(tp=len(gold & found), fp=len(found - gold), fn=len(gold - found))


def _gold_spans(sentence: GoldSentence) -> list[tuple[int, int] | None]:
    spans: list[tuple[int, int] | None] = []
    taken: set[int] = set()
    for gold in sentence.dates:
        start = sentence.text.find(gold.text)
        while start in taken:
            start = sentence.text.find(gold.text, start + 1)
        if start < 0:
            spans.append(None)
            continue
        taken.add(start)
        spans.append((start, start + len(gold.text)))
    return spans


def _score_people(score: Score, sentence: GoldSentence, found: DocumentExtraction) -> None:
    gold_people = {name_key(p) for p in sentence.people}
    found_people = {name_key(p.canonical_name or p.mention.text) for p in found.people}
    score.people = _set_prf(gold_people, found_people)
    if gold_people != found_people:
        score.errors.append(
            f"{sentence.id} people: missed {sorted(gold_people - found_people)} "
            f"extra {sorted(found_people - gold_people)}"
        )


def _score_weapons(score: Score, sentence: GoldSentence, found: DocumentExtraction) -> None:
    """Weapons systems as a set; each gold quantity matched by one found mention."""
    sid = sentence.id
    gold_weapons = {slug(w.name) for w in sentence.weapons}
    found_weapons = {slug(w.name) for w in found.weapons}
    score.weapons = _set_prf(gold_weapons, found_weapons)
    if gold_weapons != found_weapons:
        score.errors.append(
            f"{sid} weapons: missed {sorted(gold_weapons - found_weapons)} "
            f"extra {sorted(found_weapons - gold_weapons)}"
        )
    pool = Counter((slug(w.name), w.mention.quantity) for w in found.weapons)
    for gold_weapon in sentence.weapons:
        key = slug(gold_weapon.name)
        if gold_weapon.quantity is None or key not in found_weapons:
            continue
        score.quantity.total += 1
        if pool[(key, gold_weapon.quantity)] > 0:
            pool[(key, gold_weapon.quantity)] -= 1
            score.quantity.hits += 1
        else:
            seen = sorted({q for (k, q) in pool if k == key}, key=str)
            score.errors.append(
                f"{sid} quantity: {gold_weapon.name} gold {gold_weapon.quantity} found {seen}"
            )


def _score_dates(score: Score, sentence: GoldSentence, found: DocumentExtraction) -> None:
    """Each gold date matched by the first unused found span overlapping its text."""
    sid = sentence.id
    used: set[int] = set()
    for gold_date, span in zip(sentence.dates, _gold_spans(sentence), strict=True):
        score.date_values.total += 1
        if span is None:
            score.errors.append(f"{sid} gold date text {gold_date.text!r} not in the sentence")
            score.dates.fn += 1
            continue
        match = next(
            (
                i
                for i, d in enumerate(found.dates)
                if i not in used and d.start < span[1] and span[0] < d.end
            ),
            None,
        )
        if match is None:
            score.dates.fn += 1
            score.errors.append(f"{sid} date missed: {gold_date.text!r} ({gold_date.value})")
            continue
        used.add(match)
        score.dates.tp += 1
        value = found.dates[match].value
        if value == gold_date.value:
            score.date_values.hits += 1
        else:
            score.errors.append(
                f"{sid} date value: {gold_date.text!r} gold {gold_date.value} "
                f"found {value} ({found.dates[match].text!r})"
            )
    for i, d in enumerate(found.dates):
        if i not in used:
            score.dates.fp += 1
            score.errors.append(f"{sid} date extra: {d.text!r} ({d.value})")


def _event_order(event: tuple[str, str | None]) -> tuple[str, dt.date, dt.date, str]:
    """Events by type, then by date (no date first)."""
    kind, value = event
    date = parse_or_none(value)
    if date is None:
        return kind, dt.date.min, dt.date.min, ""
    return kind, date.earliest, date.latest, date.text


def _score_events(score: Score, sentence: GoldSentence, found: DocumentExtraction) -> None:
    """(type, date value) pairs as multisets."""
    gold_events = Counter((e.type, e.date) for e in sentence.events)
    found_events = Counter((e.type, e.date.value if e.date else None) for e in found.events)
    tp = sum((gold_events & found_events).values())
    score.events = PRF(tp=tp, fp=sum(found_events.values()) - tp, fn=sum(gold_events.values()) - tp)
    if gold_events != found_events:
        missed = sorted((gold_events - found_events).elements(), key=_event_order)
        extra = sorted((found_events - gold_events).elements(), key=_event_order)
        score.errors.append(f"{sentence.id} events: missed {missed} extra {extra}")


def score_sentence(sentence: GoldSentence, found: DocumentExtraction) -> Score:
    """Compare one sentence's extraction with its gold annotation."""
    score = Score(language="", sentences=1)
    _score_people(score, sentence, found)
    _score_weapons(score, sentence, found)
    _score_dates(score, sentence, found)
    _score_events(score, sentence, found)
    return score


def score_language(
    lang: str,
    path: Path | None = None,
    *,
    get_pipeline: PipelineGetter | None = None,
    options: ExtractOptions | None = None,
) -> Score:
    """Run the pipeline on every gold sentence of ``lang`` and add up the counts."""
    options = options or ExtractOptions()
    extractor = Extractor(name="osintdesk", version="gold-eval")
    total = Score(language=lang)
    for sentence in load_gold(lang, path):
        paragraph = Paragraph(text=sentence.text, language=lang, start=0, end=len(sentence.text))
        try:
            found = extract_document(
                f"gold:{sentence.id}",
                sentence.text,
                [paragraph],
                published=sentence.published,
                options=options,
                extractor=extractor,
                get_pipeline=get_pipeline,
            )
        except ExtractError as exc:
            # scored as finding nothing, so the failure shows in every metric
            log.warning("%s", exc)
            total.errors.append(f"{sentence.id} extraction failed: {exc}")
            found = DocumentExtraction(document_id=f"gold:{sentence.id}")
        result = score_sentence(sentence, found)
        total.add(result)
        total.errors.extend(result.errors)
    return total


def _row(score: Score) -> dict[str, object]:
    row: dict[str, object] = {"language": score.language, "sentences": score.sentences}
    for name, value in score.metrics().items():
        row[name] = "n/a" if value is None else value
    return row


def missed_targets(score: Score) -> list[str]:
    """``metric value < target`` for each target this language misses."""
    goals = targets(score.language)
    misses = []
    for metric, value in score.metrics().items():
        target = goals.get(metric)
        if target is not None and value is not None and value < target:
            misses.append(f"{metric} {value:.3f} < {target}")
    return misses


def evaluate(
    path: Path | None = None,
    languages: Sequence[str] | None = None,
    *,
    scorer: Callable[[str, Path | None], Score] | None = None,
) -> Report:
    """Gold-set scores per language and in total, as a :class:`Report`."""
    run = scorer or (lambda lang, where: score_language(lang, where))
    report = Report(title="Gold sentences: end-to-end extraction", columns=list(COLUMNS))
    total = Score(language="total")
    for lang in languages or registry.codes():
        try:
            score = run(lang, path)
        except ConfigError as exc:
            report.notes.append(f"- {lang}: skipped ({exc})")
            continue
        total.add(score)
        report.rows.append(_row(score))
        misses = missed_targets(score)
        if misses:
            report.notes.append(f"- {lang} below target: " + "; ".join(misses))
    report.rows.append(_row(total))
    report.notes.append(
        "Micro-averaged over sentences; P/R are 1.0 when nothing was expected and nothing "
        "found. Targets: " + json.dumps(targets("en"), sort_keys=True) + " (people 0.7 where no "
        "statistical NER exists: "
        + ", ".join(c for c in registry.codes() if not registry.get(c).coverage.statistical)
        + ")."
    )
    return report
