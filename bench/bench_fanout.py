"""Event accepted → dashboard message received, vs a raw Redis PUBLISH → SUBSCRIBE round trip.

Uses the Redis at --redis (keys/channels under a throwaway prefix) and an in-memory SQLite
OLTP database, so the figure is the live path (ingest, KPI delta, hot keys, coalescing
publisher, fan-out) rather than database latency. Run: python bench/bench_fanout.py
"""

from __future__ import annotations

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))
import argparse
import asyncio
import statistics
import time
import uuid

import redis.asyncio as aioredis
from sqlalchemy.pool import StaticPool
from sqlmodel import create_engine

from bench.results import emit
from command_center.ops.fixtures import create_reference_data, customer_id, device_id
from command_center.ops.live import LiveOps
from command_center.settings import Settings


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def raw_round_trip(url: str, prefix: str, n: int) -> list[float]:
    publisher = aioredis.Redis.from_url(url)
    subscriber = aioredis.Redis.from_url(url)
    pubsub = subscriber.pubsub()
    channel = f"{prefix}raw"
    await pubsub.subscribe(channel)
    await pubsub.get_message(timeout=1)  # subscribe confirmation
    samples = []
    for i in range(n):
        started = time.perf_counter()
        await publisher.publish(channel, str(i))
        while (await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)) is None:
            pass
        samples.append((time.perf_counter() - started) * 1000)
    await pubsub.aclose()
    await publisher.aclose()
    await subscriber.aclose()
    return samples


async def live_round_trip(url: str, prefix: str, n: int, interval: float) -> list[float]:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_reference_data(engine, customers=50, devices_per_customer=1)
    settings = Settings(redis_url=url, redis_key_prefix=prefix)
    live = LiveOps(settings, engine=engine, tick_seconds=3600, publish_interval=interval)
    await live.start()
    samples = []
    try:
        async with live.fanout.subscribe() as consumer:
            for i in range(n):
                c = 1 + i % 50
                event = {
                    "event_id": f"b{interval}-{i}",
                    "type": "claim_filed",
                    "claim_id": f"CLM-B{i}",
                    "customer_id": customer_id(c),
                    "device_id": device_id(c, 1),
                    "loss_type": "theft",
                    "channel": "app",
                }
                result = await live.ingest([event])
                accepted = time.perf_counter()
                assert result.accepted == 1
                while True:
                    item = await consumer.get(5)
                    ids = {e["event_id"] for e in item.get("events", [])}
                    if item["kind"] == "update" and event["event_id"] in ids:
                        break
                samples.append((time.perf_counter() - accepted) * 1000)
                await asyncio.sleep(0.06)  # let the coalescing window pass between events
    finally:
        await live.stop()
    return samples


async def run(url: str, n: int) -> None:
    prefix = f"bench:{uuid.uuid4().hex[:8]}:"
    raw = await raw_round_trip(url, prefix, n)
    live = await live_round_trip(url, prefix, n, 0.05)
    client = aioredis.Redis.from_url(url)
    keys = [k async for k in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
    for name, samples in (("raw PUBLISH→SUBSCRIBE", raw), ("accepted→received", live)):
        print(
            f"{name:24s} p50 {statistics.median(samples):7.2f} ms  p95 {pct(samples, 0.95):7.2f} ms"
        )
    emit(
        "event accepted → message at a subscriber (Redis)",
        f"p50 {statistics.median(live):.2f} ms, p95 {pct(live, 0.95):.2f} ms",
        f"raw PUBLISH→SUBSCRIBE p50 {statistics.median(raw):.2f} ms, p95 {pct(raw, 0.95):.2f} ms",
        pct(live, 0.95) / pct(raw, 0.95),
        "p95 ≤ 3×",
        pct(live, 0.95) / pct(raw, 0.95) <= 3,
    )
    print(
        f"ratio p50 {statistics.median(live) / statistics.median(raw):.1f}x  "
        f"p95 {pct(live, 0.95) / pct(raw, 0.95):.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.redis, args.n))


if __name__ == "__main__":
    main()
