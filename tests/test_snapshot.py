"""Content-addressed snapshots: stored once, events appended, verified on load."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from pipeline.fetch import Fetched
from pipeline.snapshot import (
    SnapshotError,
    load_snapshot,
    load_snapshot_meta,
    replay,
    save_snapshot,
    snapshot_path,
)

DATA = b"Cam Ranh Bay lies in Khanh Hoa province.\n"
SHA = hashlib.sha256(DATA).hexdigest()


def make(location: str = "https://news.example/a", minute: int = 0, **kw: object) -> Fetched:
    fields: dict[str, object] = {
        "location": location,
        "kind": "url",
        "data": DATA,
        "final_url": location,
        "status": 200,
        "content_type": "text/plain",
        "headers": {"etag": '"abc"', "content-type": "text/plain"},
        "fetched_at": dt.datetime(2024, 6, 1, 12, minute, tzinfo=dt.UTC),
        "sha256": SHA,
    }
    fields.update(kw)
    return Fetched(**fields)  # type: ignore[arg-type]


def test_bytes_stored_once_by_hash(tmp_path: Path) -> None:
    path = save_snapshot(tmp_path, make())
    assert path == tmp_path / "snapshots" / SHA[:2] / f"{SHA}.bin"
    assert path.read_bytes() == DATA
    meta = json.loads(path.with_suffix(".json").read_text("utf-8"))
    assert meta["sha256"] == SHA and meta["size"] == len(DATA)
    [event] = meta["fetches"]
    assert event["location"] == "https://news.example/a"
    assert event["status"] == 200
    assert event["fetched_at"] == "2024-06-01T12:00:00+00:00"
    assert event["headers"] == {"content-type": "text/plain", "etag": '"abc"'}
    # no temporary files left behind
    assert sorted(p.name for p in path.parent.iterdir()) == [f"{SHA}.bin", f"{SHA}.json"]


def test_same_bytes_again_appends_an_event(tmp_path: Path) -> None:
    first = save_snapshot(tmp_path, make())
    second = save_snapshot(tmp_path, make("https://mirror.example/b", minute=5))
    assert first == second
    meta = load_snapshot_meta(tmp_path, SHA)
    assert [e["location"] for e in meta["fetches"]] == [
        "https://news.example/a",
        "https://mirror.example/b",
    ]
    # the identical event saved twice is recorded once
    save_snapshot(tmp_path, make("https://mirror.example/b", minute=5))
    assert len(load_snapshot_meta(tmp_path, SHA)["fetches"]) == 2


def test_load_verifies_the_hash(tmp_path: Path) -> None:
    path = save_snapshot(tmp_path, make())
    assert load_snapshot(tmp_path, SHA) == DATA
    path.write_bytes(DATA + b"tampered")
    with pytest.raises(SnapshotError, match="corrupted"):
        load_snapshot(tmp_path, SHA)
    # saving again repairs the stored bytes
    save_snapshot(tmp_path, make(minute=9))
    assert load_snapshot(tmp_path, SHA) == DATA


def test_missing_snapshot(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="no snapshot"):
        load_snapshot(tmp_path, "0" * 64)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ABC", SHA.upper(), SHA + "0", ""])
def test_only_hex_hashes_name_paths(tmp_path: Path, bad: str) -> None:
    with pytest.raises(SnapshotError, match="not a lowercase hex sha256"):
        snapshot_path(tmp_path, bad)
    with pytest.raises(SnapshotError):
        load_snapshot(tmp_path, bad)


def test_mismatched_fetched_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="do not match"):
        save_snapshot(tmp_path, make(data=b"other bytes"))
    assert not (tmp_path / "snapshots").exists()


def test_replay_rebuilds_fetched_offline(tmp_path: Path) -> None:
    original = make()
    save_snapshot(tmp_path, original)
    save_snapshot(tmp_path, make("https://mirror.example/b", minute=5))
    assert replay(tmp_path, SHA, "https://news.example/a") == original
    latest = replay(tmp_path, SHA)
    assert latest.location == "https://mirror.example/b"
    assert (
        dataclasses.replace(
            latest,
            location=original.location,
            final_url=original.final_url,
            fetched_at=original.fetched_at,
        )
        == original
    )
    with pytest.raises(SnapshotError, match="no fetch event"):
        replay(tmp_path, SHA, "https://elsewhere.example/")


def test_unreadable_sidecar_is_rebuilt(tmp_path: Path) -> None:
    path = save_snapshot(tmp_path, make())
    path.with_suffix(".json").write_text("{not json", "utf-8")
    save_snapshot(tmp_path, make(minute=3))
    [event] = load_snapshot_meta(tmp_path, SHA)["fetches"]
    assert event["fetched_at"] == "2024-06-01T12:03:00+00:00"
