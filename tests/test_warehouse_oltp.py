"""OltpWarehouse: read-only queries on PostgreSQL (pg_url) and on the embedded SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from command_center.warehouse.errors import (
    WarehouseQueryError,
    WarehouseTimeout,
    WarehouseUnavailable,
)
from command_center.warehouse.postgres import OltpWarehouse

SETUP = [
    "CREATE TABLE claims (id INTEGER PRIMARY KEY, status VARCHAR(20), payout_amount NUMERIC(10,2),"
    " filed_at TIMESTAMP)",
]


def _seed(url: str, rows: int = 150) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in SETUP:
                conn.execute(text(statement))
            conn.execute(
                text(
                    "INSERT INTO claims (id, status, payout_amount, filed_at) "
                    "VALUES (:id, :status, :payout, '2025-01-02 03:04:05')"
                ),
                [
                    {"id": i, "status": "fulfilled" if i % 2 else "filed", "payout": 10.5 + i}
                    for i in range(rows)
                ],
            )
    finally:
        engine.dispose()


@pytest.fixture(params=["postgres", "sqlite"])
def oltp(request: pytest.FixtureRequest, tmp_path) -> Iterator[OltpWarehouse]:
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{tmp_path / 'oltp.db'}"
    _seed(url)
    warehouse = OltpWarehouse(url, timeout=10)
    yield warehouse
    warehouse.close()


async def test_query_json_safe(oltp: OltpWarehouse) -> None:
    result = await oltp.query(
        "SELECT status, COUNT(*) AS n, SUM(payout_amount) AS total, MAX(filed_at) AS last "
        "FROM claims WHERE status LIKE 'ful%' GROUP BY status"
    )
    assert result.columns == ["status", "n", "total", "last"]
    assert result.backend == oltp.name
    assert oltp.name in {"postgres", "sqlite"} and oltp.dialect == oltp.name
    row = result.rows[0]
    assert row["status"] == "fulfilled" and row["n"] == 75
    assert isinstance(row["total"], float)
    assert row["last"].startswith("2025-01-02")
    json.dumps(result.model_dump(), allow_nan=False)


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO claims (id, status) VALUES (9999, 'x')",
        "UPDATE claims SET status = 'x'",
        "DROP TABLE claims",
        "SELECT * FROM no_such_table",
    ],
)
async def test_writes_rejected_and_bad_sql(oltp: OltpWarehouse, sql: str) -> None:
    with pytest.raises(WarehouseQueryError):
        await oltp.query(sql)
    result = await oltp.query("SELECT COUNT(*) AS n FROM claims WHERE id = 9999 OR status = 'x'")
    assert result.rows == [{"n": 0}]
    assert (await oltp.query("SELECT COUNT(*) AS n FROM claims")).rows == [{"n": 150}]


async def test_timeout(oltp: OltpWarehouse) -> None:
    slow = (
        "SELECT pg_sleep(5)"
        if oltp.name == "postgres"
        else "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
        "SELECT COUNT(*) FROM c"
    )
    with pytest.raises(WarehouseTimeout):
        await oltp.query(slow, timeout=0.2)
    # the connection is usable (and writable for the app) afterwards
    assert (await oltp.query("SELECT 1 AS one")).rows == [{"one": 1}]
    with oltp.engine.begin() as conn:
        conn.execute(text("UPDATE claims SET status = 'filed' WHERE id = 0"))


async def test_max_rows(oltp: OltpWarehouse) -> None:
    oltp.max_rows = 20
    result = await oltp.query("SELECT id FROM claims ORDER BY id")
    assert len(result.rows) == 20 and result.truncated


async def test_health_ok_and_failing(oltp: OltpWarehouse) -> None:
    health = await oltp.health()
    assert health.ok and health.rows_sampled == 100 and health.backend == oltp.name
    oltp.health_table = "missing_table"
    failed = await oltp.health()
    assert not failed.ok and failed.error_kind == "query"


async def test_unreachable_postgres_is_unavailable() -> None:
    warehouse = OltpWarehouse("postgresql+psycopg://postgres@127.0.0.1:1/none", timeout=2)
    try:
        with pytest.raises(WarehouseUnavailable):
            await warehouse.query("SELECT 1")
        health = await warehouse.health()
    finally:
        warehouse.close()
        warehouse.engine.dispose()
    assert not health.ok and health.error_kind == "unavailable"


def test_rejects_unknown_backend() -> None:
    with pytest.raises(ValueError):
        OltpWarehouse("mysql://x@localhost/db")
