"""The main job as a Prefect flow: every enabled source of the manifest into an output dir.

Thin by design: each task wraps one pipeline function. Retries sit on the task
that touches the network; documents are processed in batches so the
orchestrator's per-task cost is paid per batch, not per document.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext

from pipeline import ingest
from pipeline.config import Options, config_path, load_options
from pipeline.errors import SourceError
from pipeline.fetch import TransientFetchError
from pipeline.ingest import Failure, Item, Processed, RunResult
from pipeline.sources import Source, load_manifest, project_root

BATCH_SIZE = 8
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
def fetch_source(source: Source, root: Path, options: Options) -> tuple[list[Item], list[Failure]]:
    # The task's own retries replace the pipeline's inner retry loop.
    no_inner_retries = options.model_copy(
        update={"fetch": options.fetch.model_copy(update={"retries": 0})}
    )
    try:
        return ingest.fetch_source(source, root=root, options=no_inner_retries)
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
) -> RunResult:
    failed = {failure.source for failure in failures}
    return ingest.write_outputs(
        processed,
        failures,
        out_dir=out_dir,
        run_id=run_id,
        started=started,
        # a source that failed this time keeps its last good document
        keep_previous=lambda doc: doc.source.source_id in failed,
    )


@flow(name="osintdesk-ingest", log_prints=False)
def ingest_flow(
    manifest: str = "raw/sources.yaml", out_dir: str = "output", config: str | None = None
) -> RunResult:
    """Fetch, clean, detect language, extract and write every enabled source."""
    logger = get_run_logger()
    started = dt.datetime.now(dt.UTC)
    manifest_path = Path(manifest)
    root = project_root(manifest_path)
    options = load_options(config_path(Path(config) if config else None, root))
    sources = [s for s in load_manifest(manifest_path).sources if s.enabled]
    out = Path(out_dir)

    futures = [(s, fetch_source.submit(s, root, options)) for s in sources]
    items: list[Item] = []
    failures: list[Failure] = []
    for source, future in futures:
        outcome = future.result(raise_on_failure=False)
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

    processed: list[Processed] = []
    for index, start in enumerate(range(0, len(items), BATCH_SIZE)):
        done, batch_failures = process_batch(index, items[start : start + BATCH_SIZE], options, out)
        processed.extend(done)
        failures.extend(batch_failures)

    for failure in failures:
        logger.warning("source failed: %s", failure.line())
    result = write_outputs(processed, failures, out, ingest.new_run_id(started), started)
    logger.info("run %s: %s", result.run_id, result.counts)
    return result
