"""One renderer per process for every live dashboard tab: a socket.io room broadcast.

The renderer is this process's single dashboard consumer of the fan-out. For each batch of
KPI messages it computes what the dashboard displays once (`SharedDashboard`), builds one
Reflex `StateUpdate` delta for `DashboardState` (its full state path, vars named as Reflex
serialises them: `version_rx_state_`), encodes it once and queues the same packet on every
socket of a socket.io room (`_emit`). The frontend applies it like any delta of its own state.

Only a tab whose session passed `requires_role("viewer")` joins (`DashboardState.stream`),
after its own state was given the current snapshot; a tab that disconnects leaves the room
with its socket, a tab that signs out leaves it at once, and every few seconds members whose
session was revoked, expired or disabled meanwhile are put out. Each worker process renders
for its own sockets (STATE_MANAGER=redis runs several). A heartbeat goes out at least every
`HEARTBEAT_SECONDS`, so the browser's liveness watchdog can tell a silent socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from command_center.instruments import LIVE_TABS
from command_center.ops.activity import recent_events, shared_claims_by_status
from command_center.realtime.pacing import min_render_interval
from command_center.settings import get_settings
from command_center.ui.room_emit import emit_values
from command_center.ui.signed_out import RecentSignOuts
from command_center.ui.view_models.shared_dashboard import SharedDashboard

log = logging.getLogger(__name__)
ROOM = "cc-live-dashboard"
HEARTBEAT_SECONDS = 1.0  # the browser's watchdog calls the page stale after 3 s of silence
RETRY_SECONDS = 2.0
SESSION_CHECK_SECONDS = 5.0


class LiveRoom:
    """This process's dashboard renderer and the room of tabs it renders for."""

    def __init__(
        self, namespace: Any, state_name: str, allowed: Callable[[str], bool], budget: int
    ) -> None:
        self.board = SharedDashboard()
        self.members: dict[str, str] = {}  # socket.io sid → the tab's session token
        self._signed_out = RecentSignOuts()  # a tab of one still joining is refused
        self.loop = asyncio.get_running_loop()
        self._namespace = namespace
        self._state_name = state_name
        self._allowed = allowed
        self._budget = budget
        self._beat_at = 0.0
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, live: Any) -> None:
        """Start rendering `live`'s fan-out and checking members' sessions."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._run(live), name="dashboard-room"),
                asyncio.create_task(self._check_forever(), name="dashboard-room-sessions"),
            ]

    async def stop(self) -> None:
        """Stop both tasks."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def wait_ready(self, timeout: float) -> None:
        """Wait (up to `timeout` s) for the first render, so a new tab gets real numbers."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._ready.wait()

    def snapshot(self) -> tuple[dict[str, Any], int]:
        """Every displayed value now, and the revision it belongs to."""
        return self.board.snapshot(), self.board.revision

    async def join(self, sid: str, session_token: str, revision: int) -> bool:
        """Add a connected tab's socket; send it the current snapshot when the one it was
        given (`revision`) is no longer current. False when the socket is already gone or
        its session signed out since the tab's viewer check.

        Nothing here suspends before the packet is queued, so no render can slip between
        the revision check and the membership: the tab misses nothing and never goes back.
        """
        manager = self._namespace.server.manager
        if not sid or not manager.is_connected(sid, self._namespace.namespace):
            return False
        if session_token in self._signed_out:
            return False  # signed out after its viewer check: no renders for it
        await self._namespace.enter_room(sid, ROOM)
        self.members[sid] = session_token
        LIVE_TABS.set(len(self.members))
        if revision != self.board.revision:
            await self._emit(self.board.snapshot(), to=sid)
        return True

    async def leave(self, sid: str) -> None:
        """Take a socket out of the room (it receives no further render)."""
        if self.members.pop(sid, None) is not None:
            await self._namespace.leave_room(sid, ROOM)
            LIVE_TABS.set(len(self.members))

    async def leave_session(self, session_token: str) -> None:
        """Put out every socket of a session (signed out); one still joining is refused."""
        self._signed_out.add(session_token)
        for sid, token in list(self.members.items()):
            if token == session_token:
                await self.leave(sid)

    async def check_sessions(self) -> None:
        """Forget sockets that disconnected; put out those whose session no longer allows
        viewing (revoked, expired, user disabled). A failing check puts nobody out."""
        rooms = self._namespace.server.manager.rooms.get(self._namespace.namespace, {})
        present = rooms.get(ROOM, {})
        for sid in [sid for sid in self.members if sid not in present]:
            self.members.pop(sid, None)
        LIVE_TABS.set(len(self.members))
        tokens = set(self.members.values())
        if not tokens:
            return
        allowed = await asyncio.to_thread(lambda: {t for t in tokens if self._allowed(t)})
        for sid, token in list(self.members.items()):
            if token in tokens and token not in allowed:
                log.info("dashboard room: session no longer allowed, socket %s put out", sid)
                await self.leave(sid)

    async def _check_forever(self) -> None:
        while True:
            await asyncio.sleep(SESSION_CHECK_SECONDS)
            try:
                await self.check_sessions()
            except Exception as exc:
                log.warning("dashboard room session check failed: %s", exc)

    async def _emit(self, values: dict[str, Any], *, to: str) -> None:
        """Send `values` to the room or to one sid (ui/room_emit.py: encoded once)."""
        await emit_values(self._namespace, self._state_name, values, to)

    async def _send(self, changed: dict[str, Any]) -> None:
        """Broadcast what changed, with the next heartbeat."""
        values = {**changed, "heartbeat": self.board.beat()}
        self._beat_at = time.monotonic()
        if self.members:
            await self._emit(values, to=ROOM)

    async def _run(self, live: Any) -> None:
        from command_center.ops.simulator_control import simulator_for

        while True:
            try:
                with contextlib.suppress(Exception):  # an empty feed is fine; the stream fills it
                    self.board.seed_events(await asyncio.to_thread(recent_events))
                self.board.simulator_on = simulator_for(live).running
                async with live.fanout.subscribe() as consumer:
                    await self._consume(consumer)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep the last numbers, say so, and retry
                log.warning("dashboard renderer interrupted (%s); retrying", exc)
                with contextlib.suppress(Exception):
                    await self._send(self.board.set_connection("reconnecting"))
                await asyncio.sleep(RETRY_SECONDS)

    async def _consume(self, consumer: Any) -> None:
        rendered_at = 0.0
        while True:
            due = self._beat_at + HEARTBEAT_SECONDS - time.monotonic()
            try:
                items = [await consumer.get(timeout=max(due, 0.001))]
            except TimeoutError:
                await self._send({})  # nothing happened: the heartbeat alone
                self._ready.set()
                continue
            interval = min_render_interval(len(self.members), self._budget)
            if (wait := rendered_at + interval - time.monotonic()) > 0:
                await asyncio.sleep(wait)  # the render budget (realtime/pacing)
            while not consumer.queue.empty():  # a burst: apply all, render once
                items.append(consumer.queue.get_nowait())
            if not self.board.apply(items):
                if time.monotonic() - self._beat_at >= HEARTBEAT_SECONDS:
                    await self._send({})
                continue
            try:
                rows = await shared_claims_by_status()
            except Exception as exc:  # the chart keeps its last counts
                log.warning("claims by status unavailable: %s", exc)
                rows = None
            await self._send(self.board.render(rows))
            self._ready.set()
            rendered_at = time.monotonic()


_room: LiveRoom | None = None


async def live_room(state_name: str, allowed: Callable[[str], bool]) -> LiveRoom:
    """This process's room (created and started on first use within the running loop)."""
    global _room
    if _room is None or _room.loop is not asyncio.get_running_loop():
        from reflex.utils.prerequisites import get_app

        from command_center.ops.live import get_live_ops

        live = await get_live_ops()
        if _room is None or _room.loop is not asyncio.get_running_loop():
            namespace = get_app().app.event_namespace
            budget = get_settings().render_budget_per_second
            _room = LiveRoom(namespace, state_name, allowed, budget)
            _room.start(live)
    return _room


async def leave_live_room(session_token: str) -> None:
    """Put a signed-out session's sockets out of this process's room (if it runs)."""
    room = _room
    if room is not None and room.loop is asyncio.get_running_loop() and session_token:
        await room.leave_session(session_token)
