"""Card and dashboard actions: remove (with undo), duplicate, edit, new/rename dashboard.

Each calls the same service function as `/v1` (`command_center.dashboards`)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import reflex as rx

from command_center.dashboards.filters import allowed_values
from command_center.ui.states.guard import requires_role
from command_center.ui.states.widgets import WidgetsState

UNDO_SECONDS = 8
MAX_CSV_ROWS = 10_000


def rows_csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """CSV text of `rows` (header = the column names; at most MAX_CSV_ROWS rows)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows[:MAX_CSV_ROWS])
    return buffer.getvalue()


def csv_name(title: str) -> str:
    """A safe file name for a widget title."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60]
    return f"{stem or 'widget'}.csv"


class WidgetActions(WidgetsState):
    """Actions on the current dashboard's widgets and on the dashboards themselves."""

    dialog: str = ""  # "" | "new" | "rename"
    dialog_error: str = ""
    _removed: dict[str, dict[str, Any]] = {}

    @rx.event(background=True)
    @requires_role("editor")
    async def remove(self, widget_id: str):  # type: ignore[no-untyped-def]
        """Remove a widget; a toast offers Undo for a few seconds."""
        from command_center.dashboards.widgets import remove_widget

        try:
            removed = await remove_widget(widget_id)
        except Exception as exc:
            yield rx.toast.error(f"Could not remove the widget: {exc}")
            return
        if removed is None:
            yield rx.toast.error("That widget was already removed")
            return
        async with self:
            self._removed = {**self._removed, widget_id: removed.as_dict()}
            if self._feed() is None:  # else the refresher re-reads the board and sends it
                self.views = [v for v in self.views if v["id"] != widget_id]
            self._specs.pop(widget_id, None)
            self._ask_reload()
        title = str(removed.spec.get("title", "Widget"))
        yield rx.toast(
            f"Removed “{title}”",
            id=f"removed-{widget_id}",
            duration=UNDO_SECONDS * 1000,
            action={"label": "Undo", "on_click": WidgetActions.undo_remove(widget_id)},
        )

    @rx.event(background=True)
    @requires_role("editor")
    async def undo_remove(self, widget_id: str):  # type: ignore[no-untyped-def]
        """Put a removed widget back, with its id, spec and place."""
        from command_center.dashboards.widgets import restore_widget

        async with self:
            removed = self._removed.get(widget_id)
        if removed is None:
            return
        try:
            await restore_widget(removed)
        except Exception as exc:
            yield rx.toast.error(f"Could not restore the widget: {exc}")
            return
        async with self:
            self._removed = {k: v for k, v in self._removed.items() if k != widget_id}
            self._ask_reload()
        yield rx.toast.success("Widget restored", id=f"restored-{widget_id}")

    @rx.event(background=True)
    @requires_role("editor")
    async def duplicate(self, widget_id: str):  # type: ignore[no-untyped-def]
        """Copy a widget next to itself."""
        from command_center.dashboards.widgets import duplicate_widget

        async with self:
            dashboard_id = self.dashboard_id
        try:
            copy = await duplicate_widget(widget_id, dashboard_id or None)
        except Exception as exc:
            yield rx.toast.error(f"Could not duplicate the widget: {exc}")
            return
        async with self:
            self._ask_reload()
        yield rx.toast.success(f"Added “{copy['title']}”")

    @rx.event
    @requires_role("editor")
    def edit(self, widget_id: str) -> Any:
        """Reopen the builder on this widget (a card on this board); the builder reads its
        spec from the database by id, so saving writes it back in place."""
        from command_center.ui.states.builder import BuilderState

        if widget_id not in self._current_specs():
            return rx.toast.error("That widget is gone")
        return BuilderState.edit_widget(widget_id)

    @rx.event(background=True)
    @requires_role("viewer")
    async def download_csv(self, widget_id: str):  # type: ignore[no-untyped-def]
        """The widget's current rows, under the dashboard's range and filters, as a CSV file
        (from the cache when fresh)."""
        from command_center.dashboards.view_data import widget_data_in_view

        async with self:
            spec = self._current_specs().get(widget_id)
            choice = self._choice()
            # only known values: a link's filters wait in the state until they are checked
            allowed = allowed_values(self.filter_options)
        choice.filters = {k: v for k, v in choice.filters.items() if v in allowed.get(k, ())}
        if spec is None:
            return
        try:
            data = (await widget_data_in_view(widget_id, spec, choice)).data
        except Exception as exc:
            yield rx.toast.error(f"No data to download: {exc}")
            return
        title = str(spec.get("title") or "widget")
        yield rx.download(data=rows_csv(data.columns, data.rows), filename=csv_name(title))

    # ------------------------------------------------------------- dashboards

    @rx.event
    @requires_role("editor")
    def open_dialog(self, kind: str) -> None:
        """Open the new / rename dashboard dialog."""
        self.dialog, self.dialog_error = kind, ""

    @rx.event
    @requires_role("editor")
    def set_dialog_open(self, value: bool) -> None:
        """Radix `on_open_change`."""
        if not value:
            self.dialog, self.dialog_error = "", ""

    @rx.event
    @requires_role("editor")
    def submit_dialog(self, form: dict[str, Any]) -> Any:
        """Create or rename a dashboard from the dialog's form."""
        from command_center.dashboards import service

        name = str(form.get("name", ""))[: service.MAX_NAME + 1]
        try:
            if self.dialog == "rename":
                board = service.rename_dashboard(self.dashboard_id, name)
            else:
                board = service.create_dashboard(name)
        except service.DashboardError as exc:
            self.dialog_error = str(exc)
            return None
        self.dialog, self.dialog_error = "", ""
        self.dashboards = service.list_dashboards()
        if board["id"] == self.dashboard_id:
            self.dashboard_name = board["name"]
            return None
        return WidgetsState.switch_dashboard(str(board["id"]))
