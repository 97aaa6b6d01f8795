"""The ingest stage chain for one source: fetch → snapshot → decode → clean →
detect language → extract; and the run around it: link → validate → write.

Plain functions: ``flows/ingest.py`` wraps them as Prefect tasks, and
``osintdesk ingest`` calls them directly (no orchestrator start-up for
one-off files). No function here raises for a bad source: it becomes a
:class:`Failure` with a one-line reason and the run goes on.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import itertools
import json
import logging
import os
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pipeline import __version__
from pipeline import lang as lang_registry
from pipeline.assemble import Assembler
from pipeline.clean import Cleaned, clean
from pipeline.config import ExtractOptions, Options
from pipeline.deals import document_location
from pipeline.decode import Decoded, decode_bytes
from pipeline.errors import CleanError, DecodeError, SourceError
from pipeline.extract import DocumentExtraction, extract_document
from pipeline.fetch import FeedResult, Fetched, fetch_with_retries
from pipeline.ids import hash_id
from pipeline.language import LanguageDetector, get_detector, release_detectors
from pipeline.nlp import release_pipelines
from pipeline.published import stated_publication_date
from pipeline.review.overrides import apply_overrides, load_overrides
from pipeline.revisit import FetchMemory
from pipeline.snapshot import save_snapshot
from pipeline.sources import Source, resolve_file
from pipeline.urls import display_url
from pipeline.write import write_json
from schemas import (
    Cleaning,
    DocumentRecord,
    Extractor,
    Paragraph,
    SourceRef,
)
from schemas.records import PublishedBasis

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class Failure:
    """A source (or one item of a feed) that produced no document, and why."""

    source: str
    reason: str

    def line(self) -> str:
        return " ".join(f"{self.source}: {self.reason}".split())


@dataclass
class Processed:
    record: DocumentRecord
    extraction: DocumentExtraction
    seconds: dict[str, float] = field(default_factory=dict)
    """Time spent per stage on this document: ``prepare`` (snapshot, decode, clean,
    language), ``extract`` (NLP), or ``reuse`` when unchanged bytes were not processed."""


@dataclass
class RunResult:
    run_id: str
    out_dir: Path
    started: dt.datetime
    finished: dt.datetime | None = None
    documents: list[DocumentRef] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    incidents: list[str] = field(default_factory=list)  # e.g. a worker lost, its batch retried
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def languages(self) -> Counter[str]:
        return Counter(doc.language for doc in self.documents)


@lru_cache(maxsize=1)
def extractor_info() -> Extractor:
    """Extractor name and version: package version plus a hash of the reference data and
    the language registry's folders (word lists, rules, trained models), so that a change
    to any of them changes the version (and re-extracts)."""
    digest = hashlib.sha256()
    data_dir = Path(str(resources.files("pipeline").joinpath("data")))
    for root in (data_dir, *lang_registry.roots()):
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            if "__pycache__" not in path.parts and path.suffix != ".py":
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return Extractor(name="osintdesk", version=f"{__version__}+{digest.hexdigest()[:8]}")


lang_registry.on_change(extractor_info.cache_clear)


def release_models() -> None:
    """Free the pipelines, models and language detectors this process holds (each is
    built again on its next use)."""
    release_pipelines()
    release_detectors()
    gc.collect()


def detector_for(options: Options) -> LanguageDetector:
    return get_detector(options.language)


def _is_html(fetched: Fetched) -> bool:
    ctype = (fetched.content_type or "").split(";")[0].strip().lower()
    if ctype in HTML_TYPES:
        return True
    if ctype and ctype != "application/octet-stream" and not ctype.startswith("text/plain"):
        return False
    name = fetched.location.lower()
    if name.endswith((".html", ".htm", ".xhtml")):
        return True
    head = fetched.data[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head


def _declared_charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ")
    return None


def layout_paragraphs(
    paragraphs: Sequence[str], detector: LanguageDetector, hint: str | None
) -> tuple[str, list[Paragraph]]:
    """Join cleaned paragraphs (NFC) with blank lines and tag each with its language."""
    parts: list[Paragraph] = []
    offset = 0
    chunks: list[str] = []
    for raw in paragraphs:
        # NFC once here, so every stage (and every offset) sees composed characters:
        # decomposed Vietnamese "ệ" would otherwise miss names, triggers and dates.
        text = unicodedata.normalize("NFC", raw).strip()
        if not text:
            continue
        if chunks:
            offset += 2
        language = detector.detect(text)
        if language == "und" and hint:
            language = hint
        parts.append(Paragraph(text=text, language=language, start=offset, end=offset + len(text)))
        chunks.append(text)
        offset += len(text)
    return "\n\n".join(chunks), parts


def document_language(paragraphs: Iterable[Paragraph]) -> tuple[str, dict[str, int]]:
    sizes: Counter[str] = Counter()
    for para in paragraphs:
        sizes[para.language] += para.end - para.start
    known = [(n, lang) for lang, n in sizes.items() if lang != "und"]
    main = max(known)[1] if known else "und"
    return main, dict(sorted(sizes.items()))


def _source_ref(
    fetched: Fetched, snapshot: str, source_id: str | None, also_at: Sequence[str]
) -> SourceRef:
    return SourceRef(
        location=fetched.location,
        kind=fetched.kind,
        source_id=source_id,
        fetched_at=fetched.fetched_at,
        sha256=fetched.sha256,
        final_url=fetched.final_url,
        status=fetched.status,
        content_type=fetched.content_type,
        snapshot=snapshot,
        also_at=sorted(also_at),
    )


def _decoded_and_cleaned(fetched: Fetched, options: Options) -> tuple[Decoded, Cleaned]:
    """The fetched bytes decoded to text, then cleaned (main text, metadata)."""
    is_html = _is_html(fetched)
    decoded = decode_bytes(
        fetched.data,
        source=fetched.location,
        declared_charset=_declared_charset(fetched.content_type),
        is_html=is_html,
    )
    cleaned = clean(
        decoded.text,
        source=fetched.location,
        is_html=is_html,
        options=options.clean,
        url=fetched.final_url,
    )
    return decoded, cleaned


def process_fetched(
    fetched: Fetched,
    *,
    options: Options,
    out_dir: Path,
    source_id: str | None = None,
    language_hint: str | None = None,
    also_at: Sequence[str] = (),
) -> Processed:
    """Turn fetched bytes into a validated document record and its extraction.

    Raises :class:`SourceError` subclasses with a one-line reason.
    """
    label = fetched.location
    if not fetched.data:
        raise DecodeError(label, "empty file")
    began = time.perf_counter()
    snapshot = save_snapshot(out_dir, fetched)
    reused = reuse_unchanged(
        fetched,
        options=options,
        out_dir=out_dir,
        source_id=source_id,
        language_hint=language_hint,
        also_at=also_at,
    )
    if reused is not None:
        reused.seconds["reuse"] = time.perf_counter() - began
        return reused
    decoded, cleaned = _decoded_and_cleaned(fetched, options)
    body, paragraphs = layout_paragraphs(cleaned.paragraphs, detector_for(options), language_hint)
    if not body:
        raise CleanError(label, "no text left after cleaning")
    language, sizes = document_language(paragraphs)
    published, basis, dateline = publication(
        cleaned.published, paragraphs, language, listed=fetched.listed
    )
    doc_id = hash_id("document", fetched.location, fetched.sha256)
    extractor = extractor_info()
    prepared = time.perf_counter()
    extraction = _extraction(
        out_dir,
        doc_id,
        body,
        paragraphs,
        key=processing_key(options, language_hint),
        options=options.extract,
        published=published,
        dateline=dateline,
    )
    record = DocumentRecord(
        id=doc_id,
        source=_source_ref(fetched, snapshot.relative_to(out_dir).as_posix(), source_id, also_at),
        title=cleaned.title,
        author=cleaned.author,
        # the page's own author field first (trafilatura's metadata), then the text's credits
        authors=list(
            dict.fromkeys([*([cleaned.author] if cleaned.author else []), *extraction.authors])
        ),
        site=cleaned.site,
        published=published,
        published_basis=basis,
        language=language,
        languages=sizes,
        text=body,
        paragraphs=paragraphs,
        cleaning=Cleaning(
            method=cleaned.method,
            removed=dict(cleaned.removed)
            | ({"nul_bytes": decoded.nul_bytes} if decoded.nul_bytes else {}),
            encoding=decoded.encoding,
        ),
        coverage=extraction.coverage,
        extractor=extractor,
    )
    seconds = {"prepare": prepared - began, "extract": time.perf_counter() - prepared}
    return Processed(record=record, extraction=extraction, seconds=seconds)


def _extraction(
    out_dir: Path,
    doc_id: str,
    body: str,
    paragraphs: list[Paragraph],
    *,
    key: str,
    options: ExtractOptions,
    published: dt.date | None,
    dateline: tuple[int, int] | None,
) -> DocumentExtraction:
    """The document's extraction: the cached one of the same extractor, else a new one
    (cached for the next run)."""
    extractor = extractor_info()
    extraction = load_cached_extraction(out_dir, doc_id, extractor)
    if extraction is None:
        extraction = extract_document(
            doc_id,
            body,
            paragraphs,
            published=published,
            options=options,
            extractor=extractor,
            dateline=dateline,
        )
        save_cached_extraction(out_dir, extraction, extractor, key)
    else:
        mark_reusable(out_dir, extraction, extractor, key)
    return extraction


def processing_key(options: Options, language_hint: str | None = None) -> str:
    """What decides a document's record besides its bytes: the extractor version, the
    options of every stage after fetching, and the source's language hint."""
    parts = {
        "extractor": extractor_info().version,
        "hint": language_hint,
        "clean": options.clean.model_dump(mode="json"),
        "language": options.language.model_dump(mode="json"),
        "extract": options.extract.model_dump(mode="json"),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def reuse_unchanged(
    fetched: Fetched,
    *,
    options: Options,
    out_dir: Path,
    source_id: str | None,
    language_hint: str | None = None,
    also_at: Sequence[str] = (),
) -> Processed | None:
    """The earlier record and extraction of the same bytes from the same location, when
    they were made with the same extractor and options: an unchanged source costs no
    decoding, cleaning, language detection or NLP. Only the fetch facts are updated."""
    doc_id = hash_id("document", fetched.location, fetched.sha256)
    path = out_dir / "documents" / f"{_file_id(doc_id)}.json"
    cache = _cache_path(out_dir, doc_id)
    try:
        cached = json.loads(cache.read_text("utf-8"))
        if cached.get("processing") != processing_key(options, language_hint):
            return None
        record = DocumentRecord.model_validate_json(path.read_text("utf-8"))
        extraction = DocumentExtraction.model_validate(cached["extraction"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:  # damaged: processed afresh
        log.warning("not reusing %s: %s", path, exc)
        return None
    if record.id != doc_id or record.source.sha256 != fetched.sha256:
        return None
    source = record.source.model_copy(
        update={
            "source_id": source_id,
            "fetched_at": fetched.fetched_at,
            "status": fetched.status,
            "final_url": fetched.final_url,
            "also_at": sorted(also_at),
        }
    )
    return Processed(record=record.model_copy(update={"source": source}), extraction=extraction)


def publication(
    from_metadata: dt.date | None,
    paragraphs: Sequence[Paragraph],
    language: str | None = None,
    *,
    listed: dt.date | None = None,
) -> tuple[dt.date | None, PublishedBasis | None, tuple[int, int] | None]:
    """The publication date, where it was read, and the dateline's span in the text.

    The page's metadata wins; then the date the feed listed the entry under; else the
    header line or dateline the text states
    (:func:`pipeline.published.stated_publication_date`); else None, never the run date.
    The dateline's span (document offsets) is returned even when the metadata gave the
    date, so that it dates no event.
    """
    stated = stated_publication_date([(p.text, p.language) for p in paragraphs], language)
    span = None
    if stated is not None:
        offset = paragraphs[stated.paragraph].start
        span = (offset + stated.start, offset + stated.end)
    if from_metadata is not None:
        return from_metadata, "metadata", span
    if listed is not None:
        return listed, "feed", span
    if stated is not None:
        return stated.date, "dateline", span
    return None, None, None


@dataclass(frozen=True)
class Item:
    """Fetched bytes waiting to be processed, and what a failure should name."""

    label: str
    fetched: Fetched
    source_id: str | None = None
    language_hint: str | None = None
    also_at: tuple[str, ...] = ()
    """Other locations that gave the same bytes (see :func:`merge_duplicates`)."""


def merge_duplicates(items: Sequence[Item]) -> list[Item]:
    """One item per distinct bytes: a page reached through several URLs (or files) with
    identical content is processed once, under its first location in sorted order, and
    lists the others in ``also_at``. Order of first appearance is kept."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        groups.setdefault(item.fetched.sha256, []).append(item)
    merged: list[Item] = []
    for group in groups.values():
        locations = sorted({item.fetched.location for item in group})
        keep = min(group, key=lambda item: (item.fetched.location, item.label))
        others = tuple(loc for loc in locations if loc != keep.fetched.location)
        merged.append(replace(keep, also_at=others) if others else keep)
    return merged


def fetch_all(
    location: str, kind: str, options: Options, memory: FetchMemory | None = None
) -> tuple[list[Fetched], list[SourceError]]:
    """Fetch a location; feeds return several items and the failures of single entries.

    With ``memory`` (and ``fetch.conditional``), URLs and feeds fetched before are asked
    for only if changed, and every fresh answer with validators is remembered.
    """
    known = memory.known if memory is not None and options.fetch.conditional else None
    result = fetch_with_retries(location, kind, options.fetch, known=known)  # type: ignore[arg-type]
    failures: list[SourceError] = list(result.failures) if isinstance(result, FeedResult) else []
    if memory is not None:
        for fetched in [result.feed, *result] if isinstance(result, FeedResult) else result:
            memory.remember(fetched)
    return list(result), failures


def fetch_source(
    source: Source, *, root: Path, options: Options, memory: FetchMemory | None = None
) -> tuple[list[Item], list[Failure]]:
    """Fetch one manifest source. Raises :class:`SourceError` when the whole source fails
    (the caller decides whether to retry); failed feed entries are returned as failures."""
    location = str(resolve_file(source, root)) if source.kind == "file" else source.location
    if source.max_items is not None:  # this feed's own limit
        options = options.model_copy(
            update={"fetch": options.fetch.model_copy(update={"max_feed_items": source.max_items})}
        )
    fetched_items, entry_failures = fetch_all(location, source.kind, options, memory)
    items = [
        Item(
            label=source.id,
            # a file is recorded under its manifest location: relative, machine-independent
            fetched=replace(f, location=source.location) if source.kind == "file" else f,
            source_id=source.id,
            language_hint=source.language,
        )
        for f in fetched_items
    ]
    return items, [Failure(source.id, failure_reason(exc)) for exc in entry_failures]


def drain(items: list[Item]) -> Iterator[Item]:
    """``items`` in order, each taken out of the list as it is handed on (the list ends
    empty), so that the fetched bytes of processed documents are freed as a run goes on."""
    items.reverse()
    while items:
        yield items.pop()


def process_stream(
    items: list[Item],
    *,
    options: Options,
    out_dir: Path,
    batch: int = 50,
    on_item: Callable[[bool], None] | None = None,
) -> Iterator[tuple[list[Processed], list[Failure]]]:
    """:func:`process_items` in this process, ``batch`` items at a time, each batch's
    outcome handed on before the next starts (``items`` is emptied as it goes: see
    :func:`drain`)."""
    stream = drain(items)
    while chunk := list(itertools.islice(stream, batch)):
        yield process_items(chunk, options=options, out_dir=out_dir, on_item=on_item)


def process_items(
    items: Sequence[Item],
    *,
    options: Options,
    out_dir: Path,
    on_item: Callable[[bool], None] | None = None,
) -> tuple[list[Processed], list[Failure]]:
    """Process fetched items; a bad document becomes a failure and the others go on.

    ``on_item`` is told after each item whether it gave a document (progress display)."""
    done: list[Processed] = []
    failures: list[Failure] = []
    for item in items:
        before = len(failures)
        try:
            done.append(
                process_fetched(
                    item.fetched,
                    options=options,
                    out_dir=out_dir,
                    source_id=item.source_id,
                    language_hint=item.language_hint,
                    also_at=item.also_at,
                )
            )
        except SourceError as exc:
            failures.append(Failure(item.label, failure_reason(exc)))
        except Exception as exc:  # a bug on one document must not stop the run
            log.exception("unexpected error on %s", item.fetched.location)
            failures.append(Failure(item.label, f"internal error: {type(exc).__name__}: {exc}"))
        if on_item is not None:
            on_item(len(failures) == before)
    return done, failures


def failure_reason(exc: SourceError) -> str:
    return f"{exc.stage} failed: {' '.join(exc.reason.split())}"


def ingest_paths(
    targets: Sequence[str],
    *,
    options: Options,
    out_dir: Path,
    on_stage: Callable[[str, int, str], None] | None = None,
    on_item: Callable[[bool], None] | None = None,
) -> tuple[list[Processed], list[Failure]]:
    """Process ad-hoc inputs (files or URLs) without a manifest or the orchestrator:
    fetch, merge the same bytes reached through several URLs, process.

    ``on_stage(name, total, unit)`` and ``on_item(ok)`` follow progress (fetch, process)."""
    if on_stage is not None:
        on_stage("fetch", len(targets), "inputs")
    items, failures = fetch_paths(targets, options=options, out_dir=out_dir, on_item=on_item)
    unique = merge_duplicates(items)
    if on_stage is not None:
        on_stage("process", len(unique), "documents")
    done, process_failures = process_items(
        unique, options=options, out_dir=out_dir, on_item=on_item
    )
    return done, failures + process_failures


def fetch_paths(
    targets: Sequence[str],
    *,
    options: Options,
    out_dir: Path | None = None,
    on_item: Callable[[bool], None] | None = None,
) -> tuple[list[Item], list[Failure]]:
    """Fetch ad-hoc inputs (files or URLs); what cannot be fetched becomes a failure.

    With ``out_dir``, URLs fetched before into that folder are asked for only if changed
    (see :class:`FetchMemory`). ``on_item(ok)`` is called once per input."""
    memory = FetchMemory(out_dir) if out_dir is not None else None
    items: list[Item] = []
    failures: list[Failure] = []
    for target in targets:
        kind = "url" if "://" in target else "file"
        # a password written into a URL is never shown (the fetch refuses such URLs)
        label = display_url(target) if kind == "url" else target
        if kind == "url" and not target.lower().startswith(("http://", "https://")):
            failures.append(Failure(label, "refused: only http and https URLs are fetched"))
            if on_item is not None:
                on_item(False)
            continue
        try:
            fetched_items, entry_failures = fetch_all(target, kind, options, memory)
        except SourceError as exc:
            failures.append(Failure(label, failure_reason(exc)))
            if on_item is not None:
                on_item(False)
            continue
        failures.extend(Failure(label, failure_reason(exc)) for exc in entry_failures)
        items.extend(Item(label=label, fetched=f) for f in fetched_items)
        if on_item is not None:
            on_item(True)
    return items, failures


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.UTC)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + os.urandom(3).hex()


def _cache_path(out_dir: Path, doc_id: str) -> Path:
    return out_dir / "extractions" / f"{_file_id(doc_id)}.json"


def load_cached_extraction(
    out_dir: Path, doc_id: str, extractor: Extractor
) -> DocumentExtraction | None:
    """The extraction of the same bytes by the same extractor version, if one was saved."""
    path = _cache_path(out_dir, doc_id)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
        if data.get("extractor") != extractor.version:
            return None
        return DocumentExtraction.model_validate(data["extraction"])
    except (ValueError, KeyError, TypeError) as exc:  # a damaged cache is re-computed
        log.warning("ignoring unreadable extraction cache %s: %s", path, exc)
        return None


def save_cached_extraction(
    out_dir: Path,
    extraction: DocumentExtraction,
    extractor: Extractor,
    processing: str | None = None,
) -> None:
    data: dict[str, object] = {
        "extractor": extractor.version,
        "extraction": extraction.model_dump(mode="json"),
    }
    if processing is not None:  # the record beside it may be reused by an unchanged re-run
        data["processing"] = processing
    write_json(_cache_path(out_dir, extraction.document_id), data)


def mark_reusable(
    out_dir: Path, extraction: DocumentExtraction, extractor: Extractor, processing: str
) -> None:
    """Tag the extraction cache with the processing key its record is made with."""
    path = _cache_path(out_dir, extraction.document_id)
    try:
        if json.loads(path.read_text("utf-8")).get("processing") == processing:
            return
    except (OSError, ValueError, AttributeError):
        pass
    save_cached_extraction(out_dir, extraction, extractor, processing)


def previous_documents(
    out_dir: Path, keep: Callable[[DocumentRecord], bool]
) -> Iterator[Processed]:
    """Documents already in ``out_dir`` that ``keep`` selects, with their cached extraction,
    one at a time.

    ``run`` keeps the last good document of a source that failed this time (nothing is lost
    to a passing outage); ``ingest`` keeps everything earlier ingests put in the folder.
    """
    extractor = extractor_info()
    for path in sorted((out_dir / "documents").glob("*.json")):
        try:
            record = DocumentRecord.model_validate_json(path.read_text("utf-8"))
        except ValueError as exc:
            log.warning("ignoring invalid document file %s: %s", path, exc)
            continue
        if not keep(record):
            continue
        extraction = load_cached_extraction(out_dir, record.id, extractor)
        if extraction is None:
            _, _, dateline = publication(
                record.published if record.published_basis == "metadata" else None,
                record.paragraphs,
                record.language,
            )
            extraction = extract_document(
                record.id,
                record.text,
                record.paragraphs,
                published=record.published,
                options=ExtractOptions(),
                extractor=extractor,
                dateline=dateline,
            )
            save_cached_extraction(out_dir, extraction, extractor)
            record = record.model_copy(
                update={"coverage": extraction.coverage, "extractor": extractor}
            )
        yield Processed(record=record, extraction=extraction)


@dataclass(frozen=True)
class DocumentRef:
    """What the run report and summary keep of a document written to ``OUT/documents``."""

    id: str
    location: str
    language: str


class RunWriter:
    """A run's outputs, written as its documents come (in any batch size, in order).

    :meth:`add` writes each document's record to ``OUT/documents/`` at once (atomically)
    and hands its extraction, with the reviewer's aliases applied, to an
    :class:`~pipeline.assemble.Assembler`; only ids, locations and counts stay in memory.
    :meth:`finish` adds the earlier documents the caller keeps, links, writes every JSONL
    file (all or none replaced) and the run report, and removes the files of documents no
    longer in the output. A run that dies before :meth:`finish` leaves the previous JSONL
    files and run reports as they were (its new document files are only added beside
    them). The first document of an id wins, as the same bytes from two sources are one
    document.
    """

    def __init__(self, out_dir: Path, *, run_id: str, started: dt.datetime) -> None:
        self.out_dir, self.run_id, self.started = out_dir, run_id, started
        self.overrides = load_overrides(out_dir)
        self.assembler = Assembler(out_dir)
        self.refs: dict[str, DocumentRef] = {}
        self.fresh_locations: set[str] = set()
        self.fresh_bytes: set[str] = set()
        self.stage_seconds: dict[str, float] = {}
        self.reused = self.not_modified = 0
        self.writing = 0.0  # seconds spent writing and linking

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.assembler.close()

    def add(self, processed: Iterable[Processed]) -> None:
        """This run's documents (a batch); each is written and forgotten."""
        began = time.perf_counter()
        for item in processed:
            for stage, secs in item.seconds.items():
                self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + secs
            self.reused += "reuse" in item.seconds
            self.not_modified += item.record.source.status == 304
            self.fresh_locations.add(item.record.source.location)
            self.fresh_locations.update(item.record.source.also_at)
            self.fresh_bytes.add(item.record.source.sha256)
            self._keep(item)
        self.writing += time.perf_counter() - began

    def _keep(self, item: Processed) -> None:
        record = item.record
        if record.id in self.refs:  # the same bytes from two sources: one document
            return
        write_json(self.out_dir / "documents" / f"{_file_id(record.id)}.json", record)
        (extraction,) = apply_overrides([item.extraction], self.overrides)
        self.assembler.add(extraction, document_location(record))
        self.refs[record.id] = DocumentRef(record.id, record.source.location, record.language)

    def finish(
        self,
        failures: Sequence[Failure],
        *,
        keep_previous: Callable[[DocumentRecord], bool] | None = None,
        timings: Mapping[str, float] | None = None,
        incidents: Sequence[str] = (),
    ) -> RunResult:
        """Keep the earlier documents ``keep_previous`` selects (not those of a location or
        bytes this run has), link, write the outputs and the run report
        (``runs/<run_id>.json``, with the seconds per stage: the caller's ``timings``, the
        documents' own, and ``link_write``)."""
        began = time.perf_counter()
        if keep_previous is not None:
            select = keep_previous
            for item in previous_documents(
                self.out_dir,
                lambda doc: (
                    doc.id not in self.refs
                    and doc.source.location not in self.fresh_locations
                    and doc.source.sha256 not in self.fresh_bytes  # the same bytes: one doc
                    and select(doc)
                ),
            ):
                self._keep(item)
        # linking needs no language model: freeing them first lowers a one-process run's
        # peak memory (the linking reuses what they held)
        release_models()
        counts = self.assembler.write()
        current = {_file_id(doc_id) for doc_id in self.refs}
        for folder in ("documents", "extractions"):
            for path in (self.out_dir / folder).glob("*.json"):
                if path.stem not in current:
                    path.unlink()
        stage_seconds = dict(timings or {})
        for stage, secs in self.stage_seconds.items():
            stage_seconds[stage] = stage_seconds.get(stage, 0.0) + secs
        stage_seconds["link_write"] = self.writing + time.perf_counter() - began
        result = RunResult(run_id=self.run_id, out_dir=self.out_dir, started=self.started)
        result.counts = {
            "documents": len(self.refs),
            **counts,
            "failures": len(failures),
            "reused": self.reused,
            "not_modified": self.not_modified,
        }
        result.timings = {stage: round(secs, 3) for stage, secs in sorted(stage_seconds.items())}
        result.documents = [self.refs[key] for key in sorted(self.refs)]
        result.failures = list(failures)
        result.incidents = list(incidents)
        result.finished = dt.datetime.now(dt.UTC)
        _write_run_report(result)
        return result


def write_outputs(
    processed: Iterable[Processed],
    failures: Sequence[Failure],
    *,
    out_dir: Path,
    run_id: str,
    started: dt.datetime,
    keep_previous: Callable[[DocumentRecord], bool] | None = None,
    timings: Mapping[str, float] | None = None,
    incidents: Sequence[str] = (),
) -> RunResult:
    """Every output of a run whose documents are all at hand (see :class:`RunWriter`).

    The output folder ends up holding exactly this run's documents plus those
    ``keep_previous`` selects among the earlier ones; other document files are removed.
    """
    with RunWriter(out_dir, run_id=run_id, started=started) as writer:
        writer.add(processed)
        return writer.finish(
            failures, keep_previous=keep_previous, timings=timings, incidents=incidents
        )


def _write_run_report(result: RunResult) -> None:
    """``runs/<run_id>.json``: counts, seconds per stage, documents, failures, incidents."""
    write_json(
        result.out_dir / "runs" / f"{result.run_id}.json",
        {
            "run_id": result.run_id,
            "started": result.started.isoformat(),
            "finished": result.finished.isoformat() if result.finished else None,
            "extractor": extractor_info().model_dump(),
            "counts": result.counts,
            "timings": result.timings,
            "languages": dict(sorted(result.languages.items())),
            "documents": [
                {"id": d.id, "location": d.location, "language": d.language}
                for d in result.documents
            ],
            "failures": [{"source": f.source, "reason": f.reason} for f in result.failures],
            "incidents": result.incidents,
        },
    )


def _file_id(record_id: str) -> str:
    """File name for a record id: the hex part only (ids never come from scraped text)."""
    return record_id.split(":", 1)[-1]
