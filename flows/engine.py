"""Where document batches run: this process, a local Dask cluster, or an existing one.

``osintdesk run`` gives the Prefect flow a ``prefect-dask`` ``DaskTaskRunner``
(:func:`task_runner`); ``osintdesk ingest`` submits the same batches to a plain Dask client
(:func:`process_on_pool`), without Prefect's server. Both hand results to the writer in the
planned order (:func:`pipeline.batches.run_in_order`), so the output does not depend on the
number of workers, and both retry once a batch whose worker died.

Each worker process builds a language's pipeline the first time a batch needs it and keeps
it for every later batch (``pipeline.nlp.get_nlp`` and the detector are cached per
process). Dask's own rescheduling of a dead worker's task is turned off on the clusters we
start (``allowed-failures: 0``), so the death reaches :func:`run_in_order`, which records it
and retries once. The whole extra (dask, distributed, prefect-dask) is optional: the default,
one process, imports none of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.batches import Batch, Lost, WorkerLost, batch_size, plan_batches, run_in_order
from pipeline.config import EngineOptions, Options
from pipeline.errors import ConfigError
from pipeline.ingest import Failure, Item, Processed, drain, process_items

log = logging.getLogger(__name__)

BatchOutcome = tuple[list[Processed], list[Failure]]

# Dask settings for the clusters osintdesk starts: a dead worker's task fails at once with
# KilledWorker (we retry it once and record it) instead of being silently re-run up to 3 times.
DASK_SETTINGS = {"distributed.scheduler.allowed-failures": 0}
WINDOW_PER_WORKER = 2


def is_distributed(engine: EngineOptions) -> bool:
    return engine.workers > 1 or engine.dask_address is not None


def _needs_extra(exc: ImportError) -> ConfigError:
    return ConfigError(
        f"--workers and --dask-address need the dask extra ({exc.name} is missing): "
        "pip install 'osintdesk[dask]'"
    )


def cluster_kwargs(workers: int) -> dict[str, Any]:
    """A local cluster of ``workers`` single-threaded processes (spaCy holds the GIL)."""
    return {
        "n_workers": workers,
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": None,
    }


@contextmanager
def dask_settings() -> Iterator[None]:
    try:
        import dask
    except ImportError as exc:
        raise _needs_extra(exc) from exc
    with dask.config.set(DASK_SETTINGS):
        yield


def task_runner(engine: EngineOptions) -> Any:
    """The flow's task runner: ``None`` (Prefect's default, in this process) for one worker,
    else a ``DaskTaskRunner`` on a new local cluster or on ``engine.dask_address``."""
    if not is_distributed(engine):
        return None
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise _needs_extra(exc) from exc
    if engine.dask_address:
        return DaskTaskRunner(address=engine.dask_address)
    return DaskTaskRunner(cluster_kwargs=cluster_kwargs(engine.workers))


def dask_client_of(runner: Any) -> Any:
    """The Dask client of a flow's task runner, or ``None`` when it is not a DaskTaskRunner."""
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError:
        return None
    return runner.client if isinstance(runner, DaskTaskRunner) else None


def is_worker_loss(exc: BaseException) -> bool:
    try:
        from distributed import KilledWorker
    except ImportError:
        return False
    return isinstance(exc, KilledWorker)


def wait_result(future: Any) -> Any:
    """A Dask (or Prefect-on-Dask) future's result; a dead worker becomes WorkerLost."""
    try:
        return future.result()
    except Exception as exc:
        if is_worker_loss(exc):
            raise WorkerLost(f"worker lost ({type(exc).__name__}: {exc})") from exc
        raise


def lost_failures(lost: Lost[Item]) -> list[Failure]:
    """Every document of a batch given up: one failure each, naming the reason."""
    return [Failure(item.label, f"processing failed: {lost.reason}") for item in lost.batch.items]


def ordered_outcomes(
    items: Iterable[Item],
    n_items: int,
    *,
    engine: EngineOptions,
    width: int,
    submit: Callable[[Batch[Item]], Any],
    result: Callable[[Any], BatchOutcome],
    incidents: list[str],
) -> Iterator[BatchOutcome]:
    """Plan batches for ``width`` workers and yield each batch's outcome in order."""
    size = batch_size(n_items, width, fixed=engine.batch_size)
    for _batch, value in run_in_order(
        plan_batches(items, size),
        submit,
        result,
        window=width * WINDOW_PER_WORKER,
        on_incident=incidents.append,
    ):
        yield ([], lost_failures(value)) if isinstance(value, Lost) else value


@contextmanager
def dask_client(engine: EngineOptions) -> Iterator[Any]:
    """A Dask client on a new local cluster of ``engine.workers`` processes, or on the
    existing cluster at ``engine.dask_address``; closed (and the local cluster stopped) on exit."""
    with dask_settings():
        from distributed import Client, LocalCluster

        if engine.dask_address:
            try:
                client = Client(engine.dask_address, timeout=30)
            except OSError as exc:
                raise ConfigError(
                    f"{engine.dask_address}: cannot reach the Dask scheduler: {exc}"
                ) from exc
            with client:
                yield client
            return
        with LocalCluster(**cluster_kwargs(engine.workers)) as cluster, Client(cluster) as client:
            yield client


def client_width(client: Any) -> int:
    """Worker threads of the cluster behind ``client`` (at least 1)."""
    return max(1, sum(client.nthreads().values()))


def process_on_pool(
    items: list[Item],
    *,
    options: Options,
    out_dir: Path,
    incidents: list[str],
    process: Callable[..., BatchOutcome] = process_items,
) -> Iterator[BatchOutcome]:
    """``osintdesk ingest --workers N``: the batches on a Dask pool, no Prefect server.

    ``process`` is the batch function run on the workers (``process_items``); tests pass
    one that kills its worker. ``items`` is emptied as batches are sent.
    """
    n_items = len(items)
    with dask_client(options.engine) as client:
        yield from ordered_outcomes(
            drain(items),  # an item's bytes are freed once its batch is sent
            n_items,
            engine=options.engine,
            width=client_width(client),
            submit=lambda batch: client.submit(
                process, list(batch.items), options=options, out_dir=out_dir, pure=False
            ),
            result=wait_result,
            incidents=incidents,
        )
