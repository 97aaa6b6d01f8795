"""The held-out set: its files agree with each other and with the split rule, and the
scorer counts what extraction finds (the texts themselves are not in the repository)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from pipeline.config import ExtractOptions
from pipeline.evaluate.heldout import HELDOUT_DIR, _date_matches, score_article
from pipeline.extract import extract_document
from schemas.edtf import Edtf
from schemas.records import Extractor, Paragraph

EVENT_TYPES = {
    "diplomatic_visit", "agreement_signed", "arms_order", "arms_delivery",
    "military_cooperation", "deployment_or_basing", "vote_or_statement", "incident",
    "trade_or_investment", "other",
}  # fmt: skip


def _articles() -> list[dict]:
    lines = (HELDOUT_DIR / "articles.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_articles_follow_the_split_rule_and_have_annotations() -> None:
    articles = _articles()
    assert len(articles) >= 30
    assert len({a["id"] for a in articles}) == len(articles)
    for article in articles:
        digit = int(hashlib.sha256(article["address"].encode("utf-8")).hexdigest()[0], 16)
        assert article["split"] == ("tune" if digit % 2 == 0 else "test"), article["id"]
        gold = json.loads((HELDOUT_DIR / "annotations" / f"{article['id']}.json").read_text())
        assert gold["id"] == article["id"]
        for event in gold["events"]:
            assert event["type"] in EVENT_TYPES, (article["id"], event)
            value = event["date"]
            if value is not None and not value.startswith("XXXX-"):
                Edtf.parse(value)  # raises on a malformed value


def test_no_article_text_is_committed() -> None:
    committed = {p.name for p in Path(HELDOUT_DIR).rglob("*") if p.is_file()}
    assert not any(name.endswith(".txt") for name in committed)


def test_unknown_year_matches_day_and_month_only() -> None:
    assert _date_matches("XXXX-07-12", "2019-07-12")
    assert not _date_matches("XXXX-07-12", "2019-07")
    assert not _date_matches("XXXX-07-12", "2019-07-13")
    assert _date_matches("2019-07", "2019-07")
    assert not _date_matches("2019", "2019-07")


def test_unknown_year_month_matches_that_month_of_any_year() -> None:
    # regression: "XXXX-07" compared the day with 0 and so never matched
    assert _date_matches("XXXX-07", "2019-07")
    assert not _date_matches("XXXX-07", "2019-08")
    assert not _date_matches("XXXX-07", "2019-07-12")
    assert not _date_matches("XXXX-07", "2019")
    assert _date_matches("XXXX-07", "XXXX-07")
    assert _date_matches("XXXX-07-12", "XXXX-07-12")
    assert not _date_matches("XXXX-07-12", "XXXX-07-13")


def test_score_counts_found_items_by_their_forms() -> None:
    text = (
        "Poland ordered 18 HIMARS launchers in September 2023. "
        "Vietnam received two Su-30MK2 fighters."
    )
    extraction = extract_document(
        "document:test",
        text,
        [Paragraph(text=text, start=0, end=len(text), language="en")],
        published=dt.date(2023, 10, 1),
        options=ExtractOptions(),
        extractor=Extractor(version="test"),
    )
    gold = {
        "people": [],
        "weapons": [
            {"name": "M142 HIMARS", "forms": ["HIMARS"], "quantity": 18},
            {"name": "Su-30MK2", "forms": ["Su-30MK2"], "quantity": 2},
            {"name": "K2 Black Panther", "forms": ["K2 tanks"], "quantity": 180},
        ],
        "events": [
            {"type": "arms_order", "date": "2023-09"},
            {"type": "arms_delivery", "date": "2021"},
        ],
    }
    score = score_article(gold, text, extraction)
    assert (score.weapons.hits, score.weapons.total) == (2, 3)
    assert (score.quantity.hits, score.quantity.total) == (2, 3)
    assert (score.events.hits, score.events.total) == (1, 2)


@pytest.mark.parametrize("name", ["README.md", "articles.jsonl"])
def test_heldout_files_exist(name: str) -> None:
    assert (HELDOUT_DIR / name).is_file()
