"""The main job as a Prefect flow: every enabled source of the manifest into an output dir.

Thin by design: each task wraps one pipeline function. Retries sit on the task
that touches the network; documents are processed in batches so the
orchestrator's per-task cost is paid per batch, not per document.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext, TaskRunContext

from flows import engine, progress
from pipeline import ingest
from pipeline.config import EngineOptions, Options, config_path, load_options
from pipeline.errors import SourceError
from pipeline.fetch import TransientFetchError
from pipeline.ingest import Failure, Item, Processed, RunResult
from pipeline.refdata import validate
from pipeline.revisit import FetchMemory
from pipeline.sources import Source, load_manifest, project_root

FETCH_RETRY_DELAYS: list[float] = [2, 10, 30]


def _only_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry network hiccups (5xx, timeouts), never a 404 or a refused content type."""
    try:
        state.result()
    except TransientFetchError:
        return True
    except Exception:
        return False
    return False


@task(
    retries=len(FETCH_RETRY_DELAYS),
    retry_delay_seconds=FETCH_RETRY_DELAYS,
    retry_condition_fn=_only_transient,
    cache_policy=NO_CACHE,
    task_run_name="fetch-{source.id}",
)
def fetch_source(
    source: Source, root: Path, options: Options, out_dir: Path
) -> tuple[list[Item], list[Failure]]:
    # The task's own retries replace the pipeline's inner retry loop.
    no_inner_retries = options.model_copy(
        update={"fetch": options.fetch.model_copy(update={"retries": 0})}
    )
    try:
        return ingest.fetch_source(
            source, root=root, options=no_inner_retries, memory=FetchMemory(out_dir)
        )
    except TransientFetchError as exc:
        if not _last_attempt():
            raise  # Prefect retries it
        return [], [Failure(source.id, ingest.failure_reason(exc))]
    except SourceError as exc:
        # a failed source is a result, not a failed task: Prefect would log it with a traceback
        return [], [Failure(source.id, ingest.failure_reason(exc))]


def _last_attempt() -> bool:
    """True in the last try Prefect's retries allow (or outside a task run)."""
    context = TaskRunContext.get()
    if context is None or context.task_run is None:
        return True
    return context.task_run.run_count > context.task.retries


@task(cache_policy=NO_CACHE, task_run_name="process-batch-{index}")
def process_batch(
    index: int, items: list[Item], options: Options, out_dir: Path
) -> tuple[list[Processed], list[Failure]]:
    return ingest.process_items(items, options=options, out_dir=out_dir)


@task(cache_policy=NO_CACHE)
def write_outputs(
    processed: list[Processed],
    failures: list[Failure],
    out_dir: Path,
    run_id: str,
    started: dt.datetime,
    incidents: list[str] | None = None,
    timings: dict[str, float] | None = None,
) -> RunResult:
    failed = {failure.source for failure in failures}
    return ingest.write_outputs(
        processed,
        failures,
        out_dir=out_dir,
        run_id=run_id,
        started=started,
        incidents=incidents or [],
        # a source that failed this time keeps its last good document
        keep_previous=lambda doc: doc.source.source_id in failed,
        timings=timings,
    )


def _process_in_order(items: list[Item], options: Options, out: Path, incidents: list[str]) -> Any:
    """Batches through the flow's task runner, outcomes in batch order: on a
    ``DaskTaskRunner`` (``osintdesk run --workers N``) the batches run on the cluster's
    workers; otherwise each batch runs here, one after the other."""
    context = FlowRunContext.get()
    runner = context.task_runner if context else None
    client = engine.dask_client_of(runner)
    if client is None:
        return engine.ordered_outcomes(
            items,
            len(items),
            engine=options.engine,
            width=1,
            submit=lambda batch: batch,
            result=lambda batch: process_batch(batch.index, list(batch.items), options, out),
            incidents=incidents,
        )
    return engine.ordered_outcomes(
        items,
        len(items),
        engine=options.engine,
        width=engine.client_width(client),
        submit=lambda batch: process_batch.submit(batch.index, list(batch.items), options, out),
        result=engine.wait_result,
        incidents=incidents,
    )


def run_ingest(
    manifest: str = "raw/sources.yaml",
    out_dir: str = "output",
    config: str | None = None,
    *,
    engine_options: EngineOptions | None = None,
    refresh: bool = False,
) -> RunResult:
    """The flow on the engine the options choose: ``engine_options`` (the CLI's
    ``--workers``/``--dask-address`` over the options file) or the options file's.
    ``refresh``: see :func:`ingest_flow`."""
    if engine_options is None:
        root = project_root(Path(manifest))
        engine_options = load_options(config_path(Path(config) if config else None, root)).engine
    runner = engine.task_runner(engine_options)
    if runner is None:
        return ingest_flow(manifest=manifest, out_dir=out_dir, config=config, refresh=refresh)
    with engine.dask_settings():
        return ingest_flow.with_options(task_runner=runner)(
            manifest=manifest,
            out_dir=out_dir,
            config=config,
            engine_options=engine_options.model_dump(),
            refresh=refresh,
        )


@flow(name="osintdesk-scheduled", log_prints=False)
def scheduled_flow(
    manifest: str = "raw/sources.yaml",
    out_dir: str = "output",
    config: str | None = None,
    engine_options: dict[str, Any] | None = None,
) -> RunResult:
    """A scheduled run (``osintdesk serve``): the ingest flow, as a subflow, on the engine
    that ``engine_options`` (``serve --workers``/``--dask-address``) or, read at each run,
    the options file chooses. A deployment runs its flow from the entrypoint in a fresh
    process, so the engine cannot be fixed on the flow object when it is registered."""
    chosen = None
    if engine_options is not None:
        chosen = validate(EngineOptions, engine_options, "serve options")
    return run_ingest(manifest, out_dir, config, engine_options=chosen)


@flow(name="osintdesk-ingest", log_prints=False)
def ingest_flow(
    manifest: str = "raw/sources.yaml",
    out_dir: str = "output",
    config: str | None = None,
    engine_options: dict[str, Any] | None = None,
    refresh: bool = False,
) -> RunResult:
    """Fetch, clean, detect language, extract and write every enabled source.

    ``refresh`` fetches every URL and feed in full instead of asking "changed since?"."""
    logger = get_run_logger()
    started = dt.datetime.now(dt.UTC)
    manifest_path = Path(manifest)
    root = project_root(manifest_path)
    options = load_options(
        config_path(Path(config) if config else None, root),
        {"engine": engine_options} if engine_options else None,
    )
    if refresh:
        options = options.model_copy(
            update={"fetch": options.fetch.model_copy(update={"conditional": False})}
        )
    sources = [s for s in load_manifest(manifest_path).sources if s.enabled]
    out = Path(out_dir)

    report = progress.active()
    report.stage("fetch", len(sources), "sources")
    fetch_began = time.perf_counter()
    futures = [(s, fetch_source.submit(s, root, options, out)) for s in sources]
    items: list[Item] = []
    failures: list[Failure] = []
    for source, future in futures:
        outcome = future.result(raise_on_failure=False)
        report.advance(1, failed=int(isinstance(outcome, BaseException)))
        if isinstance(outcome, SourceError):
            failures.append(Failure(source.id, ingest.failure_reason(outcome)))
        elif isinstance(outcome, BaseException):
            failures.append(
                Failure(source.id, f"fetch failed: {type(outcome).__name__}: {outcome}")
            )
        else:
            fetched, entry_failures = outcome
            items.extend(fetched)
            failures.extend(entry_failures)

    fetch_seconds = time.perf_counter() - fetch_began
    items = ingest.merge_duplicates(items)  # the same bytes through several URLs: one document
    processed: list[Processed] = []
    incidents: list[str] = []
    report.stage("process", len(items), "documents")
    for done, batch_failures in _process_in_order(items, options, out, incidents):
        processed.extend(done)
        failures.extend(batch_failures)
        # every document of a batch ends as a result or a failure (a lost batch: all failures)
        report.advance(len(done) + len(batch_failures), failed=len(batch_failures))

    for failure in failures:
        logger.warning("source failed: %s", failure.line())
    result = write_outputs(
        processed,
        failures,
        out,
        ingest.new_run_id(started),
        started,
        incidents,
        {"fetch": fetch_seconds},
    )
    logger.info("run %s: %s", result.run_id, result.counts)
    return result
