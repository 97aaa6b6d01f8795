"""Dispatch ``osintdesk evaluate NAME`` to the evaluator of each stage."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.evaluate import Report

# name → module in pipeline.evaluate; each module has evaluate(path=None) -> Report | list[Report]
EVALUATORS = {
    "boilerplate": "boilerplate",
    "langid": "langid",
    "dates": "dates",
    "ner": "ner",
    "gold": "gold",
    "heldout": "heldout",
    "clusters": "clusters",
    "names": "names",
    "sentences": "sentences",
}


def evaluations(what: str) -> list[str]:
    """The evaluators ``what`` names (``all``: every one); ConfigError for an unknown one."""
    names = list(EVALUATORS) if what == "all" else [what]
    unknown = [n for n in names if n not in EVALUATORS]
    if unknown:
        raise ConfigError(
            f"unknown evaluation {unknown[0]!r}: choose one of {', '.join(EVALUATORS)} or all"
        )
    return names


def run_evaluation(
    what: str, path: Path | None = None, on_done: Callable[[str], None] | None = None
) -> list[Report]:
    """Every report of the evaluators ``what`` names; ``on_done(name)`` after each one."""
    reports: list[Report] = []
    for name in evaluations(what):
        module = importlib.import_module(f"pipeline.evaluate.{EVALUATORS[name]}")
        result = module.evaluate(path=path)
        reports.extend(result if isinstance(result, list) else [result])
        if on_done is not None:
            on_done(name)
    return reports
