"""Speed benchmark: osintdesk's extraction per language against bare en_core_web_sm.

Both run in the same process on the same cleaned texts, so the ratio is
meaningful on a noisy machine even when the absolute figures are not. Times
are CPU seconds of this process (best of ``repeat``), with pipelines warm.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from pipeline import lang as registry
from pipeline.config import load_options
from pipeline.evaluate import REPO_ROOT, Report
from pipeline.language import script_letter
from schemas import Paragraph

SAMPLES = REPO_ROOT / "raw" / "samples"


def _words(text: str, lang: str) -> int:
    """Whitespace words; in a language tokenised by character (Chinese), letters of its
    script / 1.5 (a common words-per-character rate)."""
    spec = registry.find(lang)
    if spec is not None and spec.pipeline.tokenizer == "characters":
        return max(1, int(len(script_letter(spec.code).findall(text)) / 1.5))
    return len(text.split())


def _best_of(run: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return max(best, 1e-9)


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
        is_html = path.suffix in (".html", ".htm")
        text, _ = decode(path.read_bytes(), source=str(path), is_html=is_html)
        cleaned = clean(text, source=str(path), is_html=is_html, options=options.clean)
        body, paragraphs = layout_paragraphs(cleaned.paragraphs, detector_for(options), None)
        lang, _ = document_language(paragraphs)
        docs[lang].append((body, paragraphs))

    extractor = extractor_info()
    bare = load_english()

    report = Report(
        title="Extraction speed (CPU seconds, best of repeats, pipelines warm)",
        columns=[
            "language",
            "documents",
            "words",
            "osintdesk words/s",
            "osintdesk chars/s",
            "bare en_core_web_sm words/s",
            "ratio",
        ],
    )
    for lang in sorted(docs):
        items = docs[lang]

        def ours(items: list[tuple[str, list[Paragraph]]] = items) -> None:
            for body, paragraphs in items:
                extract_document(
                    "bench",
                    body,
                    paragraphs,
                    published=None,
                    options=options.extract,
                    extractor=extractor,
                )

        def baseline(items: list[tuple[str, list[Paragraph]]] = items) -> None:
            for _doc in bare.pipe(body for body, _ in items):
                pass

        ours()  # warm-up: builds and caches the language's pipeline
        seconds = _best_of(ours, repeat)
        bare_seconds = _best_of(baseline, repeat)
        words = sum(_words(body, lang) for body, _ in items)
        chars = sum(len(body) for body, _ in items)
        report.rows.append(
            {
                "language": lang,
                "documents": len(items),
                "words": words,
                "osintdesk words/s": round(words / seconds),
                "osintdesk chars/s": round(chars / seconds),
                "bare en_core_web_sm words/s": round(words / bare_seconds),
                "ratio": round(bare_seconds / seconds, 2),
            }
        )
    report.notes.append(
        "ratio = osintdesk speed / bare en_core_web_sm speed on the same texts (bare runs every "
        "text through the English model whatever its language, as a fixed yardstick). "
        f"Inputs: {', '.join(p.name for p in paths)}."
    )
    return report
