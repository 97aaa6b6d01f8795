"""Documents in batches for parallel workers, and the batches' results back in order.

Plain functions, no orchestration: ``flows/engine.py`` runs batches on a Dask pool (or in
this process) and uses :func:`run_in_order` to hand results to the writer in the order the
batches were planned, so a run on several workers writes exactly what a one-process run
writes. A batch whose worker dies is submitted once more (to whichever worker is alive);
if that fails too, every document of the batch becomes a failure naming the reason, so no
document disappears without a line saying why.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
F = TypeVar("F")

# Measured in one session (docs/performance.md, "Batch size"; load 14 on 2 cores, so both are
# slow, but their ratio is what sizes a batch): an empty Prefect task on a local
# DaskTaskRunner cost 1.6 s of worker time; an English sample document about 1.0 s.
TASK_OVERHEAD_S = 1.6
DOCUMENT_S = 1.0
MAX_OVERHEAD_SHARE = 0.05
BATCHES_PER_WORKER = 4
# A batch's results wait in the writing process until the batches before it are written
# (``run_in_order`` keeps two per worker in flight), so the batch size bounds that process's
# memory: 128 documents of about 100 KB of records each is some 13 MB a batch. Four times
# the overhead floor, so the task overhead stays near 1 %.
MAX_BATCH_SIZE = 128


@dataclass(frozen=True)
class Batch(Generic[T]):
    """Consecutive items of the run; ``index`` is the batch's place in the output order."""

    index: int
    items: tuple[T, ...]


def min_batch_size(
    task_overhead_s: float = TASK_OVERHEAD_S,
    document_s: float = DOCUMENT_S,
    max_share: float = MAX_OVERHEAD_SHARE,
) -> int:
    """Smallest batch whose per-task overhead is at most ``max_share`` of the batch's time:
    overhead / (overhead + n × document_s) ≤ max_share."""
    return max(1, math.ceil(task_overhead_s * (1 - max_share) / (max_share * document_s)))


def batch_size(n_items: int, workers: int, *, fixed: int | None = None) -> int:
    """Items per batch for ``n_items`` on ``workers`` workers.

    ``fixed`` (``engine.batch_size``) wins. Otherwise batches are large enough to keep the
    per-task overhead under 5 % (:func:`min_batch_size`), and small enough to give every
    worker about :data:`BATCHES_PER_WORKER` batches on a mid-sized run (a slow batch then
    does not leave the other workers idle at the end), at least one on a small run, and
    never more than :data:`MAX_BATCH_SIZE` documents (memory stays flat on a big run).
    """
    if fixed is not None:
        return max(1, fixed)
    workers = max(1, workers)
    if n_items <= 0:
        return 1
    balanced = math.ceil(n_items / (workers * BATCHES_PER_WORKER))
    share = math.ceil(n_items / workers)
    return max(1, min(max(min_batch_size(), balanced), share, MAX_BATCH_SIZE))


def plan_batches(items: Iterable[T], size: int) -> Iterator[Batch[T]]:
    """Consecutive batches of ``size`` items, numbered from 0; reads ``items`` lazily."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, not {size}")
    chunk: list[T] = []
    index = 0
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield Batch(index, tuple(chunk))
            index += 1
            chunk = []
    if chunk:
        yield Batch(index, tuple(chunk))


class WorkerLost(Exception):
    """The worker running a batch died (or was lost) before returning its result."""


@dataclass(frozen=True)
class Lost(Generic[T]):
    """A batch given up after its retry also lost its worker."""

    batch: Batch[T]
    reason: str


def run_in_order(
    batches: Iterable[Batch[T]],
    submit: Callable[[Batch[T]], F],
    result: Callable[[F], R],
    *,
    window: int,
    on_incident: Callable[[str], None] = lambda line: None,
) -> Iterator[tuple[Batch[T], R | Lost[T]]]:
    """Submit batches, at most ``window`` in flight, and yield each result in batch order.

    ``submit`` starts a batch and returns a future; ``result`` waits for it and raises
    :class:`WorkerLost` when its worker died. Such a batch is submitted once more and the
    incident reported through ``on_incident``; when the retry is lost too, the batch comes
    back as :class:`Lost`. Any other exception from ``result`` propagates: processing
    functions turn bad documents into failures themselves, so anything else is a bug.
    Only ``window`` batches (and their results) are held at a time, so memory stays bounded
    however many documents the run has.
    """
    pending: list[tuple[Batch[T], F]] = []
    source = iter(batches)

    def fill(limit: int) -> None:
        while len(pending) < limit:
            nxt = next(source, None)
            if nxt is None:
                return
            pending.append((nxt, submit(nxt)))

    window = max(1, window)
    fill(window)
    while pending:
        batch, future = pending.pop(0)
        fill(window - 1)  # the window stays full while the oldest batch is waited on
        try:
            value: R | Lost[T] = result(future)
        except WorkerLost as first:
            line = f"batch {batch.index} ({len(batch.items)} documents): {first}; retried once"
            log.warning(line)
            on_incident(line)
            try:
                value = result(submit(batch))
            except WorkerLost as second:
                reason = f"worker lost twice: {second}"
                on_incident(f"batch {batch.index}: {reason}; its documents failed")
                value = Lost(batch, reason)
        yield batch, value
        fill(window)
