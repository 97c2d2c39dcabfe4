"""The local warehouse is the live analytical copy of the OLTP claims: same facts, kept in step."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from command_center import business, resolver
from command_center.db.models import Claim, Customer, Device
from command_center.db.session import get_engine
from command_center.ops.ingest import ingest_events
from command_center.settings import PROJECT_ROOT, Settings, get_settings
from command_center.warehouse import factory
from command_center.warehouse.oltp import GapTracker, safe_mark
from command_center.warehouse.store import (
    META_TABLE,
    QUALIFIED_TABLE,
    connect_readonly,
    current_snapshot,
    read_meta,
)
from command_center.warehouse.sync import WarehouseSync
from tests.api_helpers import prepared


@pytest.fixture
def world(settings_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Migrated + seeded SQLite OLTP (60 customers, 45 days) and its warehouse."""
    monkeypatch.setenv("SEED_CUSTOMERS", "60")
    get_settings.cache_clear()
    with prepared() as settings:
        yield settings


def _rows(settings: Settings, sql: str) -> list[tuple]:
    snapshot = current_snapshot(settings.warehouse_path)
    assert snapshot is not None
    with contextlib.closing(connect_readonly(snapshot.file)) as conn:
        return conn.execute(sql).fetchall()


def _claim(settings: Settings, claim_id: str) -> tuple | None:
    found = _rows(
        settings,
        f"SELECT claim_status, payout_amount, resolved_at FROM {QUALIFIED_TABLE} "
        f"WHERE claim_id = '{claim_id}'",
    )
    return found[0] if found else None


def _device() -> tuple[str, str]:
    """An enrolled seeded device and its customer (external ids)."""
    with get_engine().connect() as conn:
        row = conn.execute(
            select(Device.external_id, Customer.external_id)
            .join(Customer, Customer.id == Device.customer_id)
            .where(Device.plan_id.is_not(None))
            .order_by(Device.id)
            .limit(1)
        ).one()
    return row[0], row[1]


def _file(claim_id: str) -> dict:
    device, customer = _device()
    return {
        "event_id": f"e-{uuid.uuid4().hex}",
        "type": "claim_filed",
        "claim_id": claim_id,
        "customer_id": customer,
        "device_id": device,
        "loss_type": "theft",
        "channel": "web",
    }


def _event(type_: str, claim_id: str, **extra: object) -> dict:
    return {"event_id": f"e-{uuid.uuid4().hex}", "type": type_, "claim_id": claim_id, **extra}


def _ingest(*events: dict) -> None:
    result = ingest_events(list(events), engine=get_engine())
    assert result.rejected == [] and result.accepted == len(events)


def test_every_oltp_claim_is_an_ev_claim_row_spelled_the_same(world: Settings) -> None:
    with get_engine().connect() as conn:
        oltp = conn.execute(
            select(
                Claim.external_id,
                Claim.status,
                Claim.region,
                Claim.channel,
                Device.make,
                Claim.loss_type,
                Claim.payout_amount,
                Claim.filed_at,
                Claim.resolved_at,
            ).join(Device, Device.id == Claim.device_id)
        ).all()
    warehouse = {
        row[0]: row[1:]
        for row in _rows(
            world,
            "SELECT claim_id, claim_status, region, channel, device_make, loss_type, "
            f"payout_amount, created_at, resolved_at FROM {QUALIFIED_TABLE}",
        )
    }
    assert len(oltp) > 20
    for claim_id, status, region, channel, make, loss, payout, filed, resolved in oltp:
        strip = lambda t: t.replace(tzinfo=None) if t else t  # noqa: E731
        assert warehouse[claim_id] == (
            status, region, channel, make, loss, payout, strip(filed), strip(resolved)
        ), claim_id  # fmt: skip
    meta = read_meta(world.warehouse_path)
    assert meta is not None
    assert len(warehouse) == world.warehouse_rows  # OLTP claims + history = WAREHOUSE_ROWS
    history_end = _rows(world, f"SELECT max(created_at) FROM {QUALIFIED_TABLE} "
                               "WHERE claim_id LIKE 'CLM-H%'")[0][0]  # fmt: skip
    assert history_end < min(strip(row[7]) for row in oltp)


def test_sync_applies_new_and_changed_claims_and_is_idempotent(world: Settings) -> None:
    job = WarehouseSync(world, interval=1, gap_grace=0)
    assert job.step() is not None  # nothing new yet: no new snapshot
    version = current_snapshot(world.warehouse_path).version  # type: ignore[union-attr]
    _ingest(_file("CLM-SYNC-1"))
    result = job.step()
    assert result is not None and result.claims == 1
    assert _claim(world, "CLM-SYNC-1")[0] == "filed"  # type: ignore[index]
    assert current_snapshot(world.warehouse_path).version != version  # type: ignore[union-attr]
    count = _rows(world, f"SELECT count(*) FROM {QUALIFIED_TABLE}")[0][0]

    # the same batch again (mark moved back): same rows, same count
    import duckdb

    with contextlib.closing(duckdb.connect(str(world.warehouse_path))) as conn:
        hwm = int(
            conn.execute(f"SELECT value FROM {META_TABLE} WHERE key='sync_hwm'").fetchone()[0]
        )
        conn.execute(f"UPDATE {META_TABLE} SET value = '{hwm - 1}' WHERE key = 'sync_hwm'")
    again = job.step()
    assert again is not None and again.claims == 1 and again.hwm == hwm
    assert _rows(world, f"SELECT count(*) FROM {QUALIFIED_TABLE}")[0][0] == count
    assert _rows(world, f"SELECT count(*) FROM {QUALIFIED_TABLE} "
                        "WHERE claim_id = 'CLM-SYNC-1'")[0][0] == 1  # fmt: skip


def test_a_caught_up_sync_skips_idle_steps_until_something_changes(
    world: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Idle steps do not open the warehouse; a new event, or a touched working file, does."""
    from command_center.warehouse import sync as sync_module

    job = WarehouseSync(world, interval=1, gap_grace=0)
    caught_up = job.step()
    assert caught_up is not None
    opened: list[Path] = []
    real_connect = sync_module.connect_writer
    monkeypatch.setattr(
        sync_module, "connect_writer", lambda path: opened.append(path) or real_connect(path)
    )
    idle = job.step()
    assert opened == [] and idle is not None
    assert (idle.claims, idle.hwm, idle.seq) == (0, caught_up.hwm, caught_up.seq)
    _ingest(_file("CLM-SYNC-IDLE"))
    assert job.step().claims == 1 and len(opened) == 1  # type: ignore[union-attr]
    assert job.step().claims == 0 and len(opened) == 1  # type: ignore[union-attr]
    world.warehouse_path.touch()  # someone else wrote the working file: look again
    job.step()
    assert len(opened) == 2


def test_two_status_changes_between_syncs_land_in_the_last_status(world: Settings) -> None:
    job = WarehouseSync(world, interval=1, gap_grace=0)
    _ingest(_file("CLM-SYNC-2"))
    job.step()
    _ingest(_event("claim_approved", "CLM-SYNC-2"))
    _ingest(_event("claim_fulfilled", "CLM-SYNC-2", payout_amount=321.5))
    result = job.step()
    assert result is not None and result.events == 2 and result.claims == 1
    status, payout, resolved = _claim(world, "CLM-SYNC-2")  # type: ignore[misc]
    assert (status, float(payout)) == ("fulfilled", 321.5) and resolved is not None


def test_restart_resumes_from_the_stored_high_water_mark(world: Settings) -> None:
    first = WarehouseSync(world, interval=1, gap_grace=0)
    _ingest(_file("CLM-SYNC-3"))
    mark = first.step().hwm  # type: ignore[union-attr]
    first.release()
    _ingest(_event("claim_review_started", "CLM-SYNC-3"))
    restarted = WarehouseSync(world, interval=1, gap_grace=0)  # a new process: nothing in memory
    result = restarted.step()
    assert result is not None and result.events == 1 and result.hwm > mark
    assert _claim(world, "CLM-SYNC-3")[0] == "in_review"  # type: ignore[index]


def test_mark_waits_below_a_fresh_gap_then_moves_past_it() -> None:
    gaps = GapTracker()
    assert safe_mark(10, [11, 12, 14], gaps, grace=5.0, now=100.0) == 12
    assert safe_mark(12, [14, 15], gaps, grace=5.0, now=103.0) == 12  # 13 still in grace
    assert safe_mark(12, [13, 14, 15], gaps, grace=5.0, now=104.0) == 15  # 13 arrived
    assert safe_mark(15, [17], gaps, grace=5.0, now=110.0) == 15
    assert safe_mark(15, [17], gaps, grace=5.0, now=116.0) == 17  # 16 given up (rolled back)
    assert safe_mark(20, [], gaps, grace=5.0, now=0.0) == 20
    assert safe_mark(20, [22], None, grace=0.0, now=0.0) == 22


async def test_warehouse_widget_moves_when_the_warehouse_advances(world: Settings) -> None:
    spec = {
        "type": "kpi",
        "title": "Warehouse claims today",
        "data_intent": {"metric": "claim_volume_l3_asurion", "window_days": 1},
    }
    first = await resolver.resolve_widget_data("w-sync", spec)
    again = await resolver.resolve_widget_data("w-sync", spec)
    assert again.cached and again.rows == first.rows
    assert first.as_of and first.warehouse_version
    _ingest(_file("CLM-SYNC-4"))
    WarehouseSync(world, interval=1, gap_grace=0).step()
    moved = await resolver.resolve_widget_data("w-sync", spec)
    assert not moved.cached
    assert moved.rows[0]["value"] == first.rows[0]["value"] + 1
    assert moved.warehouse_version != first.warehouse_version
    await resolver.drain_background()


WORKER = """
import sys
from command_center.settings import get_settings
from command_center.warehouse.sync import WarehouseSync
job = WarehouseSync(get_settings(), interval=1)
print("lead" if job.try_lead() else "stand-by", flush=True)
sys.stdin.read()  # hold the lock until the parent closes stdin
"""


def test_two_workers_start_one_sync_runs(world: Settings) -> None:
    env = {"DATA_DIR": str(world.data_dir), "PYTHONPATH": str(PROJECT_ROOT)}
    import os

    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER],
            env={**os.environ, **env},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        roles = sorted(w.stdout.readline().strip() for w in workers)  # type: ignore[union-attr]
        assert roles == ["lead", "stand-by"]
        assert not WarehouseSync(world).try_lead()  # a third one stands by too
    finally:
        for w in workers:
            w.stdin.close()  # type: ignore[union-attr]
            w.wait(timeout=30)
    follower = WarehouseSync(world)
    assert follower.try_lead()  # the leader is gone: the next one takes over
    follower.release()


# warehouse dimension -> how the operational twin spells it
TWIN_COLUMN = {
    "claim_status": "status",
    "region": "region",
    "channel": "channel",
    "loss_type": "loss_type",
}
JOINED_COLUMN = {
    "product_name": "COALESCE(p.name, 'No plan')",
    "plan_tier": f"COALESCE(p.tier, '{business.NO_PLAN.tier}')",
    "device_make": "d.make",
    "device_model": "d.model",
}


async def _operational(dimension: str, window: int) -> dict[str, int]:
    """The twin `claims_filed` (compiled from the catalog) or, for the plan and device
    columns the claims table does not carry, the same count over its joins."""
    from command_center.metrics.definitions import seeded_metric
    from command_center.sql.generator import generate_sql
    from command_center.sql.intent import DataIntent

    oltp = factory.warehouse_for("postgres")
    if dimension in TWIN_COLUMN:
        column = TWIN_COLUMN[dimension]
        intent = DataIntent(metric="claims_filed", dimensions=[column], window_days=window)
        sql = generate_sql(seeded_metric("claims_filed"), intent, oltp.dialect).sql
    else:
        column = "k"
        sql = (
            f"SELECT {JOINED_COLUMN[dimension]} AS k, COUNT(*) AS value FROM claims c "
            "JOIN devices d ON d.id = c.device_id LEFT JOIN plans p ON p.id = d.plan_id "
            f"WHERE c.filed_at >= DATETIME('now', '-{window} days') GROUP BY 1"
        )
    rows = (await oltp.query(sql)).rows
    return {row[column]: row["value"] for row in rows}


@pytest.mark.parametrize(
    "metric",
    ["claim_volume_l3_asurion", "claims_by_product_l3_asurion", "claim_status_mix_l3_asurion"],
)
async def test_warehouse_metrics_equal_their_operational_twins(
    world: Settings, metric: str
) -> None:
    from command_center.metrics.definitions import seeded_metric

    definition = seeded_metric(metric)
    checked = 0
    for window in (1, 7, 30, world.oltp_retention_days - 1):
        for dimension in definition.dimensions:
            spec = {
                "type": "table",
                "title": "twin",
                "data_intent": {"metric": metric, "dimensions": [dimension], "window_days": window},
            }
            data = await resolver.resolve_widget_data(f"twin-{dimension}-{window}", spec)
            warehouse = {row[dimension]: row["value"] for row in data.rows}
            assert warehouse == await _operational(dimension, window), (metric, dimension, window)
            checked += sum(warehouse.values())
    assert checked > 0
    await resolver.drain_background()


def test_history_ends_at_the_retention_cutoff_when_the_oldest_claim_is_younger(
    world: Settings,
) -> None:
    """Quiet first days of the OLTP's retention stay the OLTP's: generated history never
    reaches into them (it did, whenever the seed's first claim came late)."""
    import datetime as dt

    from sqlalchemy import text

    from command_center.warehouse.oltp import OltpSource

    with get_engine().begin() as conn:
        conn.execute(text("UPDATE claims SET filed_at = datetime(filed_at, '+10 days')"))
        oldest = conn.execute(text("SELECT MIN(filed_at) FROM claims")).scalar_one()
    retention = world.oltp_retention_days
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=retention)
    boundary = OltpSource(get_engine()).facts(retention).boundary
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=retention)
    assert before - dt.timedelta(seconds=1) <= boundary <= after
    assert boundary < dt.datetime.fromisoformat(str(oldest))


def test_sync_is_off_with_databricks_or_a_zero_interval(
    settings_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from command_center.warehouse.sync import sync_enabled

    assert sync_enabled(get_settings())
    monkeypatch.setenv("WAREHOUSE_SYNC_SECONDS", "0")
    get_settings.cache_clear()
    assert not sync_enabled(get_settings())
    monkeypatch.setenv("WAREHOUSE_SYNC_SECONDS", "2")
    for name, value in [
        ("HOST", "x.cloud.databricks.com"),
        ("HTTP_PATH", "/sql/1"),
        ("TOKEN", "t"),
    ]:
        monkeypatch.setenv(f"DATABRICKS_{name}", value)
    get_settings.cache_clear()
    assert get_settings().warehouse_mode == "databricks" and not sync_enabled(get_settings())
