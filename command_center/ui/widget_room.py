"""One widget refresher per process for every live dashboard tab.

Tabs used to run a refresh loop each: a state round trip every half second per tab, and one
resolve per tab for the same widget. Now the process's `WidgetRoom` holds each shown board
under each range-and-filters choice once (`SharedWidgets`), resolves every distinct due widget
once per tick, and sends a feed's views — one Reflex delta for `WidgetsState`, encoded once per
group of tabs that sort their tables alike — only when a shown view changed.

Only a tab whose session passed `requires_role("viewer")` joins (`WidgetsState.run_refresh_loop`),
after its own state was given the feed's snapshot; a tab only ever receives the feed it joined
(its board, its choice). A closed socket, a signed-out session and, every few seconds, a
session revoked, expired or disabled meanwhile take the tab out. Board notices on the bus
(layout saved, widgets changed) re-read each affected board once for all its tabs. Each worker
process refreshes for its own sockets (STATE_MANAGER=redis runs several).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from command_center.dashboards.filters import ViewChoice
from command_center.realtime.notices import SIMULATOR
from command_center.ui.room_emit import emit_values
from command_center.ui.signed_out import RecentSignOuts
from command_center.ui.view_models.shared_widgets import (
    Feed,
    FeedKey,
    Member,
    SharedWidgets,
    ViewKey,
)
from command_center.ui.widget_data import Ordered, loading_view, read_board, resolve_view

log = logging.getLogger(__name__)
TICK_SECONDS = 0.5
RESOLVE_WAIT_SECONDS = 0.2  # a tick waits this long for resolves; later ones go out when done
RETRY_SECONDS = 2.0
SESSION_CHECK_SECONDS = 5.0

BoardLoader = Callable[[int], tuple[dict[str, Any], Ordered]]
Resolver = Callable[[str, dict[str, Any], ViewChoice], Awaitable[dict[str, Any]]]


class WidgetRoom:
    """This process's widget refresher and the tabs it refreshes for."""

    def __init__(
        self,
        namespace: Any,
        state_name: str,
        allowed: Callable[[str], bool],
        *,
        load_board: BoardLoader = read_board,
        resolve: Resolver = resolve_view,
    ) -> None:
        self.shared = SharedWidgets()
        self.loop = asyncio.get_running_loop()
        self._namespace = namespace
        self._state_name = state_name
        self._allowed = allowed
        self._load_board = load_board
        self._resolve = resolve
        self._moves: dict[str, tuple[int, ViewChoice]] = {}  # client token → wanted feed
        self._resend: set[str] = set()  # tabs whose sorts changed
        self._retrying: set[FeedKey] = set()  # feeds with a card put back to "loading"
        self._inflight: dict[ViewKey, asyncio.Task[dict[str, Any]]] = {}  # one per distinct
        self._signed_out = RecentSignOuts()  # a tab of one still joining is refused
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, live: Any) -> None:
        """Start the refresh loop and the members' session check."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._run(live), name="widget-room"),
                asyncio.create_task(self._check_forever(), name="widget-room-sessions"),
            ]

    async def stop(self) -> None:
        """Stop both tasks (and any resolve still running)."""
        for task in self._inflight.values():
            task.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    # ------------------------------------------------------------ tabs

    async def prepare(self, dashboard_id: int, choice: ViewChoice) -> Feed:
        """The feed a tab asking for `dashboard_id` under `choice` will show. Hand its
        `snapshot()` and `revision` to `join`.

        The board is always read afresh: a page load is how an operator makes sure of what
        the board holds, so feeds other tabs show that differ from the read (a missed
        notice: another process, Redis restarted, a direct write) re-read on the next tick."""
        info, ordered = await asyncio.to_thread(self._load_board, dashboard_id)
        board = int(info["dashboard_id"])
        for shown in self.shared.feeds.values():
            if (
                shown.key[0] == board
                and shown.info
                and (shown.info != info or list(shown.specs.items()) != ordered)
            ):
                shown.reload = True
        feed = self.shared.feed(board, choice)
        if not feed.info:
            feed.set_board(info, ordered, loading_view)
        return feed

    async def join(self, member: Member, revision: int, prepared: Feed | None = None) -> bool:
        """Add a connected tab showing `member.feed` (`prepared`: the feed `prepare` gave it,
        put back if another tab's leave forgot it meanwhile); send it the feed when the
        snapshot it was given (`revision`) is no longer current. False when the socket is
        gone or its session signed out since its viewer check.

        Nothing suspends between the revision check and the membership: no push can slip
        between them."""
        manager = self._namespace.server.manager
        feed = self.shared.feeds.get(member.feed)
        if feed is None and prepared is not None and prepared.key == member.feed:
            feed = prepared
        if (
            feed is None
            or self.signed_out(member.session)
            or not manager.is_connected(member.sid, self._namespace.namespace)
        ):
            return False
        if member.feed not in self.shared.feeds:
            self.shared.feeds[member.feed] = feed
            feed.reload = True  # unwatched for a moment: a board notice may have passed it by
        self.shared.join(member)
        self._moves.pop(member.token, None)
        if revision != feed.revision:
            await self._push(member.sid, feed.snapshot(member.sorts))
        self._wake.set()  # its new widgets are due
        return True

    def feed_of(self, token: str) -> Feed | None:
        """The feed the tab `token` shows (None: not a member of this process's room)."""
        member = self.shared.members.get(token)
        return None if member is None else self.shared.feeds.get(member.feed)

    def move(self, token: str, dashboard_id: int, choice: ViewChoice) -> None:
        """The tab switched board, range or filters: the next tick sends it the new feed."""
        if token in self.shared.members:
            self._moves[token] = (dashboard_id, choice)
            self._wake.set()

    def reload(self, token: str) -> None:
        """Re-read the tab's board (a widget was added, removed or changed)."""
        feed = self.feed_of(token)
        if feed is not None:
            feed.reload = True
            self._wake.set()

    def retry(self, token: str, widget_id: str) -> None:
        """Re-resolve one widget of the tab's feed now: its tabs see it loading, then the
        result (sent even when unchanged)."""
        feed = self.feed_of(token)
        if feed is not None and widget_id in feed.specs:
            feed.forced.add(widget_id)
            feed.views[widget_id] = {**feed.views[widget_id], "status": "loading", "error": ""}
            self._retrying.add(feed.key)
            self._wake.set()

    def set_sorts(self, token: str, sorts: dict[str, list[Any]]) -> None:
        """The tab's table sorts: its views are sent again, sorted, and so are later pushes.

        The room sends them (not the tab's own event): a push of newer data can never be
        overtaken by an older sorted copy."""
        member = self.shared.members.get(token)
        if member is not None:
            member.sorts = dict(sorts)
            self._resend.add(token)
            self._wake.set()

    def signed_out(self, session_token: str) -> bool:
        """Whether this process took `session_token`'s tabs out lately (it signed out)."""
        return session_token in self._signed_out

    def leave_session(self, session_token: str) -> None:
        """Take out every tab of a session (signed out); one of its tabs still joining (its
        viewer check passed before the sign-out) is refused."""
        self._signed_out.add(session_token)
        for token, member in list(self.shared.members.items()):
            if member.session == session_token:
                self.shared.leave(token)

    async def check_sessions(self) -> None:
        """Forget tabs whose socket closed; take out those whose session no longer allows
        viewing (revoked, expired, user disabled). A failing check takes nobody out."""
        manager, name = self._namespace.server.manager, self._namespace.namespace
        for token, member in list(self.shared.members.items()):
            if not manager.is_connected(member.sid, name):
                self.shared.leave(token)
        sessions = {m.session for m in self.shared.members.values()}
        if not sessions:
            return
        allowed = await asyncio.to_thread(lambda: {s for s in sessions if self._allowed(s)})
        for token, member in list(self.shared.members.items()):
            if member.session in sessions and member.session not in allowed:
                log.info("widget room: session no longer allowed, tab %s taken out", member.sid)
                self.shared.leave(token)

    # ------------------------------------------------------------ the refresher

    def notice(self, item: dict[str, Any]) -> None:
        """A bus notice: boards it concerns are re-read on the next tick (the tab whose own
        layout save it announces is not sent its layout back)."""
        if item.get("kind") != "notice" or item.get("topic") == SIMULATOR:
            return
        board = item.get("dashboard_id")
        for feed in self.shared.feeds.values():
            if item.get("topic") == "widgets" or board in (None, feed.key[0]):
                feed.reload = True
                if item.get("origin"):
                    feed.quiet.add(str(item["origin"]))
                self._wake.set()

    async def tick(self) -> None:
        """Moves, board re-reads, then every distinct due widget resolved once (in its own
        task, so a slow warehouse query delays only its own cards) and pushed."""
        for token, (dashboard_id, choice) in list(self._moves.items()):
            try:
                await self._move(token, dashboard_id, choice)
            except Exception as exc:  # this tab keeps its feed; the others' tick goes on
                log.warning("widget room: board %s not read for a tab: %s", dashboard_id, exc)
        await self._reload_boards()
        resend, self._resend = self._resend, set()
        for token in resend:
            member = self.shared.members.get(token)
            if member is not None and (feed := self.shared.feeds.get(member.feed)):
                await self._push(member.sid, {"views": feed.ordered_views(member.sorts)})
        retrying, self._retrying = self._retrying, set()
        for key in retrying:
            if (feed := self.shared.feeds.get(key)) is not None:
                await self._push_feed(feed, {})
        wanted = self.shared.wanted(time.monotonic())
        for key in [k for k in self._inflight if k not in wanted]:
            self._inflight.pop(key).cancel()  # no feed shows it any more (a tab moved on)
        for key, args in wanted.items():
            if key not in self._inflight:
                task = asyncio.create_task(self._resolve(*args), name="widget-resolve")
                task.add_done_callback(lambda _task: self._wake.set())
                self._inflight[key] = task
        if not self._inflight:
            return
        # results that arrive together go out together; a slow query never holds the tick
        await asyncio.wait(list(self._inflight.values()), timeout=RESOLVE_WAIT_SECONDS)
        results = {}
        for key, task in list(self._inflight.items()):
            if task.done():
                del self._inflight[key]
                if task.cancelled():
                    continue
                if (error := task.exception()) is not None:  # not a card error: a bug
                    log.warning("widget %s not resolved: %s", key[0], error)
                else:
                    results[key] = task.result()
        for feed in self.shared.apply(results, time.monotonic()):
            await self._push_feed(feed, {})

    async def _move(self, token: str, dashboard_id: int, choice: ViewChoice) -> None:
        member = self.shared.members.get(token)
        if self._moves.pop(token, None) is None or member is None:
            return
        feed = await self.prepare(dashboard_id, choice)
        if token in self.shared.members:  # still here after the board read
            member.feed = feed.key
            self.shared.join(member)
            await self._push(member.sid, feed.snapshot(member.sorts))

    async def _reload_boards(self) -> None:
        feeds = [f for f in self.shared.feeds.values() if f.reload]
        boards: dict[int, tuple[dict[str, Any], Ordered]] = {}
        for feed in feeds:  # one read per board, whatever the number of choices shown
            if feed.key[0] not in boards:
                boards[feed.key[0]] = await asyncio.to_thread(self._load_board, feed.key[0])
            info, ordered = boards[feed.key[0]]
            quiet, feed.quiet, feed.reload = feed.quiet, set(), False
            changed = feed.set_board({**info, "dashboard_id": feed.key[0]}, ordered, loading_view)
            if changed:
                await self._push_feed(feed, {k: feed.info[k] for k in changed if k != "views"},
                                      quiet)  # fmt: skip

    async def _push_feed(
        self, feed: Feed, fields: dict[str, Any], quiet: set[str] | None = None
    ) -> None:
        """Send a feed's views (and `fields`) to its tabs, once per group of sorts; tabs in
        `quiet` are not sent the layouts (their own save)."""
        for sorts, members in self.shared.audience(feed.key):
            values = {**fields, "views": feed.ordered_views(sorts)}
            loud = [m.sid for m in members if m.token not in (quiet or ())]
            hushed = [m.sid for m in members if m.token in (quiet or ())]
            await self._push(loud, values)
            if hushed:
                await self._push(hushed, {k: v for k, v in values.items() if k != "layouts"})

    async def _push(self, to: str | list[str], values: dict[str, Any]) -> None:
        if to:
            await emit_values(self._namespace, self._state_name, values, to)

    async def _run(self, live: Any) -> None:
        while True:
            try:
                async with live.fanout.subscribe(notices_only=True) as consumer:
                    while True:
                        await self.tick()
                        await self._wait(consumer)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the cards keep their last data; refresh again later
                log.warning("widget refresher interrupted (%s); retrying", exc)
                await asyncio.sleep(RETRY_SECONDS)

    async def _wait(self, consumer: Any) -> None:
        """One tick: notices, and tabs' requests (which end the wait early)."""
        deadline = time.monotonic() + TICK_SECONDS
        self._wake.clear()
        while (left := deadline - time.monotonic()) > 0 and not self._wake.is_set():
            waker = asyncio.create_task(self._wake.wait())
            getter = asyncio.create_task(consumer.get(timeout=left))
            done, pending = await asyncio.wait({waker, getter}, return_when="FIRST_COMPLETED")
            for task in pending:
                task.cancel()
            if getter in done and getter.exception() is None:
                self.notice(getter.result())
            elif getter in done and not isinstance(getter.exception(), TimeoutError):
                raise getter.exception()  # type: ignore[misc]

    async def _check_forever(self) -> None:
        while True:
            await asyncio.sleep(SESSION_CHECK_SECONDS)
            try:
                await self.check_sessions()
            except Exception as exc:
                log.warning("widget room session check failed: %s", exc)


_room: WidgetRoom | None = None


def running_widget_room() -> WidgetRoom | None:
    """This process's room when it runs in the current loop (handlers call it synchronously)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return _room if _room is not None and _room.loop is loop else None


async def widget_room(state_name: str, allowed: Callable[[str], bool]) -> WidgetRoom:
    """This process's room (created and started on first use within the running loop)."""
    global _room
    if running_widget_room() is None:
        from reflex.utils.prerequisites import get_app

        from command_center.ops.live import get_live_ops

        live = await get_live_ops()
        if running_widget_room() is None:
            _room = WidgetRoom(get_app().app.event_namespace, state_name, allowed)
            _room.start(live)
    assert _room is not None
    return _room


def leave_widget_room(session_token: str) -> None:
    """Take a signed-out session's tabs out of this process's room (if it runs)."""
    room = running_widget_room()
    if room is not None and session_token:
        room.leave_session(session_token)
