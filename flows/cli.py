"""The ``osintdesk`` command line. Library errors become one clear line, never a traceback."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from flows.cli_errors import fail, one_line_errors
from flows.review_cli import export_command, review_app
from flows.users_cli import users_app

app = typer.Typer(
    name="osintdesk",
    help="Multilingual extraction of people, weapons systems and dated events from open sources.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


DEFAULT_MANIFEST = Path("raw/sources.yaml")
DEFAULT_OUT = Path("output")

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Options file layered over the defaults.")
]
WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Process documents on a local Dask cluster of N worker processes "
        "(default engine.workers, 1: this process).",
    ),
]
DaskAddressOpt = Annotated[
    str | None,
    typer.Option(
        "--dask-address",
        help="Process documents on an existing Dask cluster (tcp://host:8786); "
        "default engine.dask_address.",
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress display, only the summary.")
]

RefreshOpt = Annotated[
    bool,
    typer.Option(
        "--refresh",
        help="Fetch URLs and feeds in full, not only if changed since the last fetch.",
    ),
]


def _with_engine(options: Any, workers: int | None, dask_address: str | None) -> Any:
    """Options with the command line's engine choices over the options file's."""
    from pipeline.config import EngineOptions
    from pipeline.refdata import validate

    update = {"workers": workers, "dask_address": dask_address}
    merged = options.engine.model_dump() | {k: v for k, v in update.items() if v is not None}
    engine = validate(EngineOptions, merged, "command line")
    return options.model_copy(update={"engine": engine})


def _options(config: Path | None, manifest: Path = DEFAULT_MANIFEST) -> Any:
    from pipeline.config import config_path, load_options
    from pipeline.sources import project_root

    return load_options(config_path(config, project_root(manifest)))


def print_summary(result: Any) -> None:
    """The run summary table: documents, languages, records per type, failures, output."""
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=False, highlight=False, soft_wrap=True)
    table = Table(title=f"osintdesk run {result.run_id}", show_header=True)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_column("details")
    counts = result.counts
    langs = ", ".join(f"{k} {v}" for k, v in sorted(result.languages.items()))
    table.add_row("documents", str(counts.get("documents", 0)), langs)
    for kind in ("people", "organisations", "weapons", "events", "clusters"):
        table.add_row(kind, str(counts.get(kind, 0)), f"{kind}.jsonl")
    table.add_row("failures", str(len(result.failures)), "")
    console.print(table)
    for failure in result.failures:
        console.print(f"  failed: {failure.line()}", markup=False)
    console.print(f"output: {result.out_dir.resolve()}", markup=False)


@app.command()
@one_line_errors
def run(
    manifest: Annotated[Path, typer.Option(help="Sources manifest.")] = DEFAULT_MANIFEST,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = DEFAULT_OUT,
    config: ConfigOpt = None,
    workers: WorkersOpt = None,
    dask_address: DaskAddressOpt = None,
    refresh: RefreshOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run the main job: the Prefect ingest flow over every enabled source of the manifest."""
    from pipeline.sources import load_manifest

    # Bad configuration is one line here, before Prefect starts (and logs tracebacks).
    load_manifest(manifest)
    options = _with_engine(_options(config, manifest), workers, dask_address)

    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.ingest import run_ingest
    from flows.prefect_server import local_server
    from flows.progress import reporter_for, reporting
    from flows.schedule import configured_api_url
    from pipeline.sources import project_root

    def _flow() -> Any:
        return run_ingest(
            manifest=str(manifest),
            out_dir=str(out),
            config=str(config) if config else None,
            engine_options=options.engine,
            refresh=refresh,
        )

    with reporting(reporter_for(quiet)):
        if configured_api_url():  # the user's own Prefect server records the run
            result = _flow()
        else:
            # our own short-lived server, not Prefect's ephemeral one: it cannot outlive this
            # process, and a server left by a killed earlier run is found and stopped
            with (
                local_server(project_root(manifest)) as server,
                temporary_settings(updates={PREFECT_API_URL: server.api_url}),
            ):
                result = _flow()
    print_summary(result)
    _index_for_review(out, result, options.store.url)


def _index_for_review(out: Path, result: Any, store_url: str | None) -> None:
    """Load the run into the review store, re-applying earlier decisions."""
    from pipeline.review import refresh_after_run

    refresh_after_run(out, result.run_id, store_url)


@app.command()
@one_line_errors
def ingest(
    targets: Annotated[
        list[str], typer.Argument(help="Files, folders (their files) or http(s) URLs to ingest.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = DEFAULT_OUT,
    config: ConfigOpt = None,
    workers: WorkersOpt = None,
    dask_address: DaskAddressOpt = None,
    refresh: RefreshOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Ingest ad-hoc files or URLs into OUT, without the orchestrator (fast for one-off files)."""
    import datetime as dt

    from flows.engine import is_distributed, process_on_pool
    from flows.progress import reporter_for, reporting
    from pipeline.ingest import (
        RunWriter,
        fetch_paths,
        merge_duplicates,
        new_run_id,
        process_stream,
    )

    started = dt.datetime.now(dt.UTC)
    options = _with_engine(_options(config), workers, dask_address)
    if refresh:
        options = options.model_copy(
            update={"fetch": options.fetch.model_copy(update={"conditional": False})}
        )
    inputs = _expand_folders(targets)
    incidents: list[str] = []
    processed = 0
    with (
        reporting(reporter_for(quiet)) as report,
        RunWriter(out, run_id=new_run_id(started), started=started) as writer,
    ):

        def on_item(ok: bool) -> None:
            report.advance(1, failed=0 if ok else 1)

        report.stage("fetch", len(inputs), "inputs")
        items, failures = fetch_paths(inputs, options=options, out_dir=out, on_item=on_item)
        items = merge_duplicates(items)
        report.stage("process", len(items), "documents")
        if not is_distributed(options.engine):
            batches = process_stream(items, options=options, out_dir=out, on_item=on_item)
        else:
            batches = process_on_pool(items, options=options, out_dir=out, incidents=incidents)
        # each batch's documents are written as it comes back, then dropped
        for done, more in batches:
            writer.add(done)
            processed += len(done)
            failures.extend(more)
            if is_distributed(options.engine):
                report.advance(len(done) + len(more), failed=len(more))
        result = writer.finish(
            failures,
            keep_previous=lambda doc: True,  # earlier ad-hoc ingests into OUT stay
            incidents=incidents,
        )
    print_summary(result)
    if failures and not processed:
        raise typer.Exit(1)


def _expand_folders(targets: list[str]) -> list[str]:
    """A folder stands for the files directly inside it, in name order (hidden ones skipped)."""
    expanded: list[str] = []
    for target in targets:
        path = Path(target)
        if "://" not in target and path.is_dir():
            expanded.extend(
                str(p) for p in sorted(path.iterdir()) if p.is_file() and not p.name.startswith(".")
            )
        else:
            expanded.append(target)
    return expanded


@app.command()
@one_line_errors
def add(
    target: Annotated[str, typer.Argument(help="An http(s) URL or a file path.")],
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Tag (repeatable).")] = None,
    language: Annotated[str | None, typer.Option(help="Language hint (ISO 639-1).")] = None,
    feed: Annotated[bool, typer.Option("--feed", help="The URL is an RSS/Atom feed.")] = False,
    max_items: Annotated[
        int | None,
        typer.Option("--max-items", min=1, help="For --feed: entries taken per run (default 20)."),
    ] = None,
    copy: Annotated[
        bool, typer.Option("--copy", help="Copy a file from outside the project under raw/added/.")
    ] = False,
    now: Annotated[bool, typer.Option("--now", help="Ingest the new source at once.")] = False,
    manifest: Annotated[Path, typer.Option(help="Sources manifest.")] = DEFAULT_MANIFEST,
    out: Annotated[Path, typer.Option("--out", help="Output folder for --now.")] = DEFAULT_OUT,
) -> None:
    """Add a source to the manifest (refuses duplicates, missing files, non-http(s) URLs)."""
    from pipeline.sources import add_source

    if max_items is not None and not feed:
        fail("--max-items applies to --feed sources only")
    source = add_source(
        manifest, target, tags=tag, language=language, feed=feed, copy=copy, max_items=max_items
    )
    typer.echo(f"added {source.id} ({source.kind}): {source.location}")
    if now:
        _ingest_now(source, manifest, out)


def _ingest_now(source: Any, manifest: Path, out: Path) -> None:
    """Ingest one manifest source at once, recorded as a run would record it."""
    import datetime as dt

    from pipeline.errors import SourceError
    from pipeline.ingest import (
        Failure,
        failure_reason,
        fetch_source,
        new_run_id,
        process_items,
        write_outputs,
    )
    from pipeline.sources import project_root

    started = dt.datetime.now(dt.UTC)
    options = _options(None, manifest)
    try:
        items, failures = fetch_source(source, root=project_root(manifest), options=options)
    except SourceError as exc:
        items, failures = [], [Failure(source.id, failure_reason(exc))]
    processed, more = process_items(items, options=options, out_dir=out)
    result = write_outputs(
        processed,
        failures + more,
        out_dir=out,
        run_id=new_run_id(started),
        started=started,
        keep_previous=lambda doc: True,
    )
    print_summary(result)
    if not processed:
        raise typer.Exit(1)


@app.command()
@one_line_errors
def lang(
    file: Annotated[str, typer.Argument(help="Text file, or - for standard input.")] = "-",
    backend: Annotated[
        str | None, typer.Option(help="lingua or langdetect (default from options).")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Print the detected language code for each input line (code, tab, line)."""
    from pipeline.language import LanguageDetector

    options = _options(config)
    lang_opts = options.language
    if backend:
        lang_opts = lang_opts.model_copy(update={"backend": backend})
        if backend not in ("lingua", "langdetect"):
            fail(f"unknown backend {backend!r}: choose lingua or langdetect")
    detector = LanguageDetector(lang_opts)
    if file == "-":
        lines: Sequence[str] = sys.stdin.read().splitlines()
    else:
        path = Path(file)
        if not path.is_file():
            fail(f"{file}: file not found")
        lines = path.read_text("utf-8", errors="replace").splitlines()
    for line in lines:
        if line.strip():
            typer.echo(f"{detector.detect(line)}\t{line}")


@app.command()
@one_line_errors
def serve(
    cron: Annotated[str, typer.Option(help="Cron schedule for the ingest flow.")] = "0 6 * * *",
    with_server: Annotated[
        bool,
        typer.Option(
            "--with-server", help="Start a local Prefect server (and UI) for the schedule."
        ),
    ] = False,
    port: Annotated[
        int | None,
        typer.Option(help="Port of the --with-server server and UI (default 4200).", min=1),
    ] = None,
    manifest: Annotated[Path, typer.Option(help="Sources manifest.")] = DEFAULT_MANIFEST,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = DEFAULT_OUT,
    config: ConfigOpt = None,
    workers: WorkersOpt = None,
    dask_address: DaskAddressOpt = None,
) -> None:
    """Serve the ingest flow as a Prefect deployment on a cron schedule.

    Each run uses the engine of the options file (read at run time) unless ``--workers`` or
    ``--dask-address`` fix one here."""
    from flows.schedule import serve_ingest

    engine = None
    if workers is not None or dask_address is not None:
        engine = _with_engine(_options(config, manifest), workers, dask_address).engine.model_dump()
    serve_ingest(
        cron=cron, with_server=with_server, port=port, manifest=manifest, out=out, engine=engine
    )


@app.command()
@one_line_errors
def schemas(
    out: Annotated[Path, typer.Option(help="Folder for the JSON Schema files.")] = Path(
        "schemas/json"
    ),
) -> None:
    """Export the JSON Schema of every record type from the pydantic models."""
    from schemas.export import export_schemas

    for path in export_schemas(out):
        typer.echo(str(path))


@app.command()
@one_line_errors
def evaluate(
    what: Annotated[
        str,
        typer.Argument(help="boilerplate, langid, dates, ner, gold, heldout, clusters, or all."),
    ] = "all",
    path: Annotated[
        Path | None, typer.Option(help="Evaluation data (default ../shared/eval).")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Print evaluation tables (Markdown) for one stage or all of them."""
    from flows.progress import reporter_for, reporting
    from pipeline.evaluate.registry import evaluations, run_evaluation

    names = evaluations(what)
    with reporting(reporter_for(quiet)) as report:
        report.stage("evaluate", len(names), "evaluations")
        reports = run_evaluation(what, path, on_done=lambda name: report.advance(1))
    for table in reports:
        typer.echo(table.to_markdown())


@app.command()
@one_line_errors
def bench(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Texts to time (default samples).")
    ] = None,
    repeat: Annotated[int, typer.Option(help="Timed repetitions.")] = 3,
    scale: Annotated[
        int | None,
        typer.Option(
            "--scale",
            min=1,
            help="Whole runs instead: generate N documents from the samples and time "
            "`ingest` with 1 and 2 workers against bare spaCy (docs/s, words/s, peak RSS).",
        ),
    ] = None,
    rounds: Annotated[int, typer.Option(min=1, help="Interleaved rounds for --scale.")] = 2,
    language: Annotated[
        str | None, typer.Option(help="With --scale: only this language's samples.")
    ] = None,
    review: Annotated[
        bool,
        typer.Option(
            "--review", help="Time review-desk pages on a generated store instead (see --records)."
        ),
    ] = False,
    records: Annotated[
        int, typer.Option("--records", help="Size of the generated store for --review.")
    ] = 100_000,
    quiet: QuietOpt = False,
    store_url: Annotated[
        str | None,
        typer.Option(
            "--store-url",
            help="With --review: generate the store in this empty PostgreSQL database "
            "(postgresql://…) instead of a temporary SQLite file.",
        ),
    ] = None,
) -> None:
    """Measure extraction speed (words/s per language) against bare en_core_web_sm NER;
    with --scale whole runs on 1 and 2 workers, with --review the queue page times on a
    generated store of --records records."""
    if scale is not None:
        from flows.progress import reporter_for, reporting
        from pipeline.evaluate.scale import scale_benchmark

        with reporting(reporter_for(quiet)) as report:
            table = scale_benchmark(
                scale, rounds=rounds, language=language, on_stage=report.stage,
                on_run=lambda ok: report.advance(1, failed=0 if ok else 1),
            )  # fmt: skip
        typer.echo(table.to_markdown())
        return
    if review:
        from flows.review_bench import review_benchmark

        typer.echo(review_benchmark(records, repeat=repeat, store_url=store_url).to_markdown())
        return
    from pipeline.evaluate.speed import benchmark

    typer.echo(benchmark(files or [], repeat=repeat).to_markdown())


@app.command("train")
@one_line_errors
def train_ner(
    lang: Annotated[str, typer.Argument(help="Language with a ner.cfg in its registry folder.")],
    wikifane: Annotated[Path, typer.Option(help="WikiFANE Gold folder (train.tsv, dev.tsv).")],
    wojood: Annotated[Path, typer.Option(help="Wojood sample folder (train.txt, val.txt).")],
    work: Annotated[Path, typer.Option(help="Scratch folder (DocBins, checkpoints).")] = Path(
        "build/ner"
    ),
) -> None:
    """Train the language's NER model and install it in pipeline/lang/LANG/model."""
    from pipeline.training import build_corpora, package, train

    corpora = build_corpora(lang, wikifane, wojood, work / lang / "data")
    typer.echo(f"training data: {corpora.counts}")
    best = train(lang, corpora, work / lang / "out")
    typer.echo(f"model: {package(lang, best, corpora.counts)}")


app.add_typer(
    review_app, name="review", help="Review extracted records: queue, decisions, web page."
)
app.command("export")(one_line_errors(export_command))
app.add_typer(users_app, name="users", help="Users of the review web desk: add, list, remove.")


# Prefect settings for the local ephemeral mode, set before Prefect is imported: no telemetry
# (this tool never phones home), no per-task-run recorder (its SQLite writes stall big runs),
# and quiet logs (the summary table says what happened). A user's own settings win.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED": "false",
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def main() -> None:
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    app()


if __name__ == "__main__":
    main()
