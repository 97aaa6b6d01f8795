"""Reading and validating data files: reference data, options, manifests.

One way for every YAML file the pipeline reads: parsed safely, duplicate keys
refused (a silently lost alias or trigger), validated by a pydantic model, and
every problem reported as one :class:`ConfigError` line naming the file.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from pipeline.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


# libyaml's parser where PyYAML was built with it (about ten times faster on the weapons
# catalogue); the same safe constructors either way
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeBase):  # type: ignore[misc,valid-type]
    """SafeLoader that refuses duplicate mapping keys."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise ConfigError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
        seen.add(key)
    return dict(loader.construct_mapping(node))


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(text: str, origin: str) -> Any:
    """Parse YAML text; duplicate keys and syntax errors become one line naming ``origin``."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin}: not valid YAML: {' '.join(str(exc).split())}") from exc


def validate(model: type[M], data: Any, origin: str) -> M:
    """``model.model_validate(data)``; the first error as one line naming ``origin``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = " ".join(str(first["msg"]).split())
        detail = f"{where}: {message}" if where else message
        raise ConfigError(f"{origin}: {detail}") from exc


def load_yaml_model(model: type[M], name: str, path: Path | None = None) -> M:
    """Load ``path``, or the packaged ``pipeline/data/<name>``, validated by ``model``."""
    if path is not None:
        try:
            text = path.read_text("utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
        origin = str(path)
    else:
        text = resources.files("pipeline").joinpath("data", name).read_text("utf-8")
        origin = f"pipeline/data/{name}"
    return validate(model, read_yaml(text, origin), origin)


def check_patterns(patterns: list[str], *, groups: tuple[str, ...] = ()) -> list[str]:
    """Pydantic validator body: every pattern compiles and has the named ``groups``."""
    for pattern in patterns:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"bad pattern {pattern!r}: {exc}") from exc
        missing = [g for g in groups if g not in compiled.groupindex]
        if missing:
            raise ValueError(f"pattern {pattern!r} has no group (?P<{missing[0]}>...)")
    return patterns
