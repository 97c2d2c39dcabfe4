"""Time series at every grain (hour/day/week/month) and by an event's date, on every dialect.

The same compiled query runs on SQLite, DuckDB and PostgreSQL and must bucket the same rows
exactly as Python does (hour start, day, Monday of the ISO week, first of the month).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import duckdb
import pytest
from sqlalchemy import text

from command_center.db.session import engine_for
from command_center.metrics.definitions import seeded_metric
from command_center.metrics.validation import MetricValidationError, validate_metric_definition
from command_center.sql.compiler import (
    CompileError,
    compile_metric_sql,
    default_window,
    transpile_for,
)
from command_center.sql.generator import generate_sql
from command_center.sql.intent import DataIntent

NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
DDL = (
    "CREATE TABLE claims (id INTEGER, status VARCHAR(20), region VARCHAR(40), "
    "filed_at TIMESTAMP, resolved_at TIMESTAMP)"
)
# (id, status, region, filed days ago, resolved days ago or None): hourly rows in the last
# 2 days, weekly ones within 12 weeks, monthly ones within the year, and two outside them
ROWS = [
    (1, "filed", "east", 0.1, None),
    (2, "fulfilled", "east", 0.4, 0.05),
    (3, "fulfilled", "west", 0.45, 0.3),
    (4, "denied", "west", 1.3, 1.2),
    (5, "fulfilled", "east", 9.0, 3.0),
    (6, "filed", "west", 16.0, None),
    (7, "fulfilled", "east", 40.0, 20.0),
    (8, "cancelled", "east", 75.0, 70.0),
    (9, "fulfilled", "west", 150.0, 100.0),
    (10, "fulfilled", "east", 300.0, 200.0),
    (11, "filed", "east", 400.0, None),
]


def _at(days: float | None) -> datetime | None:
    return None if days is None else NOW - timedelta(days=days)


def _records() -> list[tuple]:
    return [(i, st, rg, _at(f), _at(r)) for i, st, rg, f, r in ROWS]


def _bucket(grain: str, value: datetime) -> str:
    if grain == "hour":
        return value.strftime("%Y-%m-%d %H:00:00")
    day = value.date()
    if grain == "week":
        day -= timedelta(days=day.weekday())
    elif grain == "month":
        day = day.replace(day=1)
    return day.isoformat()


def _expected(grain: str, column: int, window_days: int) -> list[tuple[str, int]]:
    cutoff = NOW - timedelta(days=window_days)
    found = Counter(
        _bucket(grain, row[column])
        for row in _records()
        if row[column] is not None and row[column] >= cutoff
    )
    return sorted(found.items())


def _label(value: object, grain: str) -> str:
    if isinstance(value, datetime):
        return _bucket(grain, value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _run(execute: Callable[[str], list[tuple]], backend: str, intent: DataIntent) -> list[tuple]:
    sql = transpile_for(compile_metric_sql(seeded_metric("claims_filed"), intent), backend)
    grain = intent.dimensions[0]
    return [(_label(key, grain), int(count)) for key, count in execute(sql)]


# (grain, time column, column index in ROWS, window the compiler applies)
SERIES = [
    ("hour", None, 3, 2),
    ("day", None, 3, 30),
    ("week", None, 3, 84),
    ("month", None, 3, 365),
    ("week", "resolved_at", 4, 84),
    ("month", "resolved_at", 4, 365),
]


def _check_series(execute: Callable[[str], list[tuple]], backend: str) -> None:
    for grain, column, index, window in SERIES:
        intent = DataIntent(metric="claims_filed", dimensions=[grain], time_column=column)
        got = _run(execute, backend, intent)
        expected = _expected(grain, index, window)
        assert got == expected, (backend, grain, column)
        assert len(expected) >= 2 and all(count > 0 for _, count in got)


def test_every_grain_on_sqlite(tmp_path) -> None:
    con = sqlite3.connect(tmp_path / "oltp.db")
    con.execute(DDL)
    con.executemany(  # stored as SQLAlchemy stores UTC datetimes: 'YYYY-MM-DD HH:MM:SS'
        "INSERT INTO claims VALUES (?, ?, ?, ?, ?)",
        [(i, st, rg, f.isoformat(" "), r and r.isoformat(" ")) for i, st, rg, f, r in _records()],
    )
    _check_series(lambda sql: con.execute(sql).fetchall(), "sqlite")
    con.close()


def test_every_grain_on_duckdb() -> None:
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(DDL)
    con.executemany("INSERT INTO claims VALUES (?, ?, ?, ?, ?)", _records())
    _check_series(lambda sql: con.execute(sql).fetchall(), "duckdb")
    con.close()


def test_every_grain_on_postgres(pg_url: str) -> None:
    engine = engine_for(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(DDL)
        conn.execute(
            text("INSERT INTO claims VALUES (:i, :s, :r, :f, :d)"),
            [dict(zip("isrfd", row, strict=True)) for row in _records()],
        )
    with engine.connect() as conn:
        conn.exec_driver_sql("SET TIME ZONE 'UTC'")
        _check_series(
            lambda sql: [tuple(r) for r in conn.exec_driver_sql(sql).fetchall()], "postgres"
        )


def test_databricks_sql_of_each_grain() -> None:
    metric = seeded_metric("claims_filed")

    def sql(**kwargs: object) -> str:
        return compile_metric_sql(metric, DataIntent(metric=metric.id, **kwargs))

    assert sql(dimensions=["hour"]) == (
        "SELECT DATE_TRUNC('HOUR', filed_at) AS hour, COUNT(*) AS value FROM claims"
        " WHERE filed_at >= CURRENT_TIMESTAMP() - INTERVAL '2' DAY"
        " GROUP BY DATE_TRUNC('HOUR', filed_at) ORDER BY hour ASC NULLS LAST"
    )
    assert sql(dimensions=["month", "region"], time_column="resolved_at") == (
        "SELECT CAST(DATE_TRUNC('MONTH', resolved_at) AS DATE) AS month, region,"
        " COUNT(*) AS value FROM claims"
        " WHERE resolved_at >= CURRENT_TIMESTAMP() - INTERVAL '365' DAY"
        " AND NOT resolved_at IS NULL"
        " GROUP BY CAST(DATE_TRUNC('MONTH', resolved_at) AS DATE), region"
        " ORDER BY month ASC NULLS LAST"
    )
    weekly = sql(dimensions=["week"], period="last_month")
    assert "DATE_TRUNC('WEEK', filed_at)" in weekly and "INTERVAL '84'" not in weekly
    assert "INTERVAL '7' DAY" in sql(dimensions=["month"], window_days=7)


@pytest.mark.parametrize("backend", ["databricks", "duckdb", "postgres", "sqlite"])
@pytest.mark.parametrize("grain", ["hour", "week", "month"])
def test_grain_series_pass_the_safety_gate(backend: str, grain: str) -> None:
    metric = seeded_metric("claims_filed")
    intent = DataIntent(metric=metric.id, dimensions=[grain, "region"], time_column="resolved_at")
    generated = generate_sql(metric, intent, backend)
    assert generated.safety.passed and f"AS {grain}" in generated.sql


def test_default_window_by_grain() -> None:
    monthly = seeded_metric("claims_filed")  # default window 30 days
    assert default_window(monthly, "month") == 365
    assert default_window(monthly, "week") == 84
    assert default_window(monthly, "day") == 30
    assert default_window(monthly, "hour") == 2
    assert default_window(monthly, None) == 30
    backlog = seeded_metric("open_claims")  # all time: a month series stays all time
    assert default_window(backlog, "month") is None
    assert default_window(backlog, "hour") == 2


def test_time_column_must_be_a_date_of_the_metric_table() -> None:
    metric = seeded_metric("claims_filed")
    for column in ("payout_amount", "registered_at", "region", "nope"):
        with pytest.raises(CompileError) as info:
            compile_metric_sql(metric, DataIntent(metric=metric.id, time_column=column))
        assert info.value.field == "time_column" and info.value.name == column
    same = compile_metric_sql(metric, DataIntent(metric=metric.id, time_column="filed_at"))
    assert same == compile_metric_sql(metric, DataIntent(metric=metric.id))
    assert "IS NULL" not in same


def test_two_grains_are_refused() -> None:
    metric = seeded_metric("claims_filed")
    with pytest.raises(CompileError, match="time grain"):
        compile_metric_sql(metric, DataIntent(metric=metric.id, dimensions=["day", "week"]))


def test_unset_time_column_keeps_the_spec_dump() -> None:
    intent = DataIntent(metric="claims_filed", dimensions=["week"])
    assert "time_column" not in intent.model_dump()
    dumped = DataIntent(metric="claims_filed", time_column="resolved_at").model_dump()
    assert dumped["time_column"] == "resolved_at"


def test_a_metric_dimension_may_not_be_named_like_a_grain() -> None:
    metric = seeded_metric("claims_filed").model_copy(update={"dimensions": ["region", "week"]})
    with pytest.raises(MetricValidationError) as info:
        validate_metric_definition(metric)
    assert info.value.field == "dimensions"
