"""Loading pinned spaCy model packages (never downloaded at run time)."""

from __future__ import annotations

import importlib
from typing import Any

from pipeline.errors import ConfigError


def load_model(packages: list[str], **kwargs: Any) -> Any:
    """Load the first of ``packages`` that is installed (a language's ``pipeline.model``)."""
    for name in packages:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return module.load(**kwargs)
    raise ConfigError(
        f"no spaCy model installed of {', '.join(packages)}: run `make install` "
        "(installs the pinned models of requirements/models.txt)"
    )


def load_english(**kwargs: Any) -> Any:
    """The bare English model of the registry (the baseline of benchmarks and tests)."""
    from pipeline import lang

    return load_model(lang.get("en").pipeline.model, **kwargs)
