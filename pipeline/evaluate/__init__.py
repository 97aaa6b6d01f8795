"""Evaluation commands: each module measures one stage against real data.

Every evaluator returns a :class:`Report`, which renders as a Markdown table
for ``docs/quality.md``. Data under ``../shared/eval`` is read by path, never
copied into the repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    """The ``shared`` folder beside the checkout (or ``$OSINTDESK_SHARED``)."""
    env = os.environ.get("OSINTDESK_SHARED")
    return Path(env) if env else REPO_ROOT.parent / "shared"


def eval_path(*parts: str, path: Path | None = None) -> Path:
    """Path to an evaluation set; a clear error when it is missing."""
    target = path if path is not None else shared_dir().joinpath("eval", *parts)
    if not target.exists():
        raise ConfigError(f"evaluation data not found: {target}")
    return target


@dataclass
class Report:
    """A table of results: ``columns`` name the keys of each row."""

    title: str
    columns: list[str]
    rows: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_markdown(self) -> str:
        def fmt(value: object) -> str:
            if isinstance(value, float):
                return f"{value:.3f}"
            return str(value)

        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "---|" * len(self.columns))
        for row in self.rows:
            lines.append("| " + " | ".join(fmt(row.get(c, "")) for c in self.columns) + " |")
        lines.extend(["", *self.notes])
        return "\n".join(lines).rstrip() + "\n"
