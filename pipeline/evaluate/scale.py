"""Whole-run throughput and memory: ``osintdesk bench --scale N``.

Generates N documents from the sample corpus, then runs, each in a fresh process and
interleaved round by round: bare ``en_core_web_sm`` over the same cleaned texts (process
start and model load included), and ``osintdesk ingest`` with one and with two workers.
Reports documents/s and words/s of wall time, the peak RSS of the largest process of each
run (the run's own process and every child it waited for: Dask workers included), and the
ratio to bare spaCy of the same round; the best round of each configuration is kept,
because on a shared machine the slow rounds measure the neighbours.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.evaluate import REPO_ROOT, Report
from pipeline.evaluate.speed import SAMPLES, _words

WORKERS = (1, 2)

BARE_SCRIPT = """
import json, sys
from pathlib import Path
from pipeline.models import load_english
paths = sorted(Path(sys.argv[1]).glob("*.json"))
texts = (json.loads(p.read_text("utf-8"))["text"] for p in paths)
nlp = load_english()
for _ in nlp.pipe(texts):
    pass
"""


@dataclass(frozen=True)
class Measured:
    wall_s: float
    peak_rss_mb: float


#: years a copy moves: four ASCII digits, 1950–2029, not inside a longer number
_YEAR = re.compile(rb"(?<![0-9])(?:19[5-9][0-9]|20[0-2][0-9])(?![0-9])")
#: copies move their years back by 0 … YEAR_SHIFTS - 1 (so no year leaves 1901–2029,
#: the range the date rules read a bare number as a year in)
YEAR_SHIFTS = 50


def _shift_years(data: bytes, years: int) -> bytes:
    return _YEAR.sub(lambda m: str(int(m.group()) - years).encode(), data) if years else data


def generate_corpus(n: int, folder: Path, *, language: str | None = None) -> list[Path]:
    """``n`` distinct documents cycling through the samples (optionally one language's,
    by file-name prefix).

    Copy ``k`` of the samples (documents ``k * S`` to ``k * S + S - 1`` of S samples)
    tells the samples' events ``k % YEAR_SHIFTS`` years earlier: every year from 1950 to
    2029 written in ASCII digits (a four-digit number not part of a longer one) moves back
    by that much, in the text, the HTML's metadata and wherever else it is written, so a
    copy's dated events are other events than the previous copy's, while the samples of
    one copy still tell the same events as each other. What does not vary: years in
    other digits (Arabic-Indic, Chinese numerals) or outside 1950–2029, days and months,
    undated events, and everything else in the text; a decade such as "1990s" moves like
    a year (to "1987s"). So dated events recur once every ``YEAR_SHIFTS`` copies:
    clusters grow with ``n / (S * YEAR_SHIFTS)`` (about 27 reports at 20,000 documents
    of the 15 samples), undated ones with ``n / S``. Each document also gets a reference
    line (text) or a comment (HTML), so every copy has its own bytes and document id.
    """
    samples = sorted(
        p
        for p in SAMPLES.iterdir()
        if p.suffix in (".txt", ".html") and (language is None or p.name.startswith(language))
    )
    if not samples:
        raise ValueError(f"no samples in {SAMPLES} for language {language!r}")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        copy, index = divmod(i, len(samples))
        sample = samples[index]
        data = _shift_years(sample.read_bytes(), copy % YEAR_SHIFTS)
        tag = f"{i:06d}"
        data += (
            f"\n<!-- copy {tag} -->\n".encode()
            if sample.suffix == ".html"
            else f"\n\nRef. {tag}\n".encode()
        )
        path = folder / f"{tag}-{sample.name}"
        path.write_bytes(data)
        paths.append(path)
    return paths


def _counted(on_run: Callable[[bool], None]) -> Callable[[list[str]], Measured]:
    def run(command: list[str]) -> Measured:
        try:
            measured = measure(command)
        except RuntimeError:
            on_run(False)
            raise
        on_run(True)
        return measured

    return run


def measure(command: list[str]) -> Measured:
    """Wall time and the peak RSS of the largest process of ``command`` (its own or a
    waited-for child's, as the kernel reports in the child's rusage)."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])}… failed: {stderr.strip()[-500:]}")
    return Measured(wall_s=wall, peak_rss_mb=usage.ru_maxrss / 1024)


def _ingest(folder: Path, out: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "flows.cli", "ingest", str(folder), "--out", str(out),
            "--workers", str(workers)]  # fmt: skip


def scale_benchmark(
    n: int,
    *,
    rounds: int = 2,
    language: str | None = None,
    on_stage: Callable[[str, int, str], None] | None = None,
    on_run: Callable[[bool], None] | None = None,
) -> Report:
    """The whole-run table; ``on_stage(name, total, unit)`` and ``on_run(ok)`` follow
    progress (the corpus written, then each timed run)."""
    stage = on_stage or (lambda name, total, unit: None)
    with tempfile.TemporaryDirectory(prefix="osintdesk-scale-") as tmp:
        root = Path(tmp)
        corpus = root / "corpus"
        stage("generate", 1, "corpus")
        generate_corpus(n, corpus, language=language)
        stage("bench", rounds * (len(WORKERS) + 1), "runs")
        timed = measure if on_run is None else _counted(on_run)
        best: dict[str, Measured] = {}
        ratios: dict[str, float] = {}
        words = 0
        docs = 0
        for _ in range(rounds):
            round_runs: dict[str, Measured] = {}
            for workers in WORKERS:
                out = root / f"out-{workers}"
                round_runs[f"ingest, {workers} worker{'s' if workers > 1 else ''}"] = timed(
                    _ingest(corpus, out, workers)
                )
                if not words:
                    documents = sorted((out / "documents").glob("*.json"))
                    docs = len(documents)
                    for path in documents:
                        record = json.loads(path.read_text("utf-8"))
                        words += _words(record["text"], record["language"])
            round_runs["bare en_core_web_sm"] = timed(
                [sys.executable, "-c", BARE_SCRIPT, str(root / "out-1" / "documents")]
            )
            bare = round_runs["bare en_core_web_sm"].wall_s
            for name, run in round_runs.items():
                if name not in best or run.wall_s < best[name].wall_s:
                    best[name] = run
                    ratios[name] = bare / run.wall_s
            for workers in WORKERS:  # the next round starts cold (no extraction cache)
                shutil.rmtree(root / f"out-{workers}")
    report = Report(
        title=f"Whole runs over {n} generated documents (wall time, best of {rounds} rounds)",
        columns=["run", "documents", "words", "wall s", "docs/s", "words/s", "peak RSS MB",
                 "ratio to bare (same round)"],
    )  # fmt: skip
    for name, run in best.items():
        report.rows.append(
            {
                "run": name,
                "documents": docs,
                "words": words,
                "wall s": f"{run.wall_s:.1f}",
                "docs/s": f"{docs / run.wall_s:.2f}",
                "words/s": round(words / run.wall_s),
                "peak RSS MB": round(run.peak_rss_mb),
                "ratio to bare (same round)": f"{ratios[name]:.2f}",
            }
        )
    report.notes.append(
        "Each run is a fresh process (start-up and model loads included); bare "
        "en_core_web_sm runs the cleaned texts the ingest wrote, whatever their language. "
        "Peak RSS: the largest single process of the run (a Dask worker or the main one)."
    )
    return report
