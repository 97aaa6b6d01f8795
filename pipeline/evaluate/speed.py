"""Speed benchmark: osintdesk's extraction per language against bare en_core_web_sm NER.

Both run in the same process on the same texts, so the ratio is meaningful on
a noisy machine even when the absolute words/s are not.
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

from pipeline.config import load_options
from pipeline.evaluate import REPO_ROOT, Report
from schemas import Paragraph

SAMPLES = REPO_ROOT / "raw" / "samples"


def _words(text: str, lang: str) -> int:
    # Chinese has no spaces: count characters of Han text as words / 1.5 (a common convention).
    if lang == "zh":
        return max(1, int(sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") / 1.5))
    return len(text.split())


def benchmark(files: list[Path], repeat: int = 3) -> Report:
    from pipeline.clean import clean
    from pipeline.decode import decode
    from pipeline.extract import extract_document
    from pipeline.ingest import detector_for, document_language, extractor_info, layout_paragraphs
    from pipeline.models import load_english

    options = load_options(None)
    paths = files or sorted(p for p in SAMPLES.iterdir() if p.suffix in (".txt", ".html"))
    docs: dict[str, list[tuple[str, list[Paragraph]]]] = defaultdict(list)
    for path in paths:
        data = path.read_bytes()
        is_html = path.suffix == ".html"
        text, _ = decode(data, source=str(path), is_html=is_html)
        cleaned = clean(text, source=str(path), is_html=is_html, options=options.clean)
        body, paragraphs = layout_paragraphs(cleaned.paragraphs, detector_for(options), None)
        lang, _ = document_language(paragraphs)
        docs[lang].append((body, paragraphs))

    extractor = extractor_info()
    report = Report(
        title="Extraction speed (words/s, best of repeats)",
        columns=[
            "language",
            "documents",
            "words",
            "osintdesk words/s",
            "bare en_core_web_sm words/s",
        ],
    )
    bare = load_english(disable=["lemmatizer"])
    for lang in sorted(docs):
        items = docs[lang]
        words = sum(_words(body, lang) for body, _ in items)
        # warm-up builds and caches the pipeline
        for body, paragraphs in items:
            extract_document(
                "bench",
                body,
                paragraphs,
                published=None,
                options=options.extract,
                extractor=extractor,
            )
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            for body, paragraphs in items:
                extract_document(
                    "bench",
                    body,
                    paragraphs,
                    published=None,
                    options=options.extract,
                    extractor=extractor,
                )
            best = min(best, time.perf_counter() - start)
        best_bare = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            for _doc in bare.pipe(body for body, _ in items):
                pass
            best_bare = min(best_bare, time.perf_counter() - start)
        report.rows.append(
            {
                "language": lang,
                "documents": len(items),
                "words": words,
                "osintdesk words/s": round(words / best),
                "bare en_core_web_sm words/s": round(words / best_bare),
            }
        )
    report.notes.append(
        "Bare en_core_web_sm runs on the same texts whatever their language, as a fixed yardstick."
    )
    return report
