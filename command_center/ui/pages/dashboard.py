"""The dashboard page."""

import reflex as rx

from command_center.ui.components.builder_panel import builder_panel
from command_center.ui.components.dashboard_bar import dashboard_bar
from command_center.ui.components.filter_bar import filter_bar
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
        dashboard_bar(),
        filter_bar(),
        builder_panel(),
        widget_grid(),
        size="4",
        padding_x=rx.breakpoints(initial="12px", sm="24px"),
    )
