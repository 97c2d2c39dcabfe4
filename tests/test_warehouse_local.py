"""LocalWarehouse: read-only DuckDB queries with JSON-safe rows and typed errors."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json

import pytest

from command_center.settings import Settings
from command_center.warehouse import local as local_module
from command_center.warehouse.base import json_safe, rows_to_dicts
from command_center.warehouse.errors import (
    WarehouseQueryError,
    WarehouseTimeout,
    WarehouseUnavailable,
)
from command_center.warehouse.generate import read_meta
from command_center.warehouse.local import LocalWarehouse


@pytest.fixture
def warehouse(settings: Settings):
    wh = LocalWarehouse(settings, timeout=10)
    yield wh
    wh.close()


async def test_query_returns_json_safe_rows(warehouse: LocalWarehouse, settings: Settings) -> None:
    result = await warehouse.query(
        "SELECT claim_id, created_at, payout_amount, deductible_amount, resolved_at "
        "FROM l3_asurion.ev_claim WHERE payout_amount IS NOT NULL ORDER BY claim_id LIMIT 5"
    )
    assert warehouse.name == "local" and warehouse.dialect == "duckdb"
    assert result.backend == "local"
    assert result.columns == [
        "claim_id",
        "created_at",
        "payout_amount",
        "deductible_amount",
        "resolved_at",
    ]
    assert len(result.rows) == 5
    row = result.rows[0]
    assert isinstance(row["payout_amount"], float)
    assert isinstance(row["deductible_amount"], float)
    assert isinstance(row["created_at"], str)
    dt.datetime.fromisoformat(row["created_at"])
    json.dumps(result.model_dump(), allow_nan=False)
    assert settings.warehouse_path.exists()
    assert read_meta(settings.warehouse_path)["rows"] == "5000"


async def test_aggregate_over_trailing_window(warehouse: LocalWarehouse) -> None:
    result = await warehouse.query(
        "SELECT product_name, COUNT(DISTINCT claim_id) AS claims FROM l3_asurion.ev_claim "
        "WHERE created_at >= CURRENT_DATE - INTERVAL 400 DAY GROUP BY 1 ORDER BY 2 DESC"
    )
    assert len(result.rows) >= 1
    assert sum(r["claims"] for r in result.rows) > 0
    everything = await warehouse.query(
        "SELECT COUNT(DISTINCT product_name) AS n FROM l3_asurion.ev_claim"
    )
    assert everything.rows == [{"n": 6}]


async def test_concurrent_queries(warehouse: LocalWarehouse) -> None:
    results = await asyncio.gather(
        *(
            warehouse.query(f"SELECT {i} AS i, COUNT(*) AS n FROM l3_asurion.ev_claim")
            for i in range(12)
        )
    )
    assert [r.rows[0]["i"] for r in results] == list(range(12))
    assert {r.rows[0]["n"] for r in results} == {5000}


async def test_max_rows_truncates(settings: Settings) -> None:
    wh = LocalWarehouse(settings, max_rows=10)
    try:
        result = await wh.query("SELECT claim_id FROM l3_asurion.ev_claim")
    finally:
        wh.close()
    assert len(result.rows) == 10 and result.truncated


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM l3_asurion.ev_claim",
        "CREATE TABLE l3_asurion.x AS SELECT 1",
        "SELECT * FROM read_csv('/etc/passwd')",
        "COPY l3_asurion.ev_claim TO '/tmp/leak.csv'",
        "SELECT * FROM l3_asurion.nope",
        "SELEC 1",
    ],
)
async def test_writes_files_and_bad_sql_are_query_errors(
    warehouse: LocalWarehouse, sql: str
) -> None:
    with pytest.raises(WarehouseQueryError) as info:
        await warehouse.query(sql)
    assert info.value.kind == "query" and info.value.backend == "local"
    # the warehouse still works afterwards
    assert (await warehouse.query("SELECT 1 AS one")).rows == [{"one": 1}]


async def test_timeout_interrupts_query(warehouse: LocalWarehouse) -> None:
    await warehouse.query("SELECT 1")  # generate first, outside the deadline
    with pytest.raises(WarehouseTimeout) as info:
        await warehouse.query("SELECT sum(hash(i)) FROM range(100000000000) r(i)", timeout=0.2)
    assert info.value.kind == "timeout"
    assert (await warehouse.query("SELECT 2 AS two")).rows == [{"two": 2}]


async def test_health_ok_and_failing(settings: Settings) -> None:
    wh = LocalWarehouse(settings)
    health = await wh.health()
    assert health.ok and health.rows_sampled == 100 and health.backend == "local"
    wh.close()
    failed = await wh.health()
    assert not failed.ok
    assert failed.error_kind == "unavailable"


async def test_health_reports_generation_failure(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(local_module, "ensure_local_warehouse", boom)
    wh = LocalWarehouse(settings)
    try:
        health = await wh.health()
        with pytest.raises(WarehouseUnavailable):
            await wh.query("SELECT 1")
    finally:
        wh.close()
    assert not health.ok and "disk full" in health.detail


async def test_new_snapshot_is_picked_up_while_old_queries_finish(settings: Settings) -> None:
    from command_center.warehouse.store import build_lock, connect_writer, publish

    wh = LocalWarehouse(settings)
    try:
        first = await wh.query("SELECT count(*) AS n FROM l3_asurion.ev_claim")
        old_version = wh.data_version()
        held, cursor = wh._acquire()  # a query still running on the old snapshot
        with build_lock(wh.path):
            with contextlib.closing(connect_writer(wh.path)) as conn:
                conn.execute("DELETE FROM l3_asurion.ev_claim WHERE claim_id LIKE 'CLM-H0000000%'")
                conn.execute("UPDATE l3_asurion._meta SET value = '7' WHERE key = 'sync_seq'")
                meta = dict(conn.execute("SELECT key, value FROM l3_asurion._meta").fetchall())
            publish(wh.path, meta)
        second = await wh.query("SELECT count(*) AS n FROM l3_asurion.ev_claim")
        assert second.rows[0]["n"] == first.rows[0]["n"] - 9
        assert second.data_version == wh.data_version() != old_version
        assert (
            cursor.execute("SELECT count(*) FROM l3_asurion.ev_claim").fetchone()[0]
            == (first.rows[0]["n"])
        )  # the running query keeps its snapshot
        wh._release(held, cursor)
        assert list(wh._open) == [wh.data_version()]  # the old snapshot was closed
    finally:
        wh.close()


def test_json_safe_conversions() -> None:
    from decimal import Decimal
    from uuid import UUID

    row = rows_to_dicts(
        ["a", "a", "b", "c", "d", "e", "f", "g"],
        [
            (
                Decimal("1.25"),
                dt.date(2024, 1, 2),
                dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
                float("nan"),
                b"\x00\x01",
                UUID(int=1),
                dt.timedelta(minutes=2),
                [Decimal("2.5"), {"x": Decimal("1")}],
            )
        ],
    )[0]
    assert row == {
        "a": 1.25,
        "a_2": "2024-01-02",
        "b": "2024-01-02T03:04:05+00:00",
        "c": None,
        "d": "AAE=",
        "e": "00000000-0000-0000-0000-000000000001",
        "f": 120.0,
        "g": [2.5, {"x": 1.0}],
    }
    json.dumps(row, allow_nan=False)
    assert json_safe(Decimal("NaN")) is None
