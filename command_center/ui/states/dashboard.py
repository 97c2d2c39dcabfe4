"""Dashboard state: mode badges, live KPI tiles, event feed, claims by status, connection."""

from __future__ import annotations

import logging
from typing import Any

import reflex as rx

from command_center.auth.roles import Role
from command_center.realtime.notices import SIMULATOR as SIMULATOR_TOPIC
from command_center.realtime.notices import publish_notice
from command_center.settings import get_settings
from command_center.ui.live_room import LiveRoom, live_room
from command_center.ui.states.connection import local_sid
from command_center.ui.states.guard import requires_role
from command_center.ui.states.session import SessionState, session_principal

log = logging.getLogger(__name__)
READY_SECONDS = 5.0  # a tab opened as the process starts waits this long for real numbers


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
    """What the dashboard shows; live values arrive from the process's one renderer."""

    modes: dict[str, str] = {}
    tiles: list[dict[str, str]] = []
    feed: list[dict[str, str]] = []
    status_counts: list[dict[str, Any]] = []
    version: int = 0
    connection: str = "connecting"
    loading: bool = True
    error: str = ""
    simulator_on: bool = False
    heartbeat: int = 0  # changes at least once a second while the tab is in the live room

    @rx.event
    @requires_role("viewer")
    def load(self) -> None:
        """Mode badges (the KPIs arrive from the stream)."""
        self.modes = current_modes()

    @rx.event(background=True)
    @requires_role("viewer")
    async def stream(self) -> None:
        """Join this process's live room (ui/live_room.py): the tab's state is given the
        current snapshot, then every render reaches the tab as one shared broadcast.

        Runs on every page load and reconnect; only a signed-in viewer gets this far.
        """
        await self._send_current()

    @rx.event(background=True)
    @requires_role("viewer")
    async def resync(self) -> None:
        """Re-send what the tab shows (called by the liveness watchdog after a gap).

        Deltas lost while the socket was cut are never assumed to have arrived: every
        displayed value goes out again, whole, as the shared renderer has it now.
        """
        await self._send_current()

    async def _send_current(self) -> None:
        session = str(self.session_token or "")  # the session the viewer check passed
        room = await dashboard_room()
        await room.wait_ready(READY_SECONDS)
        token = self.router.session.client_token
        revision = -1  # unknown: the room sends the snapshot itself
        try:
            async with self:
                if str(self.session_token or "") != session:
                    return  # signed out (or in again) meanwhile: nothing for this check
                values, revision = room.snapshot()
                for name, value in values.items():  # assigned vars are sent, equal or not
                    setattr(self, name, value)
        except Exception as exc:  # the state manager unreachable: the room still renders
            log.warning("dashboard snapshot not stored in the tab's state: %s", exc)
        sid = local_sid(token) or self.router.session.session_id
        await room.join(sid, session, revision)

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


def _may_view(session_token: str) -> bool:
    """Whether a room member's session still allows watching the dashboard."""
    principal = session_principal(session_token)
    return principal is not None and principal.allows(Role.viewer)


async def dashboard_room() -> LiveRoom:
    """This process's live room for `DashboardState`."""
    return await live_room(DashboardState.get_full_name(), _may_view)
