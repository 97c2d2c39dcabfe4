"""Every dashboard KPI tile is a catalog metric: the tile's number == the widget's number."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from command_center import resolver
from command_center.db.models import Claim, Event
from command_center.db.session import get_engine
from command_center.metrics.definitions import KPI_METRICS, seeded_metric
from command_center.ops.kpis import KPI_NAMES, recompute_kpis
from command_center.resolver import resolve_widget_data
from tests.seeded_demo import seeded_database


@pytest.fixture(params=["sqlite", "postgres"])
def seeded(
    request: pytest.FixtureRequest, settings_env: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """A seeded OLTP database (embedded SQLite, or PostgreSQL) with events in the last minute."""
    with seeded_database(request, monkeypatch):
        _fresh_rows()
        yield


def _fresh_rows() -> None:
    """Three events in the last minute, and the fresh claims below."""
    now = datetime.now(UTC)
    rows = [
        {
            "event_id": uuid.uuid4().hex,
            "type": "claim_filed",
            "occurred_at": now - timedelta(seconds=5 + i),
            "received_at": now,
            "subject_id": f"CLM-T{i}",
            "payload": {},
        }
        for i in range(3)
    ]
    with get_engine().begin() as conn:
        conn.execute(insert(Event), rows)
        _fresh_claims(conn, now)


def _fresh_claims(conn: Connection, now: datetime) -> None:
    """Claims that make every windowed tile non-zero whatever the hour: the seed spreads
    claims over days, so right after midnight UTC "filed today" may otherwise be empty."""
    ids = conn.execute(select(Claim.id).order_by(Claim.id).limit(4)).scalars().all()
    changes = [
        {"status": "approved", "filed_at": now - timedelta(seconds=2),
         "decided_at": now - timedelta(seconds=1), "resolved_at": None},
        {"status": "denied", "filed_at": now - timedelta(hours=3),
         "decided_at": now - timedelta(hours=2), "resolved_at": now - timedelta(hours=2)},
        {"status": "fulfilled", "filed_at": now - timedelta(hours=30),
         "decided_at": now - timedelta(hours=20), "resolved_at": now - timedelta(hours=1)},
        {"status": "filed", "filed_at": now - timedelta(days=3),
         "decided_at": None, "resolved_at": None},
    ]  # fmt: skip
    for claim_id, values in zip(ids, changes, strict=True):
        conn.execute(update(Claim).where(Claim.id == claim_id).values(**values))


def test_every_kpi_tile_has_a_catalog_metric() -> None:
    assert set(KPI_METRICS) == set(KPI_NAMES)
    for metric_id, _window in KPI_METRICS.values():
        assert seeded_metric(metric_id)


async def test_tile_equals_widget_for_every_kpi(seeded: None) -> None:
    with get_engine().connect() as conn:
        tiles = recompute_kpis(conn, datetime.now(UTC))
    for name, (metric_id, window_days) in KPI_METRICS.items():
        spec = {
            "type": "kpi",
            "title": name,
            "data_intent": {"metric": metric_id, "window_days": window_days},
        }
        data = await resolve_widget_data(f"parity-{name}", spec)
        widget = data.rows[0]["value"] if data.rows else None
        tile = tiles[name]
        assert tile not in (None, 0), f"{name}: the seed should give the tile a value"
        if isinstance(tile, float):
            assert widget is not None and round(float(widget), 2) == round(tile, 2), name
        else:
            assert widget == tile, f"{name}: tile {tile} != widget {widget}"
    await resolver.drain_background()
