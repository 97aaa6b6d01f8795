"""The lock files that `make run` / `make test` install from match pyproject.toml: a dependency
added without `make lock` fails here rather than as an import error on a fresh clone."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def _pins(name: str) -> dict[str, str]:
    text = (REPO / "requirements" / name).read_text("utf-8")
    return {canonicalize_name(n): v for n, v in PIN.findall(text)}


def _requirements(*extras: str) -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    listed = list(project["dependencies"])
    for extra in extras:
        listed += project["optional-dependencies"][extra]
    own = canonicalize_name(project["name"])
    return [r for r in map(Requirement, listed) if canonicalize_name(r.name) != own]


@pytest.mark.parametrize(("lock", "extras"), [("lock.txt", ()), ("lock-dev.txt", ("dev", "ftm"))])
def test_lock_pins_every_dependency_within_its_range(lock: str, extras: tuple[str, ...]) -> None:
    pins = _pins(lock)
    for requirement in _requirements(*extras):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in requirements/{lock}: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements/{lock} pins {name}=={pins[name]}, outside {requirement}: run `make lock`"
        )


def test_lock_lines_carry_hashes() -> None:
    for lock in ("lock.txt", "lock-dev.txt"):
        text = (REPO / "requirements" / lock).read_text("utf-8")
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        assert blocks and all("--hash=sha256:" in block for block in blocks), lock
