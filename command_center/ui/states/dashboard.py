"""Dashboard state: mode badges, live KPI tiles, event feed, claims by status, connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import reflex as rx

from command_center.ops.activity import recent_events, shared_claims_by_status
from command_center.realtime.notices import SIMULATOR as SIMULATOR_TOPIC
from command_center.realtime.notices import publish_notice
from command_center.realtime.pacing import min_render_interval
from command_center.settings import get_settings
from command_center.ui.states.connection import client_connected
from command_center.ui.states.guard import requires_role
from command_center.ui.states.loops import single_loop
from command_center.ui.states.session import SessionState
from command_center.ui.view_models.formatting import humanize
from command_center.ui.view_models.live_feed import FeedView, feed_entry

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 1.0  # the browser's watchdog calls the page stale after 3 s of silence
RETRY_SECONDS = 2.0


def current_modes() -> dict[str, str]:
    """Each backend's mode, as the header badges show it."""
    settings = get_settings()
    return {
        "database": settings.database_mode,
        "cache": settings.cache_mode,
        "llm": settings.builder_mode.value,
        "warehouse": "local warehouse" if settings.warehouse_mode == "local" else "databricks",
    }


class DashboardState(SessionState):
    """What the dashboard shows; updated by one background stream per tab."""

    modes: dict[str, str] = {}
    tiles: list[dict[str, str]] = []
    feed: list[dict[str, str]] = []
    status_counts: list[dict[str, Any]] = []
    version: int = 0
    connection: str = "connecting"
    loading: bool = True
    error: str = ""
    simulator_on: bool = False
    heartbeat: int = 0  # bumped at least every HEARTBEAT_SECONDS while the stream runs

    @rx.event
    @requires_role("viewer")
    def load(self) -> None:
        """Mode badges (the KPIs arrive from the stream)."""
        self.modes = current_modes()

    @rx.event(background=True)
    @requires_role("viewer")
    async def stream(self) -> None:
        """Subscribe to this process's fan-out and apply every newer KPI message.

        Runs while the tab is connected. Any failure — including the state manager itself
        being unreachable — keeps the last numbers on screen and retries.
        """
        from command_center.ops.live import get_live_ops

        token = self.router.session.client_token
        with single_loop("dashboard-stream", token) as mine:
            if not mine:
                return
            while client_connected(token):
                try:
                    live = await get_live_ops()
                    async with self:
                        self.simulator_on = _simulator_running(live)
                    async with live.fanout.subscribe() as consumer:
                        await self._consume(consumer, token, live.fanout)
                    return
                except Exception as exc:  # keep the last numbers, say so, and retry
                    log.warning("dashboard stream interrupted (%s); retrying", exc)
                    with contextlib.suppress(Exception):
                        async with self:
                            self.connection = "reconnecting"
                    await asyncio.sleep(RETRY_SECONDS)

    async def _consume(self, consumer: Any, token: str, fanout: Any) -> None:
        budget = get_settings().render_budget_per_second
        rendered_at = 0.0
        view = FeedView()
        try:
            view.events = [feed_entry(e) for e in await asyncio.to_thread(recent_events)]
        except Exception as exc:  # an empty feed is fine; the stream fills it
            log.warning("recent events unavailable: %s", exc)
        while True:
            try:
                items = [await consumer.get(timeout=HEARTBEAT_SECONDS)]
            except TimeoutError:
                if not client_connected(token):
                    return
                async with self:
                    self.heartbeat += 1
                continue
            interval = min_render_interval(fanout.consumer_count, budget)
            if (wait := rendered_at + interval - time.monotonic()) > 0:
                await asyncio.sleep(wait)  # many tabs share the render budget (realtime/pacing)
            while not consumer.queue.empty():  # a burst: apply all, render once
                items.append(consumer.queue.get_nowait())
            switched = [
                bool(i.get("running"))
                for i in items
                if i.get("kind") == "notice" and i.get("topic") == SIMULATOR_TOPIC
            ]
            if switched:  # another tab (or this one) turned the simulator on or off
                async with self:
                    self.simulator_on = switched[-1]
            changed = [view.apply(item) for item in items]
            if not any(changed):
                continue
            try:
                counts = _status_counts(await shared_claims_by_status())
            except Exception as exc:  # the chart keeps its last counts
                log.warning("claims by status unavailable: %s", exc)
                counts = None
            shown = {
                "tiles": view.tiles(),
                "feed": list(view.events),
                "version": view.version,
                "connection": view.connection,
                "loading": False,
                "error": "",
            }
            if counts is not None:
                shown["status_counts"] = counts
            async with self:
                _assign_changed(self, shown)
            rendered_at = time.monotonic()

    @rx.event
    @requires_role("viewer")
    def resync(self) -> None:
        """Re-send what the tab shows (called by the liveness watchdog after a gap).

        Deltas lost while the socket was cut are never assumed to have arrived: every
        displayed value goes out again, whole.
        """
        for name in ("tiles", "feed", "status_counts", "version", "connection", "simulator_on"):
            setattr(self, name, getattr(self, name))
        self.heartbeat += 1

    @rx.event(background=True)
    @requires_role("editor")
    async def toggle_simulator(self, enabled: bool) -> None:
        """Start or stop this process's demo event simulator."""
        from command_center.ops.live import get_live_ops
        from command_center.ops.simulator_control import simulator_for

        live = await get_live_ops()
        simulator = simulator_for(live)
        if enabled:
            simulator.start()
        else:
            await simulator.stop()
        async with self:
            self.simulator_on = simulator.running
        await publish_notice(SIMULATOR_TOPIC, running=simulator.running)


_counts_memo: tuple[Any, list[dict[str, Any]]] = (None, [])


def _status_counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chart's rows; every tab given the same shared query result shares one copy."""
    global _counts_memo
    source, counts = _counts_memo
    if source is not rows:
        counts = [{"label": humanize(row["status"]), "value": row["count"]} for row in rows]
        _counts_memo = (rows, counts)
    return list(counts)


def _assign_changed(state: Any, values: dict[str, Any]) -> None:
    """Assign only the values that differ from what the tab holds.

    Reflex sends every assigned var again, equal or not; a render of many tabs costs a
    delta per tab, so unchanged vars stay out of it. The heartbeat goes out with every
    render (the liveness watchdog's "still here"); `resync` still re-sends everything.
    """
    held = getattr(state, "__wrapped__", state)  # a StateProxy: read the raw values directly
    for name, value in values.items():
        if held.get_value(name) != value:
            setattr(state, name, value)
    state.heartbeat += 1


def _simulator_running(live: Any) -> bool:
    from command_center.ops.simulator_control import simulator_for

    return simulator_for(live).running
