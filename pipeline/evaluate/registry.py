"""Dispatch ``osintdesk evaluate NAME`` to the evaluator of each stage."""

from __future__ import annotations

import importlib
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


def run_evaluation(what: str, path: Path | None = None) -> list[Report]:
    names = list(EVALUATORS) if what == "all" else [what]
    unknown = [n for n in names if n not in EVALUATORS]
    if unknown:
        raise ConfigError(
            f"unknown evaluation {unknown[0]!r}: choose one of {', '.join(EVALUATORS)} or all"
        )
    reports: list[Report] = []
    for name in names:
        module = importlib.import_module(f"pipeline.evaluate.{EVALUATORS[name]}")
        result = module.evaluate(path=path)
        reports.extend(result if isinstance(result, list) else [result])
    return reports
