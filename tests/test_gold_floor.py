"""Regression floors on the team's gold sentences (tests/gold/<lang>.jsonl).

The floors are the scores the pipeline actually reached when they were set,
rounded down by about 0.02: a drop below them is a regression. The project's
goals are ``pipeline.evaluate.gold.targets``; where a floor is below its
target, the gap is reported in docs/quality.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from pipeline import lang as registry
from pipeline.errors import ConfigError
from pipeline.evaluate.gold import (
    GOLD_DIR,
    PRF,
    GoldSentence,
    Score,
    score_language,
    score_sentence,
)
from pipeline.extract import DocumentExtraction, PersonMention, WeaponMention
from schemas.records import DateInfo, EventRecord, Evidence, Extractor, Mention

FLOORS: dict[str, dict[str, float]] = {
    "en": {
        "people_f1": 0.98,
        "weapons_f1": 0.98,
        "quantity_acc": 0.98,
        "date_value_acc": 0.96,
        "events_f1": 0.92,
    },
    "ru": {
        "people_f1": 0.98,
        "weapons_f1": 0.96,
        "quantity_acc": 0.98,
        "date_value_acc": 0.98,
        "events_f1": 0.95,
    },
    "ar": {
        "people_f1": 0.98,
        "weapons_f1": 0.98,
        "quantity_acc": 0.98,
        "date_value_acc": 0.98,
        "events_f1": 0.9,
    },
    "vi": {
        "people_f1": 0.98,
        "weapons_f1": 0.98,
        "quantity_acc": 0.9,
        "date_value_acc": 0.98,
        "events_f1": 0.93,
    },
    "uk": {
        "people_f1": 0.98,
        "weapons_f1": 0.98,
        "quantity_acc": 0.98,
        "date_value_acc": 0.96,
        "events_f1": 0.81,
    },
    "zh": {
        "people_f1": 0.98,
        "weapons_f1": 0.98,
        "quantity_acc": 0.98,
        "date_value_acc": 0.98,
        "events_f1": 0.97,
    },
}

_SCORES: dict[str, Score] = {}


@pytest.fixture(scope="session")
def gold_scores() -> dict[str, Score]:
    """Scores per language, computed on first use and shared by the session."""
    return _SCORES


def _score(lang: str, cache: dict[str, Score]) -> Score:
    if lang not in cache:
        if not (GOLD_DIR / f"{lang}.jsonl").exists():
            pytest.skip(f"no gold file for {lang}")
        try:
            cache[lang] = score_language(lang)
        except ConfigError as exc:  # e.g. the English model package is not installed
            pytest.skip(f"{lang} pipeline unavailable: {exc}")
    return cache[lang]


@pytest.mark.parametrize("lang", registry.codes())
def test_gold_floors(lang: str, gold_scores: dict[str, Score]) -> None:
    score = _score(lang, gold_scores)
    metrics = score.metrics()
    below = {
        metric: round(value, 3)
        for metric, floor in FLOORS[lang].items()
        if (value := metrics[metric]) is not None and value < floor
    }
    assert not below, f"{lang} below floor {FLOORS[lang]}: {below}\n" + "\n".join(score.errors)


@pytest.mark.parametrize("lang", registry.codes())
def test_gold_has_scored_every_metric(lang: str, gold_scores: dict[str, Score]) -> None:
    score = _score(lang, gold_scores)
    assert score.sentences >= 20
    # the gold set must exercise every floored metric, or its floor means nothing
    assert score.people.tp + score.people.fn > 0
    assert score.weapons.tp + score.weapons.fn > 0
    assert score.quantity.total > 0
    assert score.date_values.total > 0
    assert score.events.tp + score.events.fn > 0


# ------------------------------------------------------- the scorer itself


def _found(text: str) -> DocumentExtraction:
    """A hand-made extraction for scorer tests."""

    def mention(surface: str, quantity: int | None = None) -> Mention:
        start = text.index(surface)
        return Mention(
            document_id="gold:t",
            text=surface,
            start=start,
            end=start + len(surface),
            language="en",
            quantity=quantity,
        )

    def date(surface: str, value: str | None) -> DateInfo:
        start = text.index(surface)
        return DateInfo(text=surface, value=value, start=start, end=start + len(surface))

    evidence = Evidence(document_id="gold:t", sentence=text, start=0, end=len(text), language="en")
    return DocumentExtraction(
        document_id="gold:t",
        people=[
            PersonMention(
                id="person:vladimir-putin",
                mention=mention("Putin"),
                canonical_name="Vladimir Putin",
                key="putin",
                known=True,
            ),
            PersonMention(id="person:le-van-a", mention=mention("Lê Văn A"), key="le van a"),
        ],
        weapons=[
            WeaponMention(id="weapon:su-30mk2", mention=mention("Su-30MK2", 12), name="Su-30MK2"),
            WeaponMention(id="weapon:yak-130", mention=mention("Yak-130", 3), name="Yak-130"),
        ],
        dates=[date("2009", "2009"), date("May 2010", "2010-06")],
        events=[
            EventRecord(
                id="event:1",
                type="arms_order",
                date=date("2009", "2009"),
                evidence=evidence,
                confidence=0.9,
                extractor=Extractor(version="t"),
            )
        ],
    )


def test_score_sentence_counts_each_metric() -> None:
    text = "In 2009 Putin and Lê Văn A sold 12 Su-30MK2 and 3 Yak-130, delivered in May 2010."
    gold = GoldSentence.model_validate(
        {
            "id": "t",
            "text": text,
            "people": ["Vladimir Putin", "Le Van A", "Sergei Shoigu"],
            "weapons": [{"name": "Su-30MK2", "quantity": 12}, {"name": "Kh-35", "quantity": 4}],
            "dates": [
                {"text": "2009", "value": "2009"},
                {"text": "May 2010", "value": "2010-05"},
            ],
            "events": [
                {"type": "arms_order", "date": "2009"},
                {"type": "arms_delivery", "date": "2010-05"},
            ],
        }
    )
    score = score_sentence(gold, _found(text))
    # diacritics and case do not matter; Shoigu is missed
    assert (score.people.tp, score.people.fp, score.people.fn) == (2, 0, 1)
    # Kh-35 missed, Yak-130 extra; only the found Su-30MK2 counts for quantity
    assert (score.weapons.tp, score.weapons.fp, score.weapons.fn) == (1, 1, 1)
    assert (score.quantity.hits, score.quantity.total) == (1, 1)
    # both dates found, one value wrong
    assert (score.dates.tp, score.dates.fp, score.dates.fn) == (2, 0, 0)
    assert (score.date_values.hits, score.date_values.total) == (1, 2)
    assert (score.events.tp, score.events.fp, score.events.fn) == (1, 0, 1)
    assert any("2010-05" in e and "2010-06" in e for e in score.errors)


def test_prf_conventions() -> None:
    # nothing expected and nothing found is a perfect score, not a division by zero
    assert PRF().precision == PRF().recall == PRF().f1 == 1.0
    assert PRF(tp=0, fp=0, fn=3).f1 == 0.0
    assert round(PRF(tp=3, fp=1, fn=0).f1, 3) == 0.857


@Language.component("test_gold_broken")
def _broken(doc: Doc) -> Doc:
    raise ValueError("component bug")


def test_a_failing_sentence_is_scored_as_nothing_found(tmp_path: Path) -> None:
    line = {
        "id": "en-x",
        "text": "In 2009 Vietnam ordered six Kilo submarines.",
        "published": None,
        "people": [],
        "weapons": [{"name": "Project 636.1", "quantity": 6}],
        "dates": [{"text": "2009", "value": "2009"}],
        "events": [{"type": "arms_order", "date": "2009"}],
    }
    (tmp_path / "en.jsonl").write_text(json.dumps(line) + "\n", "utf-8")
    nlp = spacy.blank("en")
    nlp.add_pipe("test_gold_broken")
    score = score_language("en", tmp_path, get_pipeline=lambda lang: nlp)
    assert score.sentences == 1
    assert (score.events.tp, score.events.fn) == (0, 1)
    assert (score.weapons.tp, score.weapons.fn) == (0, 1)
    assert any("en-x extraction failed" in e and "component bug" in e for e in score.errors)


def test_invalid_gold_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "ru.jsonl").write_text('{"id": "ru-1", "text": "x"}\n{"id": 3}\n', "utf-8")
    with pytest.raises(ConfigError, match=r"ru\.jsonl:2"):
        score_language("ru", tmp_path)


def test_gold_date_values_are_checked_as_dates(tmp_path: Path) -> None:
    line = {"id": "en-1", "text": "In 2014.", "dates": [{"text": "2014", "value": "2014-13"}]}
    (tmp_path / "en.jsonl").write_text(json.dumps(line) + "\n", "utf-8")
    with pytest.raises(ConfigError, match=r"en\.jsonl:1: .*2014-13"):
        score_language("en", tmp_path)
