"""The seeded demo data on SQLite and on PostgreSQL, for tests that compare a previewed widget
with hand-written SQL over the same rows (tests/test_semantic_rates.py, ..._joins.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from command_center.settings import get_settings
from tests.api_helpers import prepared


@contextmanager
def seeded_database(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The seeded demo data on the OLTP database `request.param` names ("sqlite": the
    embedded file, "postgres": a fresh PostgreSQL database), 400 customers."""
    if request.param == "postgres":
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("pg_url"))
    monkeypatch.setenv("SEED_CUSTOMERS", "400")
    get_settings.cache_clear()
    with prepared():
        yield


@pytest.fixture(params=["sqlite", "postgres"])
def seeded(
    request: pytest.FixtureRequest, settings_env: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The seeded demo data on the embedded SQLite OLTP database and on PostgreSQL."""
    with seeded_database(request, monkeypatch):
        yield


def since_30_days() -> datetime:
    """The trailing 30-day window's start, as the compiler's CURRENT_TIMESTAMP - 30 days
    (naive UTC, as the columns store it)."""
    return datetime.now(UTC).replace(tzinfo=None) - timedelta(days=30)
