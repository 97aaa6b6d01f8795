"""bench --scale's corpus generator: N distinct documents from the samples."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pipeline.evaluate.scale import SAMPLES, generate_corpus


def test_generated_documents_are_distinct_and_cycle_through_samples(tmp_path: Path) -> None:
    paths = generate_corpus(7, tmp_path / "c", language="en")
    assert len(paths) == 7
    assert all(p.name.split("-", 1)[1].startswith("en_") for p in paths)
    # every copy has its own bytes, so its own document id
    assert len({hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}) == 7
    # the English samples, cycled in name order
    english = sorted(p.name for p in SAMPLES.iterdir() if p.name.startswith("en_"))
    names = [p.name.split("-", 1)[1] for p in paths]
    assert names == [english[i % len(english)] for i in range(7)]


def test_unknown_language_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no samples"):
        generate_corpus(2, tmp_path, language="xx")
