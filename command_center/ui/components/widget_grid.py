"""The dashboard's widget grid: react-grid-layout with a card per widget."""

import reflex as rx

from command_center.dashboards.layout import BREAKPOINTS, COLS, ROW_HEIGHT
from command_center.ui.components.widget_card import widget_card
from command_center.ui.states.widget_actions import WidgetActions
from command_center.ui.states.widgets import WidgetsState
from custom_components.grid import dashboard_grid


def _cell(view: rx.Var) -> rx.Component:
    actions = {
        "edit": WidgetActions.edit,
        "duplicate": WidgetActions.duplicate,
        "remove": WidgetActions.remove,
        "csv": WidgetActions.download_csv,
        "sort": WidgetsState.sort_table,
    }
    return rx.el.div(
        widget_card(view, WidgetsState.retry, actions, in_grid=True),
        key=view["id"],
        class_name="grid-cell",
    )


def widget_grid() -> rx.Component:
    """Every widget on the current dashboard as a live card; an empty state when none."""
    return rx.cond(
        WidgetsState.loaded & (WidgetsState.views.length() == 0),
        rx.center(
            rx.text("No widgets yet — use “Add widget” to build one.", color_scheme="gray"),
            padding="32px",
            id="widget-grid-empty",
        ),
        dashboard_grid(
            rx.foreach(WidgetsState.views, _cell),
            layouts=WidgetsState.layouts,
            breakpoints=BREAKPOINTS,
            cols=COLS,
            row_height=ROW_HEIGHT,
            save_delay=400,
            on_layout_save=WidgetsState.save_layout,
            id="widget-grid",
            class_name="widget-grid",
        ),
    )
