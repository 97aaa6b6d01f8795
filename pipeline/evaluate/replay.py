"""Linking and writing a large run from a smaller run's extractions (memory at scale).

A run over ``generate_corpus(n)`` documents spends most of its time extracting; its last
stage (:class:`pipeline.assemble.Assembler`: linking, clustering, deals, the JSONL files)
is where memory would grow with the corpus. This replays that stage for ``n`` documents
without extracting them again: the generator's copy ``k`` of a sample differs from copy
``k % YEAR_SHIFTS`` only by its reference line, so it tells the same things, and its
extraction is that copy's extraction under another document id. Given a run over at least
``YEAR_SHIFTS`` copies of the samples, document ``i`` of the larger corpus is replayed from
the run's document of the same sample and year shift, with its document id and event ids
re-hashed for every further repetition (the ids a real run would give differ, the
records' contents and the cluster sizes are the same).
"""

from __future__ import annotations

import json
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.assemble import Assembler
from pipeline.evaluate.scale import YEAR_SHIFTS
from pipeline.extract import DocumentExtraction
from pipeline.ids import hash_id


@dataclass
class Replayed:
    documents: int = 0
    add_s: float = 0.0
    write_s: float = 0.0
    peak_rss_mb_after_add: float = 0.0
    peak_rss_mb: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _sources(run_dir: Path) -> dict[int, tuple[str, str]]:
    """Corpus index → (document id, generated file name) of the run's documents."""
    (report,) = sorted((run_dir / "runs").glob("*.json"))[-1:]
    found: dict[int, tuple[str, str]] = {}
    for doc in json.loads(report.read_text("utf-8"))["documents"]:
        name = Path(doc["location"]).name  # 000123-en_sample.txt
        found[int(name.split("-", 1)[0])] = (doc["id"], name.split("-", 1)[1])
    return found


def replica(extraction: DocumentExtraction, repeat: int) -> DocumentExtraction:
    """``extraction`` as repetition ``repeat`` of its document (0: itself)."""
    if not repeat:
        return extraction
    old = extraction.document_id
    new = hash_id("document", old, str(repeat))
    text = extraction.model_dump_json().replace(f'"{old}"', f'"{new}"')
    copy = DocumentExtraction.model_validate_json(text)
    for event in copy.events:
        event.id = hash_id("event", event.id, str(repeat))
    return copy


def replay(run_dir: Path, out_dir: Path, n: int, samples: int) -> Replayed:
    """The outputs of ``n`` generated documents of ``samples`` samples into ``out_dir``,
    from ``run_dir`` (a run over ``generate_corpus(m)`` with m ≥ samples × YEAR_SHIFTS)."""
    sources = _sources(run_dir)
    result = Replayed()
    began = time.perf_counter()
    with Assembler(out_dir) as assembler:
        for i in range(n):
            copy, index = divmod(i, samples)
            source = (copy % YEAR_SHIFTS) * samples + index
            doc_id, name = sources[source]
            data = json.loads(
                (run_dir / "extractions" / f"{doc_id.split(':', 1)[1]}.json").read_text("utf-8")
            )
            extraction = replica(
                DocumentExtraction.model_validate(data["extraction"]), copy // YEAR_SHIFTS
            )
            assembler.add(extraction, f"{i:06d}-{name}")
            result.documents += 1
        result.add_s = time.perf_counter() - began
        result.peak_rss_mb_after_add = _peak_mb()
        began = time.perf_counter()
        result.counts = assembler.write()
        result.write_s = time.perf_counter() - began
    result.peak_rss_mb = _peak_mb()
    result.sizes = {p.name: p.stat().st_size for p in sorted(out_dir.glob("*.jsonl"))}
    return result
