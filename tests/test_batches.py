"""Batching and in-order hand-over (pipeline/batches.py): no Dask needed."""

from __future__ import annotations

import pytest

from pipeline.batches import (
    BATCHES_PER_WORKER,
    MAX_BATCH_SIZE,
    Batch,
    Lost,
    WorkerLost,
    batch_size,
    min_batch_size,
    plan_batches,
    run_in_order,
)


def test_plan_batches_keeps_order_and_every_item() -> None:
    batches = list(plan_batches(iter(range(10)), 4))
    assert [b.index for b in batches] == [0, 1, 2]
    assert [list(b.items) for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    with pytest.raises(ValueError, match="at least 1"):
        list(plan_batches([1], 0))


def test_min_batch_size_keeps_overhead_under_five_percent() -> None:
    n = min_batch_size(task_overhead_s=0.1, document_s=0.1)
    assert 0.1 / (0.1 + n * 0.1) <= 0.05
    assert 0.1 / (0.1 + (n - 1) * 0.1) > 0.05  # and no larger than needed


def test_batch_size_balances_workers_and_honours_fixed() -> None:
    # a small run: every worker gets work even below the overhead floor
    assert batch_size(12, 2) == 6
    # a mid-sized run: about BATCHES_PER_WORKER batches per worker
    assert batch_size(800, 2) == 800 // (2 * BATCHES_PER_WORKER)
    # a big run: batches no bigger than MAX_BATCH_SIZE (the writer holds a few at a time)
    assert batch_size(20_000, 2) == MAX_BATCH_SIZE
    # a mid-sized run: never below the overhead floor
    assert batch_size(200, 4) == min_batch_size()
    assert batch_size(200, 4, fixed=3) == 3
    assert batch_size(0, 2) == 1


def test_results_come_back_in_batch_order() -> None:
    finished: list[int] = []

    def result(batch: Batch[int]) -> list[int]:
        finished.append(batch.index)
        return [item * 10 for item in batch.items]

    out = list(run_in_order(plan_batches(range(7), 2), submit=lambda b: b, result=result, window=3))
    assert [b.index for b, _ in out] == [0, 1, 2, 3]
    assert [v for _, v in out] == [[0, 10], [20, 30], [40, 50], [60]]


def test_window_bounds_batches_in_flight() -> None:
    submitted: list[int] = []
    waited: list[int] = []

    def submit(batch: Batch[int]) -> Batch[int]:
        submitted.append(batch.index)
        # never more than `window` submitted and not yet consumed
        assert len(submitted) - len(waited) <= 2
        return batch

    def result(batch: Batch[int]) -> int:
        waited.append(batch.index)
        return batch.index

    assert [v for _, v in run_in_order(plan_batches(range(20), 1), submit, result, window=2)] == (
        list(range(20))
    )


def test_worker_loss_retries_once_and_records_it() -> None:
    attempts: dict[int, int] = {}
    incidents: list[str] = []

    def result(batch: Batch[str]) -> list[str]:
        attempts[batch.index] = attempts.get(batch.index, 0) + 1
        if batch.index == 1 and attempts[1] == 1:
            raise WorkerLost("worker tcp://w1 died")
        return list(batch.items)

    out = list(
        run_in_order(
            plan_batches("abcdef", 2),
            lambda b: b,
            result,
            window=2,
            on_incident=incidents.append,
        )
    )
    assert [v for _, v in out] == [["a", "b"], ["c", "d"], ["e", "f"]]
    assert attempts == {0: 1, 1: 2, 2: 1}
    assert len(incidents) == 1 and "batch 1" in incidents[0] and "retried once" in incidents[0]


def test_batch_lost_twice_is_given_up_with_its_reason() -> None:
    incidents: list[str] = []

    def result(batch: Batch[str]) -> list[str]:
        if batch.index == 0:
            raise WorkerLost("worker died")
        return list(batch.items)

    out = list(
        run_in_order(
            plan_batches("abc", 2), lambda b: b, result, window=1, on_incident=incidents.append
        )
    )
    lost = out[0][1]
    assert isinstance(lost, Lost) and lost.batch.items == ("a", "b")
    assert "lost twice" in lost.reason
    assert out[1][1] == ["c"]
    assert len(incidents) == 2


def test_other_errors_are_not_retried() -> None:
    calls = []

    def result(batch: Batch[int]) -> int:
        calls.append(batch.index)
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        list(run_in_order(plan_batches([1], 1), lambda b: b, result, window=1))
    assert calls == [0]
