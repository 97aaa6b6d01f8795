"""Progress a person can follow: a rich bar on a terminal, plain periodic lines otherwise,
nothing with ``--quiet``. The CLI installs a reporter with :func:`reporting`; the flow and
the ingest path call :func:`active` and report stages and items; with no reporter installed
(scheduled runs, tests, library use) reporting costs nothing."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TextIO


class Reporter(Protocol):
    def stage(self, name: str, total: int, unit: str) -> None:
        """Start a stage of ``total`` units (the previous stage is finished)."""

    def advance(self, done: int = 1, failed: int = 0) -> None:
        """``done`` more units finished, ``failed`` of them without a result."""

    def close(self) -> None:
        """Finish the last stage."""


class Silent:
    def stage(self, name: str, total: int, unit: str) -> None:
        return

    def advance(self, done: int = 1, failed: int = 0) -> None:
        return

    def close(self) -> None:
        return


class _Counts:
    def __init__(self, name: str, total: int, unit: str) -> None:
        self.name, self.total, self.unit = name, total, unit
        self.done = self.failed = 0
        self.began = time.monotonic()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.began, 1e-9)
        rate = self.done / elapsed
        parts = [f"{self.name}: {self.done}/{self.total} {self.unit}", f"{rate:.3g}/s"]
        if 0 < self.done < self.total and rate > 0:
            parts.append(f"ETA {(self.total - self.done) / rate:.0f} s")
        parts.append(f"{self.failed} failed")
        return ", ".join(parts)


class Lines:
    """One plain line per stage at most every ``interval`` seconds, and one when it ends."""

    def __init__(self, stream: TextIO, interval: float = 10.0) -> None:
        self.stream, self.interval = stream, interval
        self.counts: _Counts | None = None
        self.last = 0.0
        self.shown: tuple[int, int] | None = None

    def _emit(self) -> None:
        if self.counts is not None and self.shown != (self.counts.done, self.counts.failed):
            print(f"osintdesk: {self.counts.line()}", file=self.stream, flush=True)
            self.shown = (self.counts.done, self.counts.failed)
        self.last = time.monotonic()

    def stage(self, name: str, total: int, unit: str) -> None:
        self.close()
        self.counts = _Counts(name, total, unit)
        self.last = time.monotonic()
        self.shown = None

    def advance(self, done: int = 1, failed: int = 0) -> None:
        if self.counts is None:
            return
        self.counts.done += done
        self.counts.failed += failed
        if time.monotonic() - self.last >= self.interval:
            self._emit()

    def close(self) -> None:
        if self.counts is not None:
            self._emit()
            self.counts = None


class Bar:
    """A rich.progress bar per stage: done/total, rate, ETA, failures so far."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[unit]}"),
            TextColumn("{task.fields[rate]}/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[failed]} failed"),
            console=Console(file=stream),
            transient=False,
        )
        self.task: Any = None
        self.began = 0.0
        self.progress.start()

    def stage(self, name: str, total: int, unit: str) -> None:
        self.began = time.monotonic()
        self.task = self.progress.add_task(name, total=total, unit=unit, rate="0.0", failed=0)

    def advance(self, done: int = 1, failed: int = 0) -> None:
        if self.task is None:
            return
        task = self.progress.tasks[self.progress.task_ids.index(self.task)]
        completed = task.completed + done
        rate = completed / max(time.monotonic() - self.began, 1e-9)
        self.progress.update(
            self.task,
            advance=done,
            rate=f"{rate:.3g}",
            failed=task.fields["failed"] + failed,
        )

    def close(self) -> None:
        self.progress.stop()


_active: Reporter = Silent()


def active() -> Reporter:
    return _active


def reporter_for(quiet: bool, stream: TextIO | None = None) -> Reporter:
    stream = stream or sys.stderr
    if quiet:
        return Silent()
    if stream.isatty():
        return Bar(stream)
    return Lines(stream)


@contextmanager
def reporting(reporter: Reporter) -> Iterator[Reporter]:
    """Install ``reporter`` for the duration of one command."""
    global _active
    previous, _active = _active, reporter
    try:
        yield reporter
    finally:
        reporter.close()
        _active = previous
