"""Dashboard widgets: the chosen dashboard's layout and cards. Live data on each widget's
cadence and layout/widget changes from other tabs (bus notices) arrive from the process's one
widget refresher (ui/widget_room.py); this state keeps the tab's choices (board, range,
filters, table sorts) and is given the refresher's snapshot on load and reconnect."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from command_center.auth.roles import Role
from command_center.dashboards.filters import (
    ChoiceError,
    ViewChoice,
    allowed_values,
    parse_choice,
    range_options,
)
from command_center.dashboards.view_data import filter_choices
from command_center.ui.states.connection import local_sid
from command_center.ui.states.guard import requires_role
from command_center.ui.states.session import SessionState, session_principal
from command_center.ui.view_models.shared_widgets import Feed, Member, sort_rows
from command_center.ui.widget_data import resolve_view
from command_center.ui.widget_room import WidgetRoom, running_widget_room, widget_room

log = logging.getLogger(__name__)
__all__ = ["WidgetsState", "resolve_view", "sort_rows"]


class WidgetsState(SessionState):
    """The current dashboard's layout and widget views; specs stay on the server."""

    views: list[dict[str, Any]] = []
    loaded: bool = False
    dashboard_id: int = 0
    dashboard_name: str = ""
    dashboards: list[dict[str, Any]] = []
    layouts: dict[str, Any] = {}
    range_choice: str = ""
    range_start: str = ""  # an absolute range (YYYY-MM-DD, inclusive); "" = none
    range_end: str = ""
    range_error: str = ""  # why the last custom range was refused
    filters: dict[str, str] = {}
    filter_options: list[dict[str, Any]] = []
    range_options: list[dict[str, str]] = []
    _specs: dict[str, dict[str, Any]] = {}  # as of the tab's last snapshot
    _sorts: dict[str, list[Any]] = {}  # widget id → [column key, descending]

    def _tab(self) -> str:
        return str(self.router.session.client_token or "")

    def _feed(self) -> Feed | None:
        """What the process's widget refresher shows this tab now (None: not in its room)."""
        room = running_widget_room()
        return None if room is None else room.feed_of(self._tab())

    def _current_views(self) -> list[dict[str, Any]]:
        feed = self._feed()
        return self.views if feed is None else feed.ordered_views(self._sorts)

    def _current_specs(self) -> dict[str, dict[str, Any]]:
        feed = self._feed()
        return self._specs if feed is None else feed.specs

    def _ask_reload(self) -> None:
        """Re-read this tab's board (a widget was added, removed or changed)."""
        if (room := running_widget_room()) is not None:
            room.reload(self._tab())

    def _set_view(self, view: dict[str, Any]) -> None:
        view = sort_rows(view, *self._sorts.get(view["id"], [None, False]))
        self.views = [view if v["id"] == view["id"] else v for v in self.views]

    @rx.event
    @requires_role("viewer")
    def sort_table(self, widget_id: str, column: str) -> None:
        """Sort a table card by `column`; again on the same column flips the order.

        Only a column of a card on this board is kept (the client names both)."""
        view = next((v for v in self._current_views() if v["id"] == widget_id), None)
        if view is None or column not in {c["key"] for c in view.get("columns") or []}:
            return
        key, descending = self._sorts.get(widget_id, [None, False])
        self._sorts = {
            **self._sorts,
            widget_id: [column, not descending if key == column else False],
        }
        room = running_widget_room()
        if room is not None and room.feed_of(self._tab()) is not None:
            room.set_sorts(self._tab(), self._sorts)  # the room sends the sorted views
        else:
            self._set_view(view)

    @rx.event
    @requires_role("viewer")
    def retry(self, widget_id: str) -> None:
        """Ask the refresher to re-resolve one widget now (it shows the card loading)."""
        room = running_widget_room()
        if room is not None and room.feed_of(self._tab()) is not None:
            room.retry(self._tab(), widget_id)
            return
        self.views = [
            {**v, "status": "loading", "error": ""} if v["id"] == widget_id else v
            for v in self.views
        ]

    @rx.event
    @requires_role("viewer")
    def reload(self) -> None:
        """Re-read the board (after a widget was added or changed)."""
        self._ask_reload()

    @rx.event(background=True)
    @requires_role("editor")
    async def save_layout(self, layouts: dict[str, Any]):  # type: ignore[no-untyped-def]
        """The grid's drag/resize/keyboard result: store it (other tabs hear a notice)."""
        from command_center.dashboards.service import DashboardError, save_layout

        async with self:
            dashboard_id = self.dashboard_id
            token = self.router.session.client_token
        try:
            board = await save_layout(dashboard_id or None, layouts, origin=token)
        except DashboardError as exc:
            yield rx.toast.error(f"Layout not saved: {exc}")
            return
        async with self:
            if self.dashboard_id == board.id:
                self.layouts = board.layout.get("layouts", {})

    def _url_script(self) -> Any:
        """Put the dashboard, range and filters into the address bar (no navigation)."""
        params = {"dashboard": str(self.dashboard_id), **self._choice().params()}
        query = json.dumps(urlencode(params))
        return rx.call_script(f"history.replaceState(null, '', '?' + {query})")

    def _choice(self) -> ViewChoice:
        dates = {"from": self.range_start, "to": self.range_end} if self.range_end else {}
        choice = ViewChoice.from_params(dates)
        choice.range, choice.filters = self.range_choice, dict(self.filters)
        return choice

    def _show_choice(self, choice: ViewChoice) -> Any:
        """Keep `choice` (range, dates, filters), reload every widget, update the URL."""
        self.range_choice, self.filters = choice.range, dict(choice.filters)
        self.range_start = choice.start.isoformat() if choice.start else ""
        self.range_end = choice.end.isoformat() if choice.end else ""
        self.range_error = ""
        self._move()
        return self._url_script()

    def _move(self) -> None:
        """Have the refresher send this tab its (new) board under its (new) choice."""
        if (room := running_widget_room()) is not None:
            room.move(self._tab(), self.dashboard_id, self._choice())

    @rx.event
    @requires_role("viewer")
    def switch_dashboard(self, dashboard_id: str) -> Any:
        """Show another dashboard (its id also goes into the URL)."""
        self.dashboard_id = int(dashboard_id)
        self._move()  # the refresher sends the board's layout and cards
        return self._url_script()

    @rx.event
    @requires_role("viewer")
    def set_range(self, value: str) -> Any:
        """A range preset id, `custom:N`, or "all" for each widget's own window."""
        return self._range(value)

    def _range(self, value: str) -> Any:
        choice = ViewChoice.from_params({"range": "" if value == "all" else value})
        choice.filters = dict(self.filters)
        return self._show_choice(choice)

    @rx.event
    @requires_role("viewer")
    def set_dates(self, form: dict[str, Any]) -> Any:
        """The absolute range form (from/to dates, inclusive); a refusal is shown beside it."""
        try:
            choice = parse_choice({"from": str(form.get("from") or "")[:40],
                                   "to": str(form.get("to") or "")[:40]})  # fmt: skip
        except ChoiceError as exc:
            self.range_error = f"{str(exc)[:1].upper()}{str(exc)[1:]}."
            return None
        choice.filters = dict(self.filters)
        return self._show_choice(choice)

    @rx.event
    @requires_role("viewer")
    def set_custom_days(self, form: dict[str, Any]) -> Any:
        """The custom range form: the last N days."""
        days = str(form.get("days", "")).strip()[:5]
        return self._range(f"custom:{days}" if days.isdigit() else "all")

    def _keep_known_filters(self) -> None:
        """Drop filter values (from a link) that are not among the known ones."""
        allowed = allowed_values(self.filter_options)
        known = {k: v for k, v in self.filters.items() if v in allowed.get(k, ())}
        if known != self.filters:
            self.filters = known

    @rx.event
    @requires_role("viewer")
    def set_filter(self, key: str, value: str) -> Any:
        """One filter's value ("all" clears it): only a known value of a known filter."""
        wanted = {**self.filters, str(key)[:40]: "" if value == "all" else str(value)}
        try:
            chosen = parse_choice(
                {k: v for k, v in wanted.items() if v}, allowed_values(self.filter_options)
            )
        except ChoiceError as exc:
            return rx.toast.error(f"Filter not applied: {exc}")
        choice = self._choice()
        choice.filters = chosen.filters
        return self._show_choice(choice)

    @rx.event
    @requires_role("viewer")
    def clear_filters(self) -> Any:
        """Back to every widget's own range and no filters."""
        return self._show_choice(ViewChoice())

    @rx.event(background=True)
    @requires_role("viewer")
    async def run_refresh_loop(self) -> None:
        """Join the process's widget refresher (ui/widget_room.py) with this tab's board and
        choice from the URL: the tab's state is given the feed's snapshot, then every change
        of the feed reaches the tab as one shared push. Runs on every page load and reconnect;
        only a signed-in viewer gets this far."""
        options = await asyncio.to_thread(filter_choices)
        async with self:
            params = dict(self.router.url.query_parameters)
            wanted = params.get("dashboard", "")
            if wanted.isdigit():
                self.dashboard_id = int(wanted)
            choice = ViewChoice.from_params(params)
            self.range_choice, self.filters = choice.range, choice.filters
            self.range_start = choice.start.isoformat() if choice.start else ""
            self.range_end = choice.end.isoformat() if choice.end else ""
            self.range_options = range_options()
            self.filter_options = options
            self._keep_known_filters()  # before any widget is resolved: only known values
            dashboard_id, choice = self.dashboard_id, self._choice()
            session = str(self.session_token or "")  # the session the viewer check passed
        room = await tabs_widget_room()
        feed = await room.prepare(dashboard_id, choice)
        async with self:
            if str(self.session_token or "") != session or room.signed_out(session):
                return  # signed out (or in again) meanwhile: no data for this check's session
            token, sorts = self._tab(), dict(self._sorts)
            revision = feed.revision
            for name, value in feed.snapshot(sorts).items():  # assigned vars are sent
                setattr(self, name, value)
            self._specs = dict(feed.specs)
        sid = local_sid(token) or self.router.session.session_id
        member = Member(token, session, sid, feed.key, sorts)
        await room.join(member, revision, feed)


def _may_view(session_token: str) -> bool:
    """Whether a member's session still allows watching the dashboard."""
    principal = session_principal(session_token)
    return principal is not None and principal.allows(Role.viewer)


async def tabs_widget_room() -> WidgetRoom:
    """This process's widget refresher for `WidgetsState`."""
    return await widget_room(WidgetsState.get_full_name(), _may_view)
