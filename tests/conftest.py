"""Shared fixtures. Prefect gets a temporary home and quiet logs before anything imports it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="osintdesk-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.pop("PREFECT_API_URL", None)
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED", "false")

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "raw" / "samples"


def _shared() -> Path:
    from pipeline.evaluate import shared_dir

    return shared_dir()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `shared` skip cleanly when ../shared is absent (a user's fresh clone)."""
    if _shared().exists():
        return
    skip = pytest.mark.skip(reason=f"{_shared()} not present")
    for item in items:
        if "shared" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared() -> Path:
    return _shared()


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One local Prefect test database per session, for the few tests that run real flows."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
