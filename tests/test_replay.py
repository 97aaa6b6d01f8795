"""Replaying a run's extractions as a larger generated corpus (pipeline.evaluate.replay)."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.evaluate.replay import replay
from pipeline.evaluate.scale import YEAR_SHIFTS
from pipeline.extract import DocumentExtraction
from schemas.records import DateInfo, EventRecord, Evidence, Extractor

SAMPLES = ("a.txt", "b.txt")


def _run_dir(root: Path) -> Path:
    """A run over YEAR_SHIFTS copies of two samples: one dated event per document, the
    two samples of one copy telling the same event (same day)."""
    documents = []
    for i in range(YEAR_SHIFTS * len(SAMPLES)):
        copy, index = divmod(i, len(SAMPLES))
        doc = f"document:{i:016x}"
        year = str(2020 - copy)
        event = EventRecord(
            id=f"event:{i:016x}",
            type="agreement_signed",
            date=DateInfo(text=year, value=f"{year}-11-03", start=0, end=4, basis="sentence"),
            evidence=Evidence(document_id=doc, sentence="s", start=0, end=1, language="en"),
            confidence=0.9,
            extractor=Extractor(version="test"),
        )
        extraction = DocumentExtraction(document_id=doc, events=[event])
        path = root / "extractions" / f"{i:016x}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"extraction": extraction.model_dump(mode="json")}))
        documents.append({"id": doc, "location": f"/c/{i:06d}-{SAMPLES[index]}"})
    (root / "runs").mkdir()
    (root / "runs" / "r.json").write_text(json.dumps({"documents": documents}))
    return root


def test_repetitions_are_new_documents_telling_the_same_events(tmp_path: Path) -> None:
    run = _run_dir(tmp_path / "run")
    n = 2 * YEAR_SHIFTS * len(SAMPLES) + 1  # two repetitions and a bit
    result = replay(run, tmp_path / "out", n, len(SAMPLES))
    assert result.documents == n
    assert result.counts["events"] == n
    events = [
        json.loads(x) for x in (tmp_path / "out" / "events.jsonl").read_text("utf-8").splitlines()
    ]
    assert len({e["id"] for e in events}) == n
    assert len({e["evidence"]["document_id"] for e in events}) == n
    clusters = [
        json.loads(x) for x in (tmp_path / "out" / "clusters.jsonl").read_text("utf-8").splitlines()
    ]
    # one cluster per year: both samples of a copy, in each repetition of it
    assert len(clusters) == YEAR_SHIFTS
    assert sorted(c["num_mentions"] for c in clusters) == [4] * (YEAR_SHIFTS - 1) + [5]
    assert sum(c["num_sources"] for c in clusters) == n
