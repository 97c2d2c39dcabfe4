"""The process-wide widget refresher: each distinct widget resolved once per tick for every
tab showing it, pushed only when a shown view changed, and only to the tabs of that board
whose session may still view it."""

from __future__ import annotations

from typing import Any

from command_center.dashboards.filters import ViewChoice
from command_center.ui.states.widgets import WidgetsState
from command_center.ui.view_models.shared_widgets import Member
from command_center.ui.view_models.widget_card import widget_view
from command_center.ui.widget_room import WidgetRoom

KPI = {"type": "kpi", "title": "Open claims", "data_intent": {"metric": "open_claims"}}
TABLE = {"type": "table", "title": "By type", "data_intent": {"metric": "claims"}}
STATE = WidgetsState.get_full_name()


class FakeNamespace:
    """The slice of Reflex's EventNamespace the room uses."""

    namespace = "/_event"

    def __init__(self) -> None:
        self.server = type("Server", (), {})()
        self.server.manager = self
        self.connected: set[str] = set()
        self.sent: list[tuple[list[str], dict[str, Any]]] = []

    def is_connected(self, sid: str, namespace: str) -> bool:
        return sid in self.connected

    async def emit(self, event: str, update: Any, to: Any) -> None:
        assert event == "event"
        (fields,) = update.delta.values()
        assert set(update.delta) == {STATE}
        self.sent.append(([to] if isinstance(to, str) else sorted(to), fields))


class Data:
    """A stand-in resolver and board store that count their calls."""

    def __init__(self) -> None:
        self.boards: dict[int, list[tuple[str, dict[str, Any]]]] = {1: [("w1", KPI)]}
        self.value = 5
        self.resolved: list[str] = []
        self.reads: list[int] = []

    def load_board(self, dashboard_id: int) -> tuple[dict[str, Any], Any]:
        self.reads.append(dashboard_id)
        dashboard_id = dashboard_id or 1  # 0: the default board
        info = {
            "dashboard_id": dashboard_id,
            "dashboard_name": f"Board {dashboard_id}",
            "dashboards": [{"id": d, "name": f"Board {d}"} for d in self.boards],
            "layouts": {"lg": [{"i": w} for w, _ in self.boards[dashboard_id]]},
            "loaded": True,
        }
        return info, list(self.boards[dashboard_id])

    async def resolve(self, widget_id: str, spec: dict[str, Any], choice: ViewChoice) -> Any:
        self.resolved.append(widget_id)
        rows = [{"claim_type": "theft", "value": self.value}, {"claim_type": "crack", "value": 1}]
        return widget_view(widget_id, spec, rows)


def _allowed(session: str) -> bool:
    return session.startswith("ok")


async def _room(data: Data) -> tuple[WidgetRoom, FakeNamespace]:
    namespace = FakeNamespace()
    room = WidgetRoom(namespace, STATE, _allowed, load_board=data.load_board, resolve=data.resolve)
    return room, namespace


async def _open_tabs(
    room: WidgetRoom,
    board: int,
    names: list[str],
    session: str = "ok",
    choice: ViewChoice | None = None,
):
    feed = await room.prepare(board, choice or ViewChoice())
    for name in names:
        room._namespace.connected.add(f"sid-{name}")
        assert await room.join(Member(name, session, f"sid-{name}", feed.key), feed.revision)
    return feed


def _shown(fields: dict[str, Any]) -> list[str]:
    return [v["display"] for v in fields["views_rx_state_"]]


async def test_many_tabs_on_one_widget_cost_one_resolve_and_one_push_per_change() -> None:
    data = Data()
    room, namespace = await _room(data)
    tabs = [f"t{n}" for n in range(50)]
    feed = await _open_tabs(room, 1, tabs)
    await room.tick()
    assert data.resolved == ["w1"]  # one resolve for 50 tabs
    ((to, fields),) = namespace.sent  # one delta, encoded once, queued to every tab
    assert to == sorted(f"sid-{t}" for t in tabs) and _shown(fields) == ["5"]
    assert set(fields) == {"views_rx_state_"}  # the var name Reflex's frontend dispatches
    await room.tick()
    assert data.resolved == ["w1"] and len(namespace.sent) == 1  # not due: nothing at all
    feed.next_due["w1"] = 0
    await room.tick()
    assert data.resolved == ["w1", "w1"] and len(namespace.sent) == 1  # same data: no push
    data.value, feed.next_due["w1"] = 9, 0
    await room.tick()
    assert len(namespace.sent) == 2 and _shown(namespace.sent[-1][1]) == ["9"]


async def test_one_widget_on_two_boards_is_resolved_once_for_both() -> None:
    data = Data()
    data.boards[2] = [("w1", KPI), ("w2", TABLE)]
    room, namespace = await _room(data)
    await _open_tabs(room, 1, ["a"])
    await _open_tabs(room, 2, ["b"])
    await room.tick()
    assert sorted(data.resolved) == ["w1", "w2"]
    assert {tuple(to) for to, _ in namespace.sent} == {("sid-a",), ("sid-b",)}


async def test_a_tab_receives_only_its_own_board_and_nothing_once_not_allowed() -> None:
    data = Data()
    data.boards[2] = [("w2", TABLE)]
    room, namespace = await _room(data)
    await _open_tabs(room, 1, ["a", "revoked-later", "gone"])
    await _open_tabs(room, 2, ["other"])
    room.shared.members["revoked-later"].session = "revoked"
    namespace.connected.discard("sid-gone")  # its socket closed
    await room.check_sessions()
    assert set(room.shared.members) == {"a", "other"}
    await room.tick()
    by_sid = {tuple(to): [v["id"] for v in f["views_rx_state_"]] for to, f in namespace.sent}
    assert by_sid == {("sid-a",): ["w1"], ("sid-other",): ["w2"]}
    room.leave_session("ok")  # signed out: every tab of the session
    data.value = 7
    for feed in room.shared.feeds.values():
        feed.next_due = {}
    sent = len(namespace.sent)
    await room.tick()
    assert room.shared.members == {} and room.shared.feeds == {}
    assert len(namespace.sent) == sent  # nobody left: nothing resolved, nothing sent


async def test_tabs_sorting_alike_share_a_push_and_a_retry_is_always_answered() -> None:
    data = Data()
    data.boards[1] = [("w2", TABLE)]
    room, namespace = await _room(data)
    await _open_tabs(room, 1, ["a", "b", "c"])
    await room.tick()
    room.set_sorts("c", {"w2": ["value", False]})
    await room.tick()  # the room itself sends the sorted copy: nothing to resolve
    assert data.resolved == ["w2"] and namespace.sent[-1][0] == ["sid-c"]
    rows = namespace.sent[-1][1]["views_rx_state_"][0]["rows"]
    assert [row[1]["sort"] for row in rows] == [1.0, 5.0]
    sent = len(namespace.sent)
    room.retry("a", "w2")
    room.retry("a", "not-on-this-board")
    await room.tick()
    assert data.resolved == ["w2", "w2"]
    pushes = namespace.sent[sent:]  # "loading", then the (unchanged) result, per sort group
    assert [to for to, _ in pushes] == [["sid-a", "sid-b"], ["sid-c"]] * 2
    statuses = [f["views_rx_state_"][0]["status"] for _, f in pushes]
    assert statuses == ["loading", "loading", "ok", "ok"]


async def test_board_notices_reread_each_board_once_and_spare_the_saving_tab() -> None:
    data = Data()
    room, namespace = await _room(data)
    feed = await _open_tabs(room, 1, ["saver", "watcher"])
    await room.tick()
    data.reads.clear()
    room.notice({"kind": "notice", "topic": "simulator", "running": True})
    assert not feed.reload
    data.boards[1] = [("w1", KPI), ("w2", TABLE)]
    room.notice({"kind": "notice", "topic": "layout", "dashboard_id": 1, "origin": "saver"})
    room.notice({"kind": "notice", "topic": "layout", "dashboard_id": 3})  # another board
    await room.tick()
    assert data.reads == [1] and data.resolved == ["w1", "w2"]
    board_push = {tuple(to): f for to, f in namespace.sent[1:3]}
    assert "layouts_rx_state_" in board_push[("sid-watcher",)]
    assert "layouts_rx_state_" not in board_push[("sid-saver",)]
    assert [v["status"] for v in board_push[("sid-watcher",)]["views_rx_state_"]] == [
        "ok",
        "loading",  # the new card, until its data arrives (the next push)
    ]


async def test_a_moved_tab_gets_the_new_board_and_a_late_joiner_the_current_views() -> None:
    data = Data()
    data.boards[2] = [("w2", TABLE)]
    room, namespace = await _room(data)
    feed = await _open_tabs(room, 1, ["a", "b"])
    old_revision = feed.revision
    await room.tick()
    namespace.connected.add("sid-late")
    assert await room.join(Member("late", "ok", "sid-late", feed.key), old_revision)
    assert namespace.sent[-1][0] == ["sid-late"] and _shown(namespace.sent[-1][1]) == ["5"]
    assert not await room.join(Member("x", "ok", "sid-closed", feed.key), feed.revision)
    before = len(namespace.sent)
    room.move("a", 2, ViewChoice())
    await room.tick()
    snapshot, update = (f for to, f in namespace.sent[before:] if to == ["sid-a"])
    assert snapshot["dashboard_id_rx_state_"] == 2
    assert snapshot["dashboard_name_rx_state_"] == "Board 2"
    assert [v["status"] for v in snapshot["views_rx_state_"]] == ["loading"]
    assert [v["id"] for v in update["views_rx_state_"]] == ["w2"]
    assert room.feed_of("a").key[0] == 2 and room.feed_of("b").key[0] == 1


async def test_a_slow_query_holds_back_only_its_own_card(monkeypatch) -> None:
    import asyncio

    from command_center.ui import widget_room

    monkeypatch.setattr(widget_room, "RESOLVE_WAIT_SECONDS", 0.01)
    data = Data()
    data.boards[1] = [("w1", KPI), ("slow", TABLE)]
    release = asyncio.Event()
    fast = data.resolve

    async def resolve(widget_id: str, spec: dict[str, Any], choice: ViewChoice) -> Any:
        if widget_id == "slow":
            await release.wait()  # a warehouse that takes its time
        return await fast(widget_id, spec, choice)

    room, namespace = await _room(data)
    room._resolve = resolve
    await _open_tabs(room, 1, ["a"])
    await room.tick()
    (first,) = namespace.sent
    assert [v["status"] for v in first[1]["views_rx_state_"]] == ["ok", "loading"]
    await room.tick()  # still running: not started twice, nothing new to send
    assert data.resolved == ["w1"] and len(namespace.sent) == 1
    release.set()
    await room.tick()
    assert [v["status"] for v in namespace.sent[-1][1]["views_rx_state_"]] == ["ok", "ok"]
    assert data.resolved == ["w1", "slow"]


async def test_a_tab_opening_a_shown_board_reads_it_and_mends_a_missed_change() -> None:
    """A page load reads the board; tabs already showing it pick up a change whose notice
    they missed (a widget written by another process or while Redis was down)."""
    data = Data()
    room, namespace = await _room(data)
    feed = await _open_tabs(room, 1, ["a"])
    await room.tick()
    data.boards[1] = [("w1", KPI), ("w2", TABLE)]  # no notice
    late = await room.prepare(1, ViewChoice())
    assert data.reads == [1, 1] and late is feed and feed.reload
    before = len(namespace.sent)
    await room.tick()
    pushed = [f for to, f in namespace.sent[before:] if to == ["sid-a"]]
    assert [v["id"] for v in pushed[0]["views_rx_state_"]] == ["w1", "w2"]
    unchanged = await room.prepare(1, ViewChoice())
    assert unchanged is feed and not feed.reload  # a read equal to what is shown: no re-read


async def test_a_tab_moving_on_cancels_the_resolves_nobody_shows_any_more(monkeypatch) -> None:
    """A viewer sending range after range (each a distinct choice) never piles up warehouse
    queries: a resolve no feed shows any more is cancelled, so what runs stays bounded by
    what the tabs show."""
    import asyncio

    from command_center.ui import widget_room

    monkeypatch.setattr(widget_room, "RESOLVE_WAIT_SECONDS", 0.01)
    data = Data()
    cancelled: list[str] = []

    async def hanging(widget_id: str, spec: dict[str, Any], choice: ViewChoice) -> Any:
        try:
            await asyncio.Event().wait()  # a warehouse that never answers
        except asyncio.CancelledError:
            cancelled.append(choice.start.isoformat())
            raise

    room, _ = await _room(data)
    room._resolve = hanging
    await _open_tabs(room, 1, ["a"])
    for day in range(1, 21):
        room.move("a", 1, ViewChoice.from_params({"from": f"2025-01-{day:02d}",
                                                  "to": "2025-01-28"}))  # fmt: skip
        await room.tick()
    assert len(room._inflight) == 1  # the last range's one widget, not 21 queries
    await asyncio.sleep(0)
    assert cancelled[-1] == "2025-01-19" and len(cancelled) == 19
    await room.stop()


async def test_made_up_board_ids_are_not_remembered_and_a_failing_read_spares_others() -> None:
    data = Data()
    room, namespace = await _room(data)
    real = data.load_board
    asked: list[int] = []

    def stale_is_default(board: int) -> Any:
        asked.append(board)
        return real(board if board in data.boards else 0)

    room._load_board = stale_is_default
    await _open_tabs(room, 1, ["a"])
    await _open_tabs(room, 0, ["b"])
    for made_up in range(1000, 1050):  # a client's made-up ids: read each time, none kept
        room.move("a", made_up, ViewChoice())
        await room.tick()
        assert room.feed_of("a").key[0] == 1 and asked[-1] == made_up

    def failing(dashboard_id: int) -> Any:
        if dashboard_id == 666:
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return stale_is_default(dashboard_id)

    room._load_board = failing
    room.move("a", 666, ViewChoice())
    room.feed_of("b").next_due["w1"] = 0
    data.value, before = 7, len(namespace.sent)
    await room.tick()  # the failing read did not stop the tick for the other tabs
    assert [_shown(f) for to, f in namespace.sent[before:]] == [["7"]]
    assert room.feed_of("a").key[0] == 1


async def test_a_tab_whose_session_signed_out_before_it_joined_gets_nothing() -> None:
    """The viewer check ran, then the session signed out while the tab was being prepared:
    it is refused at once (not only at the next session check), other sessions still join."""
    data = Data()
    room, namespace = await _room(data)
    feed = await room.prepare(1, ViewChoice())
    room.leave_session("ok-gone")
    namespace.connected |= {"sid-a", "sid-b"}
    assert not await room.join(Member("a", "ok-gone", "sid-a", feed.key), -1)
    assert await room.join(Member("b", "ok-kept", "sid-b", feed.key), -1)
    await room.tick()
    assert {sid for to, _f in namespace.sent for sid in to} == {"sid-b"}


async def test_a_prepared_feed_forgotten_before_the_join_is_put_back() -> None:
    """Another tab leaving between `prepare` and `join` forgets the unwatched feed; the
    joining tab still gets it (it was left without updates, `join` answering False)."""
    data = Data()
    room, namespace = await _room(data)
    await _open_tabs(room, 1, ["other"])
    feed = await room.prepare(1, ViewChoice.from_params({"range": "custom:9"}))
    room.shared.leave("other")  # forgets every feed nobody watches, this one too
    namespace.connected.add("sid-a")
    assert await room.join(Member("a", "ok", "sid-a", feed.key), feed.revision, feed)
    assert room.feed_of("a") is feed
    await room.tick()
    assert namespace.sent and namespace.sent[-1][0] == ["sid-a"]
