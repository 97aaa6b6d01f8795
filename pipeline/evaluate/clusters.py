"""Event clustering against the team's gold (``tests/gold/event_clusters.jsonl``).

The gold lists real-world events told by the sample corpus (``raw/samples/``), each
with its mentions: the sample file, a piece of the sentence and, where a sentence
tells two events of one type, the date that tells them apart. A gold mention is
matched by the extracted events of that file and type whose sentence contains the
piece (and whose date value is the one given). Over the matched events, pairwise:

- precision: of the pairs put in one cluster, the share the gold puts in one event;
- recall: of the pairs the gold puts in one event, the share put in one cluster.

Gold mentions no extracted event matches (a mistyped or missed event) are counted
apart: clustering cannot be judged on them.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.config import load_options
from pipeline.evaluate import REPO_ROOT, Report
from pipeline.evaluate.gold import Ratio
from pipeline.ingest import ingest_paths
from pipeline.link import link_all
from schemas.records import EventRecord

GOLD = REPO_ROOT / "tests" / "gold" / "event_clusters.jsonl"
SAMPLES = REPO_ROOT / "raw" / "samples"
COLUMNS = ["gold_events", "gold_mentions", "unmatched", "events_judged", "pair_p", "pair_r"]


@dataclass
class ClusterScore:
    gold_events: int = 0
    gold_mentions: int = 0
    unmatched: int = 0
    judged: int = 0
    precision: Ratio | None = None
    recall: Ratio | None = None


def load_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    lines = path.read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _matches(mention: dict[str, Any], kind: str, event: EventRecord, file: str) -> bool:
    if file != mention["file"] or event.type != kind:
        return False
    if mention["contains"] not in event.evidence.sentence:
        return False
    wanted = mention.get("date")
    return wanted is None or (event.date is not None and event.date.value == wanted)


def score(
    gold: Sequence[dict[str, Any]], events: Sequence[EventRecord], files: dict[str, str]
) -> ClusterScore:
    """Pairwise precision and recall of ``events``' clusters against ``gold``;
    ``files`` maps document ids to sample file names."""
    result = ClusterScore(gold_events=len(gold))
    judged: dict[str, tuple[str, str]] = {}  # event id -> (gold event, cluster id)
    for entry in gold:
        for mention in entry["mentions"]:
            result.gold_mentions += 1
            found = [
                e
                for e in events
                if _matches(mention, entry["type"], e, files.get(e.evidence.document_id, ""))
            ]
            if not found:
                result.unmatched += 1
            for event in found:
                cluster = event.cluster.id if event.cluster is not None else event.id
                judged.setdefault(event.id, (entry["id"], cluster))
    items = sorted(judged.values())
    precision, recall = Ratio(), Ratio()
    for i, (gold_a, pred_a) in enumerate(items):
        for gold_b, pred_b in items[i + 1 :]:
            same_gold, same_pred = gold_a == gold_b, pred_a == pred_b
            if same_pred:
                precision.total += 1
                precision.hits += int(same_gold)
            if same_gold:
                recall.total += 1
                recall.hits += int(same_pred)
    result.judged = len(items)
    result.precision, result.recall = precision, recall
    return result


def _fmt(ratio: Ratio | None) -> str:
    if ratio is None or ratio.value is None:
        return "n/a"
    return f"{ratio.value:.3f} ({ratio.hits}/{ratio.total})"


def evaluate(path: Path | None = None) -> Report:
    """Cluster the sample corpus's events and score them against the gold.

    ``path`` (the shared evaluation data of the other evaluators) is not read: the
    samples and the gold are the repository's own."""
    del path
    samples = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".txt", ".html"))
    with tempfile.TemporaryDirectory(prefix="osintdesk-clusters-") as out:
        done, _failures = ingest_paths(
            [str(p) for p in samples], options=load_options(), out_dir=Path(out)
        )
    linked = link_all([d.extraction for d in done])
    files = {d.record.id: Path(d.record.source.location).name for d in done}
    result = score(load_gold(), linked.events, files)
    report = Report(title="Event clusters on the sample corpus (pairwise)", columns=COLUMNS)
    report.rows.append(
        {
            "gold_events": result.gold_events,
            "gold_mentions": result.gold_mentions,
            "unmatched": result.unmatched,
            "events_judged": result.judged,
            "pair_p": _fmt(result.precision),
            "pair_r": _fmt(result.recall),
        }
    )
    report.notes.append(
        "Gold: tests/gold/event_clusters.jsonl (real-world events of raw/samples and the "
        "sentences that tell them). Pairs are counted over the extracted events that match a "
        "gold mention; 'unmatched' gold mentions (mistyped or missed events) are not judged."
    )
    return report
