"""The dashboard page."""

import reflex as rx

from command_center.ui.components.builder_panel import add_widget_button, builder_panel
from command_center.ui.components.header import header
from command_center.ui.components.kpi_tiles import kpi_grid
from command_center.ui.components.live_panels import live_row
from command_center.ui.components.widget_grid import widget_grid


def dashboard_page() -> rx.Component:
    """Header, live KPI tiles, event feed and status chart, then the widgets."""
    return rx.container(
        header(),
        rx.separator(margin_bottom="16px"),
        kpi_grid(),
        live_row(),
        rx.hstack(
            rx.heading("Widgets", size="4"),
            rx.spacer(),
            add_widget_button(),
            align="center",
            margin_top="24px",
            margin_bottom="8px",
            width="100%",
        ),
        builder_panel(),
        widget_grid(),
        size="4",
        padding_x="24px",
    )
