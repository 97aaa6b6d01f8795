"""An alias added in review links the next run's mentions to the reviewed entity."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


def _people(out: Path) -> dict[str, list[str]]:
    return {
        p["id"]: [m["text"] for m in p["mentions"]]
        for p in (json.loads(line) for line in (out / "people.jsonl").open())
    }


def test_reviewer_alias_relinks_on_next_ingest(tmp_path: Path) -> None:
    # a form no spelling rule links (a near spelling such as "Vladimir Poutine" is
    # joined by the fuzzy name matching on its own): only the reviewer's alias can
    doc = tmp_path / "wire.txt"
    doc.write_text(
        "President Vladimir Putin arrived in Hanoi on 12 November 2013.\n\n"
        "During the visit, Vova Putinsky signed an agreement with Vietnam.\n",
        "utf-8",
    )
    out = tmp_path / "out"
    assert runner.invoke(app, ["ingest", str(doc), "--out", str(out)]).exit_code == 0
    before = _people(out)
    assert "person:vladimir-putin" in before
    variant = [pid for pid, texts in before.items() if "Vova Putinsky" in texts]
    assert variant and variant[0] != "person:vladimir-putin"

    result = runner.invoke(
        app, ["review", "alias", "person:vladimir-putin", "Vova Putinsky", "--out-dir", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (out / "reference_overrides.yaml").exists()

    assert runner.invoke(app, ["ingest", str(doc), "--out", str(out)]).exit_code == 0
    after = _people(out)
    assert variant[0] not in after
    assert "Vova Putinsky" in after["person:vladimir-putin"]
    events = [json.loads(line) for line in (out / "events.jsonl").open()]
    assert all(variant[0] not in e["people"] for e in events)


def test_refdata_refuses_duplicate_keys_in_one_line() -> None:
    """A duplicated key in a data file would silently drop an alias: refused, naming the file."""
    import pytest

    from pipeline.errors import ConfigError
    from pipeline.refdata import read_yaml

    with pytest.raises(ConfigError) as info:
        read_yaml("people:\n  a: 1\n  a: 2\n", "people.yaml")
    assert str(info.value) == "people.yaml: duplicate key 'a' at line 3"
