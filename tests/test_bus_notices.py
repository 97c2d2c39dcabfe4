"""Notices (layout/widget/simulator changes) on the dashboard bus: never merged with KPI
messages or each other, delivered to every consumer as they are, never versioned."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from command_center.realtime import notices
from command_center.realtime.bus import InProcessBus
from command_center.realtime.fanout import FanOut
from command_center.realtime.hotkeys import Snapshot


async def _snapshot() -> Snapshot:
    return Snapshot(1, {"open_claims": 1})


@pytest.fixture
async def live_bus() -> AsyncIterator[tuple[InProcessBus, FanOut]]:
    """An in-process bus and its fan-out, subscribed and live."""
    bus = InProcessBus(interval=0.05)
    fanout = FanOut(bus, _snapshot)
    await bus.start()
    await fanout.start()
    assert await fanout.wait_live(5)
    try:
        yield bus, fanout
    finally:
        await fanout.stop()
        await bus.close()


async def test_notices_reach_every_consumer_unmerged(live_bus: tuple[InProcessBus, FanOut]) -> None:
    bus, fanout = live_bus
    async with fanout.subscribe() as one, fanout.subscribe() as two:
        await bus.publish({"version": 2, "kpis": {"open_claims": 2}, "events": []})
        await bus.publish(notices.notice(notices.LAYOUT, dashboard_id=1, origin="a"))
        await bus.publish(notices.notice(notices.WIDGETS, dashboard_id=1, action="added"))
        for consumer in (one, two):
            seen = []
            async with asyncio.timeout(5):
                while len([i for i in seen if i["kind"] == "notice"]) < 2:
                    seen.append(await consumer.get())
            topics = [i["topic"] for i in seen if i["kind"] == "notice"]
            assert topics == ["layout", "widgets"]
            assert all("kpis" not in i for i in seen if i["kind"] == "notice")
        assert fanout.version <= 2  # a notice never moves the KPI version


async def test_a_notices_only_consumer_is_never_woken_by_kpi_traffic(
    live_bus: tuple[InProcessBus, FanOut],
) -> None:
    """A tab's widget refresh loop listens for notices only: no snapshot, update or status."""
    bus, fanout = live_bus
    async with fanout.subscribe(notices_only=True) as quiet, fanout.subscribe() as kpis:
        for version in (2, 3, 4):
            await bus.publish({"version": version, "kpis": {"open_claims": version}})
        await bus.publish(notices.notice(notices.WIDGETS, dashboard_id=1, action="added"))
        async with asyncio.timeout(5):
            while (await kpis.get())["kind"] != "notice":
                pass
        assert (await quiet.get(5))["topic"] == "widgets"
        assert quiet.queue.empty()
        assert fanout.consumer_count == 1  # connected dashboards, not refresh loops


async def test_publish_notice_without_a_running_runtime_is_a_no_op() -> None:
    assert await notices.publish_notice(notices.LAYOUT, dashboard_id=1) is False
