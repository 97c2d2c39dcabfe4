"""Reconcile corrects drift; the in-process simulator keeps incremental KPIs exact."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import update

from command_center.db.models import Claim
from command_center.ops.live import LiveOps
from command_center.ops.simulator import Simulator
from command_center.settings import Settings
from tests.test_bus_fanout import filed, memory_engine


async def test_reconcile_detects_and_corrects_drift() -> None:
    engine = memory_engine()
    live = LiveOps(Settings(redis_url=""), engine=engine, tick_seconds=3600)
    await live.start()
    try:
        await live.ingest([filed(1), filed(2), filed(3)])
        clean = await live.reconcile()
        assert clean.mismatches == {}
        with engine.begin() as conn:  # an out-of-band change the live state never saw
            conn.execute(update(Claim).where(Claim.external_id == "CLM-1").values(status="denied"))
        before = live.version
        report = await live.reconcile()
        assert report.mismatches["open_claims"] == (3, 2)
        assert report.corrected
        current = await live.current()
        assert current.kpis["open_claims"] == 2 and current.version > before
        assert (await live.reconcile()).mismatches == {}
    finally:
        await live.stop()


async def test_simulator_runs_in_process_and_kpis_stay_exact() -> None:
    live = LiveOps(Settings(redis_url=""), engine=memory_engine(), tick_seconds=3600)
    await live.start()
    simulator = Simulator(live, rate=200)
    try:
        simulator.start()
        assert simulator.running
        for _ in range(500):
            if simulator.sent >= 40:
                break
            await asyncio.sleep(0.01)
        await simulator.stop()
        assert not simulator.running and simulator.sent >= 40
        report = await live.reconcile()
        assert report.mismatches == {}
        assert report.recomputed["events_per_minute"] >= 40
    finally:
        await simulator.stop()
        await live.stop()


async def test_a_batch_retried_after_a_lost_commit_ack_leaves_kpis_equal_to_recompute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first attempt commits but its acknowledgement is lost (connection dropped after
    COMMIT); the retry finds every event stored (duplicates, no delta). The live state must
    be reloaded, not keep missing the batch."""
    from sqlalchemy.exc import OperationalError

    from command_center.ops import ingest

    real, calls = ingest._attempt, []

    def commit_then_lose_ack(*args: Any) -> Any:
        calls.append(1)
        ctx = real(*args)
        if len(calls) == 1:
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
        return ctx

    live = LiveOps(Settings(redis_url=""), engine=memory_engine(), tick_seconds=3600)
    await live.start()
    try:
        monkeypatch.setattr(ingest, "_attempt", commit_then_lose_ack)
        result = await live.ingest([filed(1), filed(2)])
        assert len(calls) == 2 and result.duplicates == 2
        await live._refresh_if_stale()  # what the next batch or tick does first
        assert (await live.reconcile()).mismatches == {}
    finally:
        await live.stop()
