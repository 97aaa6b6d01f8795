"""Atomic writes, deterministic JSON, and JSON Schema files that match the models."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pipeline.write import atomic_write_text, dumps, read_jsonl, write_jsonl
from schemas.export import SCHEMA_DIR, schema_texts


def test_schema_files_are_current() -> None:
    stale = [
        name
        for name, text in schema_texts().items()
        if not (SCHEMA_DIR / name).exists() or (SCHEMA_DIR / name).read_text("utf-8") != text
    ]
    assert not stale, f"stale JSON Schema files {stale}: run `osintdesk schemas`"


def test_json_is_sorted_and_unicode() -> None:
    text = dumps({"b": "Путин", "a": "普京"})
    assert text == '{"a": "普京", "b": "Путин"}'


def test_jsonl_round_trip(tmp_path: Path) -> None:
    rows = [{"id": "x", "name": "بوتين"}, {"id": "y", "name": "Nguyễn Tấn Dũng"}]
    assert write_jsonl(tmp_path / "r.jsonl", rows) == 2
    assert read_jsonl(tmp_path / "r.jsonl") == rows


def test_failed_write_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "doc.json"
    atomic_write_text(target, json.dumps({"v": 1}))

    def boom(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, json.dumps({"v": 2}))
    assert json.loads(target.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["doc.json"]
