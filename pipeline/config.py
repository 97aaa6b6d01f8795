"""One options object for every stage.

Defaults live in ``pipeline/data/defaults.yaml``; a project-level
``osintdesk.yaml`` (or a file passed with ``--config``) is layered on top.
Stages receive the section they need; nothing reads the environment deep
inside a stage.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FetchOptions(_Section):
    timeout: float = Field(20.0, gt=0, description="Seconds per request.")
    retries: int = Field(3, ge=0, description="Retries on 5xx and timeouts.")
    retry_backoff: float = Field(1.0, ge=0, description="First backoff in seconds, doubled.")
    max_bytes: int = Field(10_000_000, gt=0, description="Refuse bodies larger than this.")
    max_redirects: int = Field(5, ge=0)
    user_agent: str = "osintdesk/0.1 (+https://example.invalid/osintdesk)"
    allowed_content_types: list[str] = [
        "text/html",
        "application/xhtml+xml",
        "text/plain",
        "application/rss+xml",
        "application/atom+xml",
        "application/xml",
        "text/xml",
    ]
    allow_private_addresses: bool = Field(
        False, description="Allow loopback/private targets (tests, intranet sources)."
    )
    max_feed_items: int = Field(20, ge=1)


class CleanOptions(_Section):
    min_paragraph_chars: int = Field(1, ge=0)
    favor_precision: bool = True
    include_tables: bool = Field(
        True, description="Keep table text that trafilatura finds inside the main content."
    )
    filter_boilerplate: bool = Field(
        True, description="Drop boilerplate paragraphs (pipeline/data/boilerplate.yaml)."
    )
    short_main_text_chars: int = Field(
        1000,
        ge=0,
        description="With favor_precision, retry a balanced extraction when the main "
        "text is shorter than this, and keep it when it finds twice as much.",
    )
    strip_footnote_markers: bool = Field(
        True, description="Remove inline footnote markers such as [12] or [6][7]."
    )


class LanguageOptions(_Section):
    backend: Literal["lingua", "langdetect"] = "lingua"
    languages: list[str] = Field(
        default=[
            "en",
            "ar",
            "ru",
            "vi",
            "zh",
            "uk",
            "be",
            "bg",
            "fa",
            "ur",
            "ja",
            "ko",
            "id",
            "ms",
            "fr",
            "de",
            "es",
            "pt",
            "it",
            "tr",
            "th",
            "km",
            "lo",
        ],
        description="ISO 639-1 codes the detector may answer.",
    )
    short_text_chars: int = Field(
        12, ge=0, description="Below this many letters, decide by script where possible."
    )
    preferred: list[str] = Field(
        default=["en", "ar", "ru", "vi", "zh"],
        description="Languages this corpus is mostly in: one of them wins over the model's "
        "first choice when its confidence is at least preference_ratio of the best.",
    )
    preference_ratio: float = Field(
        0.5, ge=0, le=1, description="0 = always prefer; 1 = only on a tie (plain model answer)."
    )
    low_accuracy: bool = Field(
        False,
        description="lingua low-accuracy mode: trigram models only; starts in about 0.2 s "
        "instead of about 6 s, but is weaker on short lines.",
    )


class ExtractOptions(_Section):
    languages: list[str] = ["en", "ru", "ar", "vi", "zh"]
    max_sentence_chars: int = 2000
    min_event_confidence: float = 0.3


class Options(_Section):
    fetch: FetchOptions = FetchOptions()
    clean: CleanOptions = CleanOptions()
    language: LanguageOptions = LanguageOptions()
    extract: ExtractOptions = ExtractOptions()


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(text: str, origin: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping of option sections")
    return data


@lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    text = resources.files("pipeline").joinpath("data/defaults.yaml").read_text("utf-8")
    return _read_yaml(text, "pipeline/data/defaults.yaml")


def load_options(path: Path | None = None) -> Options:
    """Defaults, then ``path`` (if given and present) on top, validated."""
    data = _defaults()
    origin = "defaults"
    if path is not None and path.exists():
        origin = str(path)
        data = _deep_merge(data, _read_yaml(path.read_text("utf-8"), origin))
    try:
        return Options.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{origin}: option {where}: {first['msg']}") from exc
