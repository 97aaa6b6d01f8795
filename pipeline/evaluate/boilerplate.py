"""Main-text extraction against three external sets in ``shared/eval/boilerplate``.

* ``scrapinghub`` — 181 pages with gold ``articleBody``: word 4-gram shingle
  precision / recall per page, macro-averaged, F1 from the two means, exactly
  as the upstream benchmark scores (pages whose prediction is empty count 0
  precision only when gold exists; see :func:`macro_scores`).
* ``zh_cwced`` — 69 Chinese pages in mixed encodings with hand-copied text:
  the same scores over character 4-grams (Chinese has no spaces), plus the
  number of pages whose output :func:`pipeline.decode.looks_garbled`.
* ``trafilatura`` — trafilatura's own snippet manifest (pages kept locally):
  each ``with`` snippet found is a true positive, each ``without`` snippet
  found a false positive; precision / recall / F1 over all snippets.

Each set is run twice in the same process: osintdesk (:func:`decode` then
:func:`clean`) and the baseline, plain ``trafilatura.extract`` with default
settings on the raw bytes (its own decoding).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import trafilatura

from pipeline.clean import clean
from pipeline.config import CleanOptions
from pipeline.decode import decode, looks_garbled
from pipeline.errors import ConfigError, SourceError
from pipeline.evaluate import Report, eval_path

logger = logging.getLogger(__name__)

SETS = ("scrapinghub", "zh_cwced", "trafilatura")
COLUMNS = ["set", "system", "pages", "precision", "recall", "f1", "garbled", "pages/s (CPU)"]

_WORD = re.compile(r"\w+")
_CHAR = re.compile(r"\w")

Extractor = Callable[[bytes, str], str]


# --------------------------------------------------------------------------
# Scores
# --------------------------------------------------------------------------


def shingles(tokens: list[str], n: int = 4) -> Counter[tuple[str, ...]]:
    """Counts of the token n-grams of a text (one shingle for texts shorter than n)."""
    if not tokens:
        return Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))


def word_tokens(text: str) -> list[str]:
    return _WORD.findall(text)


def char_tokens(text: str) -> list[str]:
    return _CHAR.findall(text)


def page_counts(
    gold: str, predicted: str, tokenize: Callable[[str], list[str]]
) -> tuple[float, float, float]:
    """(tp, fp, fn) of shingles on one page, normalised to sum to 1."""
    true, pred = shingles(tokenize(gold)), shingles(tokenize(predicted))
    tp = fp = fn = 0
    for key in true.keys() | pred.keys():
        t, p = true.get(key, 0), pred.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    total = tp + fp + fn
    if total == 0:
        return 0.0, 0.0, 0.0
    return tp / total, fp / total, fn / total


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def macro_scores(counts: Iterable[tuple[float, float, float]]) -> tuple[float, float, float]:
    """Mean precision over pages with a prediction, mean recall over pages with gold, F1."""
    items = list(counts)
    precisions = [_precision(*c) for c in items if c[0] + c[1] > 0]
    recalls = [_recall(*c) for c in items if c[0] + c[2] > 0]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# --------------------------------------------------------------------------
# Systems
# --------------------------------------------------------------------------


def osintdesk_extract(data: bytes, name: str, options: CleanOptions | None = None) -> str:
    """Our pipeline: decode, then clean; an empty string when either refuses."""
    try:
        text, _ = decode(data, source=name, is_html=True)
        return clean(text, source=name, is_html=True, options=options or CleanOptions()).text
    except SourceError as exc:
        logger.info("%s", exc)
        return ""


def baseline_extract(data: bytes, name: str) -> str:
    """Plain ``trafilatura.extract`` with default settings on the raw bytes."""
    return trafilatura.extract(data) or ""


def _systems(options: CleanOptions | None) -> list[tuple[str, Extractor]]:
    return [
        ("osintdesk", lambda data, name: osintdesk_extract(data, name, options)),
        ("trafilatura.extract", baseline_extract),
    ]


# --------------------------------------------------------------------------
# Sets
# --------------------------------------------------------------------------


def _shingle_rows(
    label: str,
    pages: list[tuple[str, bytes, str]],
    tokenize: Callable[[str], list[str]],
    options: CleanOptions | None,
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for system, extract in _systems(options):
        counts, garbled = [], 0
        start = time.process_time()
        for name, data, gold in pages:
            predicted = extract(data, name)
            garbled += looks_garbled(predicted)
            counts.append(page_counts(gold, predicted, tokenize))
        elapsed = time.process_time() - start
        precision, recall, f1 = macro_scores(counts)
        rows.append(
            {
                "set": label,
                "system": system,
                "pages": len(pages),
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "garbled": garbled,
                "pages/s (CPU)": f"{len(pages) / elapsed:.1f}" if elapsed else "-",
            }
        )
    return rows


def _scrapinghub(root: Path) -> list[tuple[str, bytes, str]]:
    folder = root / "scrapinghub"
    gold = json.loads((folder / "ground-truth.json").read_text("utf-8"))
    pages = []
    for key in sorted(gold):
        page = folder / "html" / f"{key}.html"
        if page.exists():
            pages.append((str(page), page.read_bytes(), gold[key].get("articleBody") or ""))
    return pages


def _zh_cwced(root: Path) -> list[tuple[str, bytes, str]]:
    folder = root / "zh_cwced"
    pages = []
    for page in sorted((folder / "original").glob("*.html")):
        gold = folder / "cleaned" / f"{page.stem}.txt"
        if gold.exists():
            pages.append((str(page), page.read_bytes(), gold.read_text("utf-8", errors="replace")))
    return pages


def _snippet_rows(root: Path, options: CleanOptions | None) -> list[dict[str, object]]:
    folder = root / "trafilatura"
    entries = []
    for line in (folder / "manifest.jsonl").read_text("utf-8").splitlines():
        entry = json.loads(line)
        if entry.get("local") and (folder / entry["local"]).exists():
            entries.append(entry)
    rows: list[dict[str, object]] = []
    for system, extract in _systems(options):
        tp = fp = fn = tn = 0
        garbled = 0
        start = time.process_time()
        for entry in entries:
            page = folder / entry["local"]
            predicted = " ".join(extract(page.read_bytes(), str(page)).split())
            garbled += looks_garbled(predicted)
            for snippet in entry.get("with") or []:
                found = " ".join(snippet.split()) in predicted
                tp, fn = tp + found, fn + (not found)
            for snippet in entry.get("without") or []:
                found = " ".join(snippet.split()) in predicted
                fp, tn = fp + found, tn + (not found)
        elapsed = time.process_time() - start
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append(
            {
                "set": "trafilatura (snippets)",
                "system": system,
                "pages": len(entries),
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "garbled": garbled,
                "pages/s (CPU)": f"{len(entries) / elapsed:.1f}" if elapsed else "-",
            }
        )
    return rows


def evaluate(
    which: str = "all",
    path: Path | None = None,
    *,
    options: CleanOptions | None = None,
) -> Report:
    """Score main-text extraction on ``which`` set ("all" or one of :data:`SETS`).

    ``path`` is the ``boilerplate`` folder (default ``shared/eval/boilerplate``).
    """
    if which != "all" and which not in SETS:
        raise ConfigError(f"unknown boilerplate set {which!r}; valid: all, {', '.join(SETS)}")
    root = eval_path("boilerplate", path=path)
    wanted = SETS if which == "all" else (which,)
    report = Report(title="Boilerplate removal (main-text extraction)", columns=COLUMNS)
    if "scrapinghub" in wanted:
        report.rows += _shingle_rows(
            "scrapinghub (word 4-grams)", _scrapinghub(root), word_tokens, options
        )
    if "zh_cwced" in wanted:
        report.rows += _shingle_rows(
            "zh_cwced (char 4-grams)", _zh_cwced(root), char_tokens, options
        )
    if "trafilatura" in wanted:
        report.rows += _snippet_rows(root, options)
    report.notes.append(
        "Precision/recall are macro-averaged over pages (scrapinghub's method); "
        "F1 is computed from the two means. 'garbled' counts outputs that "
        "pipeline.decode.looks_garbled flags. The baseline is trafilatura.extract "
        "with default settings on the raw bytes. pages/s is CPU time of one process "
        "(one core), so it does not depend on how busy the machine is."
    )
    return report
