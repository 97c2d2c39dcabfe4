"""The process-wide dashboard renderer: one shared view, one room broadcast per render.

A render sends only what changed (plus the heartbeat), under the exact keys Reflex's frontend
dispatches for `DashboardState`; a joining tab whose snapshot is out of date is sent the
current one; members whose session no longer allows viewing are put out.
"""

from __future__ import annotations

from typing import Any

from command_center.ui.live_room import ROOM, LiveRoom
from command_center.ui.states.dashboard import DashboardState
from command_center.ui.view_models.shared_dashboard import DISPLAYED, SharedDashboard

SNAPSHOT = {"kind": "snapshot", "version": 7, "kpis": {"open_claims": 12}, "as_of": ""}
EVENT = {"event_id": "e8", "type": "claim_filed", "subject_id": "CLM-1", "occurred_at": ""}
UPDATE = {"kind": "update", "version": 8, "kpis": {"open_claims": 13}, "event": EVENT}


def test_a_render_carries_only_what_changed_and_moves_the_revision() -> None:
    board = SharedDashboard()
    assert board.apply([SNAPSHOT])
    first = board.render([{"status": "under_review", "count": 4}])
    assert first["version"] == 7 and first["loading"] is False and first["connection"] == "live"
    assert first["status_counts"] == [{"label": "Under review", "value": 4}]
    revision = board.revision
    assert board.render([{"status": "under_review", "count": 4}]) == {}  # nothing new
    assert board.revision == revision
    board.apply([UPDATE])
    second = board.render(None)  # claims by status unavailable: the chart keeps its rows
    assert set(second) == {"tiles", "feed", "version"} and second["feed"][0]["id"] == "e8"
    assert board.revision == revision + 1
    assert board.snapshot()["status_counts"] == first["status_counts"]
    assert set(board.snapshot()) == {*DISPLAYED, "heartbeat"}


def test_the_simulator_notice_switches_and_other_notices_change_nothing() -> None:
    board = SharedDashboard()
    assert not board.apply([{"kind": "notice", "topic": "layout", "dashboard_id": 1}])
    assert board.apply([{"kind": "notice", "topic": "simulator", "running": True}])
    assert board.render(None)["simulator_on"] is True


class FakeManager:
    def __init__(self) -> None:
        self.connected: set[str] = set()
        self.rooms: dict[str, dict[str, dict[str, str]]] = {"/_event": {}}

    def is_connected(self, sid: str, namespace: str) -> bool:
        return sid in self.connected


class FakeNamespace:
    """The slice of Reflex's EventNamespace (a python-socketio AsyncNamespace) the room uses."""

    namespace = "/_event"

    def __init__(self) -> None:
        self.server = type("Server", (), {})()
        self.server.manager = FakeManager()
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def room(self) -> dict[str, str]:
        return self.server.manager.rooms["/_event"].setdefault(ROOM, {})

    async def enter_room(self, sid: str, room: str) -> None:
        self.room()[sid] = sid

    async def leave_room(self, sid: str, room: str) -> None:
        self.room().pop(sid, None)

    async def emit(self, event: str, update: Any, to: str) -> None:
        assert event == "event"
        self.sent.append((to, update.delta))


def _allowed(token: str) -> bool:
    return token.startswith("ok")


async def test_one_broadcast_per_render_under_the_keys_reflex_dispatches() -> None:
    room = LiveRoom(FakeNamespace(), DashboardState.get_full_name(), _allowed, 2000)
    namespace = room._namespace
    namespace.server.manager.connected |= {"a", "b"}
    assert await room.join("a", "ok-1", room.board.revision)
    assert await room.join("b", "ok-2", room.board.revision)
    assert namespace.sent == []  # both tabs' own state already holds this revision
    room.board.apply([SNAPSHOT])
    await room._send(room.board.render(None))
    assert len(namespace.sent) == 1 and namespace.sent[0][0] == ROOM
    delta = namespace.sent[0][1]
    # exactly the state path and var names Reflex serialises DashboardState under
    reflex_keys = DashboardState(_reflex_internal_init=True).dict()
    ((name, fields),) = delta.items()
    full_name = DashboardState.get_full_name()
    assert name == full_name and set(fields) <= set(reflex_keys[full_name])
    assert fields["version_rx_state_"] == 7 and fields["heartbeat_rx_state_"] == 1


async def test_a_tab_joining_with_an_old_snapshot_is_sent_the_current_one() -> None:
    room = LiveRoom(FakeNamespace(), DashboardState.get_full_name(), _allowed, 2000)
    namespace = room._namespace
    namespace.server.manager.connected.add("a")
    _, revision = room.snapshot()
    room.board.apply([SNAPSHOT])
    room.board.render(None)  # a render between the tab's snapshot and its joining
    assert await room.join("a", "ok-1", revision)
    ((to, delta),) = namespace.sent
    assert to == "a" and delta[DashboardState.get_full_name()]["version_rx_state_"] == 7
    assert not await room.join("gone", "ok-1", -1)  # a socket already disconnected
    assert "gone" not in room.members and len(namespace.sent) == 1


async def test_revoked_sessions_and_closed_sockets_are_put_out() -> None:
    room = LiveRoom(FakeNamespace(), DashboardState.get_full_name(), _allowed, 2000)
    namespace = room._namespace
    namespace.server.manager.connected |= {"a", "b", "c"}
    for sid, token in (("a", "ok-1"), ("b", "revoked"), ("c", "ok-2")):
        await room.join(sid, token, room.board.revision)
    namespace.room().pop("c")  # its socket closed (socket.io drops it from every room)
    await room.check_sessions()
    assert room.members == {"a": "ok-1"} and set(namespace.room()) == {"a"}
    await room.leave_session("ok-1")  # signed out
    assert room.members == {} and namespace.room() == {}
    await room._send({})
    assert namespace.sent == []  # nobody left: nothing is sent


async def test_a_tab_signed_out_after_its_viewer_check_is_not_let_in() -> None:
    """Its sign-out reached the room while the tab was still joining (snapshot stored, join
    pending): it gets no renders. With sign-in off (no session) tabs still join."""
    room = LiveRoom(FakeNamespace(), DashboardState.get_full_name(), _allowed, 2000)
    namespace = room._namespace
    namespace.server.manager.connected |= {"a", "b", "c"}
    await room.leave_session("ok-1")
    await room.leave_session("")  # nothing to remember: would shut out every open-mode tab
    assert not await room.join("a", "ok-1", -1)
    assert await room.join("b", "", -1)
    assert await room.join("c", "ok-2", -1)
    assert room.members == {"b": "", "c": "ok-2"} and set(namespace.room()) == {"b", "c"}
    assert [to for to, _ in namespace.sent] == ["b", "c"]
