"""One options object for every stage.

Defaults are the field defaults below (written nowhere else); a project-level
``osintdesk.yaml`` (or a file passed with ``--config``, see :func:`config_path`) is
layered on top.
Stages receive the section they need; nothing reads the environment deep
inside a stage.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from pipeline import lang as lang_registry
from pipeline.errors import ConfigError
from pipeline.refdata import read_yaml, validate
from pipeline.urls import host_problem, normalize_host


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HostCredentials(_Section):
    """User name and password for one host; the password comes from the environment
    (``password_env``) or, less safely, from the options file itself (``password``)."""

    username: str = Field(min_length=1)
    password_env: str | None = Field(
        None, description="Name of the environment variable that holds the password."
    )
    password: SecretStr | None = Field(None, description="The password itself (prefer _env).")

    @model_validator(mode="after")
    def _one_password(self) -> HostCredentials:
        if (self.password is None) == (self.password_env is None):
            raise ValueError("give exactly one of password_env and password")
        if self.password_env is not None:
            # read once, where options are loaded: no stage reads the environment
            value = os.environ.get(self.password_env)
            if value is None:
                raise ValueError(f"environment variable {self.password_env} is not set")
            self.password = SecretStr(value)
        return self


class FetchOptions(_Section):
    timeout: float = Field(
        20.0, gt=0, description="Seconds for each single wait: connecting, one read, one write."
    )
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
    deadline_s: float = Field(
        60.0,
        gt=0,
        description="Seconds for one whole fetch of a URL: connecting, headers, body and "
        "redirects together (timeout bounds each single wait inside it).",
    )
    allow_hosts: list[str] = Field(
        default_factory=list,
        description="Host names (intranet.example) and networks (10.1.2.0/24, fd00::/8) "
        "that may be fetched although they are not public; everything else that resolves "
        "to a loopback, private, link-local or reserved address is refused.",
    )
    credentials: dict[str, HostCredentials] = Field(
        default_factory=dict,
        description="Basic-auth credentials per host name, sent to that host only: "
        "{intranet.example: {username: NAME, password_env: ENV_VAR}}.",
    )
    max_feed_items: int = Field(20, ge=1, description="Entries taken from one feed (default).")
    per_host_concurrency: int = Field(
        2, ge=1, description="Requests in flight to one host at a time, across sources."
    )
    per_host_delay: float = Field(
        0.25, ge=0, description="Seconds between the starts of two requests to one host."
    )
    max_retry_after: float = Field(
        300.0, ge=0, description="Longest Retry-After pause honoured, in seconds."
    )
    conditional: bool = Field(
        True,
        description="Ask servers for URLs and feeds fetched before only if changed (ETag / "
        "Last-Modified) and reuse the stored bytes on 304; `--refresh` turns it off for a run.",
    )

    @model_validator(mode="before")
    @classmethod
    def _replaced_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and "allow_private_addresses" in data:
            raise ValueError(
                "allow_private_addresses was replaced by allow_hosts: list the hosts or "
                "networks that may be fetched, e.g. allow_hosts: [intranet.example, 10.1.2.0/24]"
            )
        return data

    @field_validator("allow_hosts")
    @classmethod
    def _hosts_or_networks(cls, entries: list[str]) -> list[str]:
        cleaned = []
        for entry in entries:
            value = normalize_host(entry)
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                if host_problem(value) is not None:
                    raise ValueError(
                        f"{entry!r} is neither a host name nor an IP address or network"
                    ) from None
            cleaned.append(value)
        return cleaned

    @field_validator("credentials")
    @classmethod
    def _lower_hosts(cls, value: dict[str, HostCredentials]) -> dict[str, HostCredentials]:
        return {normalize_host(host): creds for host, creds in value.items()}


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


# Languages the detector may answer besides the registry's: neighbours of ours, so that a
# Belarusian or French page is not forced into one of the supported languages.
NEIGHBOURS = ["be", "bg", "fa", "ur", "ja", "ko", "id", "ms", "fr", "de", "es", "pt", "it",
              "tr", "th", "km", "lo"]  # fmt: skip


def _detectable() -> list[str]:
    return [*lang_registry.codes(), *(c for c in NEIGHBOURS if c not in lang_registry.codes())]


def _supported() -> list[str]:
    return list(lang_registry.codes())


class LanguageOptions(_Section):
    backend: Literal["lingua", "langdetect"] = "lingua"
    languages: list[str] = Field(
        default_factory=_detectable,
        description="ISO 639-1 codes the detector may answer (default: the registry's "
        "languages and their neighbours).",
    )
    short_text_chars: int = Field(
        12, ge=0, description="Below this many letters, decide by script where possible."
    )
    preferred: list[str] = Field(
        default_factory=_supported,
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
    languages: list[str] = Field(
        default_factory=_supported, description="Languages to extract (default: the registry's)."
    )
    max_sentence_chars: int = 2000
    min_event_confidence: float = 0.3
    headline_max_chars: int = Field(
        200,
        ge=0,
        description="A document's first paragraph is its headline (whose date governs "
        "undated arms events) when it is one sentence of at most this many characters.",
    )
    components: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Settings per spaCy component, over the language registry's: "
        "{osintdesk_weapons: {max_words: 8}}.",
    )


class EngineOptions(_Section):
    """Where document batches run: this process (the default), a local Dask cluster of
    ``workers`` processes, or an existing cluster at ``dask_address``."""

    workers: int = Field(1, ge=1, description="Worker processes of a local Dask cluster.")
    dask_address: str | None = Field(
        None,
        pattern=r"^(tcp|tls|ucx|inproc)://\S+$",
        description="Scheduler of an existing Dask cluster (tcp://host:8786); its workers "
        "must see the output folder and have osintdesk installed.",
    )
    batch_size: int | None = Field(
        None, ge=1, description="Documents per batch (default: sized by pipeline.batches)."
    )


class ReviewOptions(_Section):
    """The review web desk (``osintdesk review serve``)."""

    require_login: bool = Field(
        False,
        description="Ask for a login on 127.0.0.1 too (it is always asked on other addresses).",
    )
    public_hosts: list[str] = Field(
        default_factory=list,
        description="Host names users reach the desk by (a DNS name, a reverse proxy): the "
        "Host guard accepts them, bare and with the bound port, or 'name:port' exactly.",
    )
    secure_cookie: bool = Field(
        False, description="Mark the session cookie Secure (when users reach the desk by HTTPS)."
    )
    session_hours: float = Field(12.0, gt=0, le=24 * 30, description="A login lasts this long.")

    @field_validator("public_hosts")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        hosts = []
        for entry in value:
            text = entry.strip()
            if text.startswith("["):  # [IPv6] or [IPv6]:port
                name, _, rest = text[1:].partition("]")
                port = rest.removeprefix(":")
            elif text.count(":") == 1:  # name:port
                name, _, port = text.partition(":")
            else:  # a name, or a bare IPv6 address
                name, port = text, ""
            if port and (not port.isdigit() or not 0 < int(port) < 65536):
                raise ValueError(f"{entry!r}: the port after ':' must be 1-65535")
            name = normalize_host(name)
            problem = host_problem(name)
            if problem:
                raise ValueError(f"{entry!r}: {problem}")
            shown = f"[{name}]" if ":" in name else name
            hosts.append(f"{shown}:{port}" if port else shown)
        return hosts


class Options(_Section):
    # factories: the language defaults read the registry when an Options is made
    fetch: FetchOptions = Field(default_factory=FetchOptions)
    clean: CleanOptions = Field(default_factory=CleanOptions)
    language: LanguageOptions = Field(default_factory=LanguageOptions)
    extract: ExtractOptions = Field(default_factory=ExtractOptions)
    engine: EngineOptions = Field(default_factory=EngineOptions)
    review: ReviewOptions = Field(default_factory=ReviewOptions)


CONFIG_FILE = "osintdesk.yaml"


def config_path(explicit: Path | None, root: Path) -> Path | None:
    """The one rule every command and the flow use to find options: ``--config`` when
    given (it must exist), else ``osintdesk.yaml`` at the project root when present."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"{explicit}: options file not found")
        return explicit
    found = root / CONFIG_FILE
    return found if found.is_file() else None


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_options(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Options:
    """The defaults of :class:`Options`, then ``path`` (if given), then ``overrides``.

    Defaults are written once, in the models above; ``path`` is read like every other
    YAML file (:func:`pipeline.refdata.read_yaml`: duplicate keys refused).
    """
    data: dict[str, Any] = {}
    origin = "options"
    if path is not None:
        origin = str(path)
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        data = read_yaml(text, origin) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{origin}: expected a mapping of option sections")
    return validate(Options, _deep_merge(data, overrides or {}), origin)
