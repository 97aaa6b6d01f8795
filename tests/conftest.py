"""Shared fixtures. Prefect gets a temporary home and quiet logs before anything imports it."""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="osintdesk-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ.pop("PREFECT_API_URL", None)
os.environ.pop("OSINTDESK_STORE_URL", None)  # a developer's shared store is never a test's
# derived reference data are cached per test session, never in the developer's own cache
os.environ["OSINTDESK_CACHE_DIR"] = tempfile.mkdtemp(prefix="osintdesk-cache-")
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


# -- the review store on both engines ------------------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """One throwaway PostgreSQL server per session (tests/fixtures/pg.py), or the reason
    there is none (a str): the tests that need it skip with that one line."""
    from fixtures import pg

    try:
        server = pg.start()
    except pg.NoServer as exc:
        yield f"PostgreSQL store tests skipped: no server could be started here: {exc}"
        return
    try:
        yield server
    finally:
        server.stop()


_databases = itertools.count(1)


@pytest.fixture()
def pg_url(pg_server: Any) -> Iterator[str]:
    """A new, empty database on the session's server, dropped afterwards."""
    import psycopg

    if isinstance(pg_server, str):
        pytest.skip(pg_server)
    name = f"store_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(pg_server.url(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield pg_server.url(name)
    with psycopg.connect(pg_server.url(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str | None:
    """Each store test runs twice: on the embedded SQLite file (None: ``OUT/review.sqlite``)
    and on a PostgreSQL database (its URL)."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("pg_url")
    return url
