"""Dashboard widgets: the chosen dashboard's layout and cards, live data on each widget's
cadence, and layout/widget changes from other tabs (bus notices)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any
from urllib.parse import urlencode

import reflex as rx

from command_center.dashboards.filters import (
    ChoiceError,
    ViewChoice,
    allowed_values,
    parse_choice,
    range_options,
)
from command_center.dashboards.view_data import filter_choices, widget_data_in_view
from command_center.ui.states.connection import client_connected
from command_center.ui.states.guard import requires_role
from command_center.ui.states.loops import single_loop
from command_center.ui.states.session import SessionState
from command_center.ui.view_models.widget_card import widget_view
from command_center.warehouse.errors import WarehouseError

GRACE_SECONDS = 30
RETRY_SECONDS = 2.0
TICK_SECONDS = 0.5
log = logging.getLogger(__name__)
RELOAD_ALL = "*"  # re-read the board and re-resolve every widget
RELOAD_BOARD = "board"  # re-read the board; resolve only new or changed widgets


def _board_specs(dashboard_id: int | None) -> tuple[Any, list[tuple[str, dict[str, Any]]]]:
    from command_center.dashboards.service import DashboardError, load_layout
    from command_center.widgets.persist import list_widgets

    try:
        board = load_layout(dashboard_id or None)
    except DashboardError:  # a stale link: the default dashboard
        board = load_layout(None)
    specs = {w.id: dict(w.spec) for w in list_widgets()}
    return board, [(wid, specs[wid]) for wid in board.widget_ids if wid in specs]


async def resolve_view(
    widget_id: str, spec: dict[str, Any], choice: ViewChoice | None = None
) -> dict[str, Any]:
    """Resolve one widget under the dashboard's range and filters into its view; failures
    become a readable error view."""
    try:
        found = await widget_data_in_view(widget_id, spec, choice)
    except WarehouseError as exc:  # which warehouse, what kind of failure, the driver's words
        return widget_view(widget_id, spec, None, status="error", error=exc.describe()[:300])
    except Exception as exc:  # shown on the card, with a retry button
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return widget_view(widget_id, spec, None, status="error", error=message[:300])
    data, metric = found.data, found.metric
    return widget_view(
        widget_id,
        spec,
        data.rows,
        source=data.source,
        cached=data.cached,
        generated_at=data.generated_at,
        cached_at=data.cached_at,
        value_name=metric.label if metric else "",
        notes=found.notes,
        as_of=data.as_of,
    )


def sort_rows(view: dict[str, Any], column: str | None, descending: bool) -> dict[str, Any]:
    """The view with its table rows ordered by `column` (numbers before text, gaps last)."""
    keys = [c["key"] for c in view.get("columns") or []]
    if column not in keys:
        return view
    index = keys.index(column)

    def order(row: list[dict[str, Any]]) -> tuple[int, Any]:
        value = row[index]["sort"]
        if value in ("", None):
            return (2, "")
        return (0, value) if isinstance(value, int | float) else (1, str(value).lower())

    rows = sorted(view["rows"], key=order, reverse=descending)
    return {**view, "rows": rows, "sorted_by": column, "descending": descending}


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
    _specs: dict[str, dict[str, Any]] = {}
    _force: set[str] = set()
    _sorts: dict[str, list[Any]] = {}  # widget id → [column key, descending]

    def _take_forced(self) -> set[str]:
        """What handlers asked the loop to reload. Assigns only when there is something:
        an untouched state is not written back (the Redis state manager) on every tick."""
        forced = self._force
        if forced:
            self._force = set()
        return forced

    def _set_view(self, view: dict[str, Any]) -> None:
        view = sort_rows(view, *self._sorts.get(view["id"], [None, False]))
        self.views = [view if v["id"] == view["id"] else v for v in self.views]

    @rx.event
    @requires_role("viewer")
    def sort_table(self, widget_id: str, column: str) -> None:
        """Sort a table card by `column`; again on the same column flips the order.

        Only a column of a card on this board is kept (the client names both)."""
        view = next((v for v in self.views if v["id"] == widget_id), None)
        if view is None or column not in {c["key"] for c in view.get("columns") or []}:
            return
        key, descending = self._sorts.get(widget_id, [None, False])
        self._sorts = {
            **self._sorts,
            widget_id: [column, not descending if key == column else False],
        }
        self._set_view(view)

    @rx.event
    @requires_role("viewer")
    def retry(self, widget_id: str) -> None:
        """Ask the refresh loop to re-resolve one widget now."""
        self._force = {*self._force, widget_id}
        self.views = [
            {**v, "status": "loading", "error": ""} if v["id"] == widget_id else v
            for v in self.views
        ]

    @rx.event
    @requires_role("viewer")
    def reload(self) -> None:
        """Re-read the board (after a widget was added or changed)."""
        self._force = {*self._force, RELOAD_BOARD}

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
        self._force = {*self._force, RELOAD_ALL}
        return self._url_script()

    @rx.event
    @requires_role("viewer")
    def switch_dashboard(self, dashboard_id: str) -> Any:
        """Show another dashboard (its id also goes into the URL)."""
        self.dashboard_id = int(dashboard_id)
        self.views, self.layouts, self.loaded = [], {}, False
        self._force = {*self._force, RELOAD_ALL}
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
        """One loop per tab: resolve due widgets concurrently, outside the state lock.

        Survives failures (the state manager being unreachable included) while the tab is
        connected: the cards keep their last data and refresh again when it is back.
        """
        async with self:
            token = self.router.session.client_token
            params = dict(self.router.url.query_parameters)
            wanted = params.get("dashboard", "")
            if wanted.isdigit():
                self.dashboard_id = int(wanted)
            choice = ViewChoice.from_params(params)
            self.range_choice, self.filters = choice.range, choice.filters
            self.range_start = choice.start.isoformat() if choice.start else ""
            self.range_end = choice.end.isoformat() if choice.end else ""
            self.range_options = range_options()
        with single_loop("widget-refresh", token) as mine:
            if not mine:
                return
            while True:
                try:
                    await self._refresh_forever(token)
                    return
                except Exception as exc:
                    log.warning("widget refresh interrupted (%s); retrying", exc)
                    await asyncio.sleep(RETRY_SECONDS)
                    if not client_connected(token):
                        return

    async def _load_specs(self) -> dict[str, dict[str, Any]]:
        from command_center.dashboards.service import list_dashboards

        async with self:
            dashboard_id = self.dashboard_id
        board, ordered = await asyncio.to_thread(_board_specs, dashboard_id)
        dashboards = await asyncio.to_thread(list_dashboards)
        specs = dict(ordered)
        async with self:
            known = {
                v["id"]: v for v in self.views if self._specs.get(v["id"]) == specs.get(v["id"])
            }
            self._specs = specs
            self.dashboard_id = board.id
            self.dashboard_name = board.name
            self.dashboards = dashboards
            self.layouts = board.layout.get("layouts", {})
            self.views = [
                known.get(wid) or widget_view(wid, spec, None, status="loading")
                for wid, spec in ordered
            ]
            self.loaded = True
        return specs

    async def _refresh_forever(self, token: str) -> None:
        from command_center.ops.live import get_live_ops

        live = await get_live_ops()
        async with live.fanout.subscribe(notices_only=True) as consumer:
            specs = await self._load_specs()
            options = await asyncio.to_thread(filter_choices)  # after the cards are up
            async with self:  # before any widget is resolved: only known filter values stay
                self.filter_options = options
                self._keep_known_filters()
            next_due: dict[str, float] = {}
            last_seen = time.monotonic()
            while True:
                now = time.monotonic()
                if client_connected(token):
                    last_seen = now
                elif now - last_seen > GRACE_SECONDS:
                    return
                async with self:
                    forced = self._take_forced()
                    choice = self._choice()
                if forced & {RELOAD_ALL, RELOAD_BOARD}:
                    old, specs = specs, await self._load_specs()
                    changed = {w for w in specs if old.get(w) != specs[w]}
                    for widget_id in changed:
                        next_due.pop(widget_id, None)
                    forced = set(specs) if RELOAD_ALL in forced else forced | changed
                due = [w for w in specs if w in forced or next_due.get(w, 0) <= now]
                if due:
                    views = await asyncio.gather(*(resolve_view(w, specs[w], choice) for w in due))
                    async with self:
                        for view in views:
                            self._set_view(view)
                    for widget_id in due:
                        intent = specs[widget_id].get("data_intent") or {}
                        refresh = intent.get("refresh_seconds")
                        next_due[widget_id] = time.monotonic() + max(int(refresh or 60), 5)
                await self._await_notices(consumer, token)

    async def _await_notices(self, consumer: Any, token: str) -> None:
        """Wait out one tick on the bus; a notice about this board asks for a reload (and
        ends the wait). The consumer receives notices only (no KPI traffic)."""
        deadline = time.monotonic() + TICK_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                item = await consumer.get(timeout=left)
            except TimeoutError:
                return
            if item.get("origin") == token:
                continue  # this tab's own save
            async with self:
                mine = self.dashboard_id
            board = item.get("dashboard_id")
            if item.get("topic") == "widgets" or board in (None, mine):
                async with self:
                    self._force = {*self._force, RELOAD_BOARD}
                return
