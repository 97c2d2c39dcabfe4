"""Several app processes (workers) share one Redis and one database: no worker publishes
numbers that miss another worker's events."""

from __future__ import annotations

import asyncio

from sqlmodel import create_engine

from command_center.ops.fixtures import create_reference_data, customer_id, device_id
from command_center.ops.live import LiveOps
from command_center.settings import Settings


def _filed(n: int) -> dict:
    c = 1 + n % 3
    return {
        "event_id": f"mp{n}",
        "type": "claim_filed",
        "claim_id": f"CLM-MP{n}",
        "customer_id": customer_id(c),
        "device_id": device_id(c, 1),
        "loss_type": "theft",
        "channel": "app",
    }


async def _until(live: LiveOps, predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_workers_stay_consistent_across_processes(tmp_path, redis_url, redis_prefix) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    create_reference_data(engine, customers=3, devices_per_customer=1)
    settings = Settings(redis_url=redis_url, redis_key_prefix=redis_prefix)
    worker_a = LiveOps(settings, engine=engine, tick_seconds=0.05, reconcile_seconds=3600)
    worker_b = LiveOps(settings, engine=engine, tick_seconds=0.05, reconcile_seconds=3600)
    await worker_a.start()
    await worker_b.start()
    try:
        async with worker_b.fanout.subscribe() as consumer:
            await worker_a.ingest([_filed(1), _filed(2)])
            await _until(worker_b, lambda: worker_b.version >= worker_a.version)
            result = await worker_b.ingest([_filed(3)])
            assert result.accepted == 1
            latest = None
            async with asyncio.timeout(10):
                while latest is None or latest.get("version", 0) < worker_b.version:
                    latest = await consumer.get()
            # worker B's own publish counts worker A's two claims as well as its own
            assert latest["kpis"]["open_claims"] == 3
            assert (await worker_a.current()).kpis["open_claims"] == 3
            await asyncio.sleep(0.3)  # several ticks: nobody republishes a stale state
            assert (await worker_b.current()).kpis["open_claims"] == 3
    finally:
        await worker_a.stop()
        await worker_b.stop()
