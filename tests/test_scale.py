"""bench --scale's corpus generator: N distinct documents from the samples."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from pipeline.evaluate.scale import SAMPLES, YEAR_SHIFTS, generate_corpus


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


def _years(data: bytes) -> list[int]:
    return [int(y) for y in re.findall(rb"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])", data)]


def test_copies_of_a_sample_tell_their_events_in_other_years(tmp_path: Path) -> None:
    """Regression: copies were the sample verbatim, so every copy told the same dated
    events and a cluster grew with the corpus (thousands of reports at 20,000)."""
    samples = sorted(p for p in SAMPLES.iterdir() if p.name.startswith("en_"))
    n = len(samples)
    paths = generate_corpus(3 * n, tmp_path / "c", language="en")
    for index, sample in enumerate(samples):
        original = _years(sample.read_bytes())
        assert original, sample.name  # every English sample dates something
        first, second, third = (_years(paths[index + k * n].read_bytes()) for k in range(3))
        assert first == original  # the first copy is the sample itself
        assert any(1950 <= y <= 2029 for y in original)
        assert second == [y - 1 if 1950 <= y <= 2029 else y for y in original]
        assert third == [y - 2 if 1950 <= y <= 2029 else y for y in original]
        # nothing but the years differs (then comes the copy's reference line)
        years = re.compile(rb"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])")
        body = sample.read_bytes()
        copy = paths[index + n].read_bytes()
        assert years.sub(b"", copy[: len(body)]) == years.sub(b"", body)


def test_years_stay_where_dates_are_read(tmp_path: Path) -> None:
    samples = sorted(p for p in SAMPLES.iterdir() if p.name.startswith("en_"))
    last = generate_corpus(YEAR_SHIFTS * len(samples), tmp_path / "c", language="en")[-1]
    years = _years(last.read_bytes())
    assert min(years) >= 1901
    # the copy after the last shift starts again: copies repeat every YEAR_SHIFTS
    again = generate_corpus(YEAR_SHIFTS * len(samples) + 1, tmp_path / "d", language="en")[
        -1
    ].read_bytes()
    assert _years(again) == _years(sorted(samples)[0].read_bytes())
