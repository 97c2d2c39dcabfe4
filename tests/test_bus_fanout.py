"""Hot keys, coalescing bus and fan-out: in-process and on real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import create_engine

from command_center.ops.fixtures import create_reference_data, customer_id, device_id
from command_center.ops.live import LiveOps
from command_center.realtime.bus import InProcessBus, merge_messages
from command_center.realtime.fanout import Consumer, FanOut
from command_center.realtime.hotkeys import InProcessHotKeys, RedisHotKeys, Snapshot
from command_center.settings import Settings


def memory_engine() -> Engine:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_reference_data(engine, customers=3, devices_per_customer=1)
    return engine


def filed(n: int) -> dict[str, Any]:
    c = 1 + n % 3
    return {"event_id": f"f{n}", "type": "claim_filed", "claim_id": f"CLM-{n}",
            "customer_id": customer_id(c), "device_id": device_id(c, 1),
            "loss_type": "theft", "channel": "app"}  # fmt: skip


async def next_kind(consumer: Consumer, kind: str, timeout: float = 10) -> dict[str, Any]:
    while True:
        item = await consumer.get(timeout)
        if item["kind"] == kind:
            return item


async def until_version(consumer: Consumer, version: int, timeout: float = 10) -> dict[str, Any]:
    """Read until an item at `version` or newer arrives; return it."""
    while True:
        item = await consumer.get(timeout)
        if item.get("version", -1) >= version:
            return item


async def until_live(fanout: FanOut) -> None:
    """Wait until the fan-out has subscribed to the bus (messages before that are lost)."""
    async with asyncio.timeout(10):
        while fanout.status != "live":
            await asyncio.sleep(0.005)


@pytest.fixture(params=["in-process", "redis"])
async def live(request: pytest.FixtureRequest) -> AsyncIterator[LiveOps]:
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix")
        settings = Settings(redis_url=url, redis_key_prefix=prefix)
    else:
        settings = Settings(redis_url="")
    ops = LiveOps(settings, engine=memory_engine(), tick_seconds=3600)
    await ops.start()
    yield ops
    await ops.stop()


async def test_several_subscribers_get_snapshot_then_updates(live: LiveOps) -> None:
    fanout = live.fanout
    async with fanout.subscribe() as a, fanout.subscribe() as b, fanout.subscribe() as c:
        consumers = [a, b, c]
        firsts = [await next_kind(x, "snapshot") for x in consumers]
        assert len({f["version"] for f in firsts}) == 1
        assert live.fanout.consumer_count == 3
        for n in range(1, 6):
            await live.ingest([filed(n)])
        final = await live.current()
        for consumer in consumers:
            item = await until_version(consumer, final.version)
            assert item["kpis"]["open_claims"] == 5
            assert item["version"] == final.version
    assert live.fanout.consumer_count == 0


async def test_burst_is_coalesced_and_final_state_arrives(live: LiveOps) -> None:
    async with live.fanout.subscribe() as consumer:
        start = (await next_kind(consumer, "snapshot"))["version"]
        await asyncio.gather(*(live.ingest([filed(n)]) for n in range(1, 41)))
        final = await live.current()
        assert final.version >= start + 40
        received = []
        while True:
            item = await consumer.get(10)
            received.append(item)
            if item.get("version") == final.version:
                break
    updates = [i for i in received if i["kind"] == "update"]
    assert updates[-1]["kpis"]["open_claims"] == 40
    assert len(updates) < 40  # coalesced
    covered = {e["event_id"] for u in updates for e in u["events"]}
    assert covered == {f"f{n}" for n in range(1, 41)}
    versions = [u["version"] for u in updates]
    assert versions == sorted(versions)
    # consecutive messages chain without gaps: from_version follows the previous version
    previous = start
    for update in updates:
        assert update["from_version"] <= previous + 1
        previous = update["version"]


async def test_version_gap_triggers_resync_from_snapshot() -> None:
    hotkeys = InProcessHotKeys()
    bus = InProcessBus(interval=0.01)
    await hotkeys.write({"open_claims": 1})
    fanout = FanOut(bus, hotkeys.read)
    await bus.start()
    await fanout.start()
    await until_live(fanout)
    try:
        async with fanout.subscribe() as consumer:
            first = await next_kind(consumer, "snapshot")
            assert first["version"] == 1
            for _ in range(3):  # the truth moves on; versions 2-4 are never published (lost)
                await hotkeys.write({"open_claims": 7})
            snapshot = await hotkeys.write({"open_claims": 9})
            message = {**snapshot.as_dict(), "from_version": 6, "event": None, "events": []}
            await bus.publish({**message, "version": 6, "kpis": {"open_claims": 10}})
            resync = await next_kind(consumer, "snapshot")
            assert resync["resync"] is True
            assert resync["version"] == 5 and resync["kpis"] == {"open_claims": 9}
            update = await next_kind(consumer, "update")
            assert update["version"] == 6
            assert fanout.resyncs >= 2
    finally:
        await fanout.stop()
        await bus.close()


async def test_slow_consumer_overflow_gets_a_fresh_snapshot() -> None:
    hotkeys = InProcessHotKeys()
    bus = InProcessBus(interval=0.0)
    await hotkeys.write({"n": 0})
    fanout = FanOut(bus, hotkeys.read, queue_size=4)
    await bus.start()
    await fanout.start()
    await until_live(fanout)
    try:
        async with fanout.subscribe() as consumer:
            for n in range(1, 21):
                snap = await hotkeys.write({"n": n})
                await bus.publish({**snap.as_dict(), "from_version": snap.version, "events": []})
                await bus.flush()
            item = await until_version(consumer, 21)
            assert item["kpis"] == {"n": 20}
            assert consumer.queue.qsize() <= 4
    finally:
        await fanout.stop()
        await bus.close()


def test_merge_keeps_earliest_from_version_and_all_events() -> None:
    a = {"version": 3, "from_version": 3, "kpis": {"x": 1}, "event": {"event_id": "a"},
         "events": [{"event_id": "a"}]}  # fmt: skip
    b = {"version": 4, "from_version": 4, "kpis": {"x": 2}, "event": {"event_id": "b"},
         "events": [{"event_id": "b"}]}  # fmt: skip
    merged = merge_messages(a, b)
    assert merged["version"] == 4 and merged["from_version"] == 3
    assert merged["kpis"] == {"x": 2}
    assert [e["event_id"] for e in merged["events"]] == ["a", "b"]


async def test_redis_hot_keys_are_atomic_and_monotonic(redis_url: str, redis_prefix: str) -> None:
    keys = RedisHotKeys(redis_url, redis_prefix)
    try:
        assert await keys.read() is None
        written = await asyncio.gather(*(keys.write({"n": n}) for n in range(50)))
        assert sorted(s.version for s in written) == list(range(1, 51))
        latest = await keys.read()
        assert isinstance(latest, Snapshot) and latest.version == 50
        assert latest.kpis == next(s.kpis for s in written if s.version == 50)
        # a floor above the stored version (Redis lost its data) keeps versions increasing
        bumped = await keys.write({"n": -1}, floor=500)
        assert bumped.version == 501 and (await keys.read()).version == 501
    finally:
        await keys.close()
