"""Compiled OLTP metrics run on the embedded SQLite database and match Python counts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from command_center.db.migrate import upgrade_to_head
from command_center.db.models import utcnow
from command_center.db.seed import seed_demo
from command_center.db.session import engine_for
from command_center.metrics.definitions import SEEDED_METRICS, seeded_metric
from command_center.sql.compiler import compile_metric_sql, transpile_for
from command_center.sql.intent import DataIntent

OLTP_METRICS = [m.id for m in SEEDED_METRICS if m.backend == "postgres"]


@pytest.fixture(scope="module")
def seeded_sqlite(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'oltp.db'}"
    upgrade_to_head(url)
    seed_demo(engine_for(url), customers=300, now=utcnow())
    return url


def _rows(url: str, sql: str) -> list[tuple]:
    with engine_for(url).connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql)).all()]


@pytest.mark.parametrize("metric_id", OLTP_METRICS)
def test_every_oltp_metric_runs_on_sqlite(seeded_sqlite, metric_id) -> None:
    metric = seeded_metric(metric_id)
    sql = transpile_for(compile_metric_sql(metric, DataIntent(metric=metric_id)), "sqlite")
    rows = _rows(seeded_sqlite, sql)
    assert len(rows) == 1 and rows[0][0] is not None


def test_window_and_filter_match_python_count(seeded_sqlite) -> None:
    metric = seeded_metric("claims_filed")
    intent = DataIntent(
        metric="claims_filed", dimensions=["region"], window_days=7, filters={"channel": "app"}
    )
    got = dict(_rows(seeded_sqlite, transpile_for(compile_metric_sql(metric, intent), "sqlite")))
    cutoff = utcnow() - timedelta(days=7)
    expected: dict[str, int] = {}
    with engine_for(seeded_sqlite).connect() as conn:
        for region, channel, filed_at in conn.execute(
            text("SELECT region, channel, filed_at FROM claims")
        ):
            filed = datetime.fromisoformat(filed_at).replace(tzinfo=None)  # SQLite: UTC text
            if channel == "app" and filed >= cutoff.replace(tzinfo=None):
                expected[region] = expected.get(region, 0) + 1
    assert got == expected
    assert sum(expected.values()) > 0


def test_daily_series_on_sqlite_is_ordered_by_day(seeded_sqlite) -> None:
    metric = seeded_metric("claims_filed")
    intent = DataIntent(metric="claims_filed", dimensions=["day"], window_days=14)
    rows = _rows(seeded_sqlite, transpile_for(compile_metric_sql(metric, intent), "sqlite"))
    days = [day for day, _ in rows]
    assert days == sorted(days) and len(days) >= 5
    assert all(len(day) == 10 and day[4] == "-" for day in days)  # 'YYYY-MM-DD'
    total = sum(count for _, count in rows)
    flat = _rows(
        seeded_sqlite,
        transpile_for(
            compile_metric_sql(metric, DataIntent(metric="claims_filed", window_days=14)), "sqlite"
        ),
    )
    assert total == flat[0][0]
