"""The machine-wide cache of derived reference data (pipeline.cache)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import cache
from pipeline import lang as lang_registry


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(cache.ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def _counting(value: object) -> tuple[list[int], object]:
    calls: list[int] = []

    def build() -> object:
        calls.append(1)
        return value

    return calls, build


def test_a_value_is_built_once_then_read_back(folder: Path) -> None:
    calls, build = _counting({"person:a": ["Ab Cd"], "person:b": []})
    first = cache.cached_json("demo", build)  # type: ignore[arg-type]
    second = cache.cached_json("demo", build)  # type: ignore[arg-type]
    assert first == second == {"person:a": ["Ab Cd"], "person:b": []}
    assert len(calls) == 1
    assert [p.name.split("-")[0] for p in folder.iterdir()] == ["demo"]


def test_changed_language_data_give_a_new_key(folder: Path, tmp_path: Path) -> None:
    calls, build = _counting([1, 2])
    cache.cached_json("demo", build)  # type: ignore[arg-type]
    toy = tmp_path / "langs" / "xq"
    toy.mkdir(parents=True)
    (toy / "language.yaml").write_text("code: xq\nname: Toy\n", "utf-8")
    lang_registry.add_path(tmp_path / "langs")
    try:
        cache.cached_json("demo", build)  # type: ignore[arg-type]
    finally:
        lang_registry.remove_path(tmp_path / "langs")
    assert len(calls) == 2
    assert len(list(folder.iterdir())) == 2


def test_an_unreadable_entry_is_rebuilt_and_replaced(folder: Path) -> None:
    calls, build = _counting(["x"])
    cache.cached_json("demo", build)  # type: ignore[arg-type]
    (entry,) = folder.iterdir()
    entry.write_bytes(b'{"cut off')
    assert cache.cached_json("demo", build) == ["x"]  # type: ignore[arg-type]
    assert len(calls) == 2
    assert entry.read_bytes() == b'["x"]'


def test_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.ENV, "off")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    calls, build = _counting(3)
    assert cache.cached_json("demo", build) == cache.cached_json("demo", build) == 3  # type: ignore[arg-type]
    assert len(calls) == 2
    assert list(tmp_path.iterdir()) == []


def test_reference_latin_names_are_the_same_from_the_cache(folder: Path) -> None:
    from pipeline import link

    link._reference_latin.cache_clear()
    built = link._reference_latin()
    link._reference_latin.cache_clear()
    assert link._reference_latin() == built == link._derive_reference_latin()
    assert built["person:sergei-shoigu"]  # Cyrillic forms romanised through the nominative
