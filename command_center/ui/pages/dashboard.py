"""The dashboard page."""

import reflex as rx

from command_center.ui.components.header import header
from command_center.ui.components.kpi_tiles import kpi_grid
from command_center.ui.components.widget_grid import widget_grid


def dashboard_page() -> rx.Component:
    """Header, KPI tiles."""
    return rx.container(
        header(),
        rx.separator(margin_bottom="16px"),
        kpi_grid(),
        rx.heading("Widgets", size="4", margin_top="24px", margin_bottom="8px"),
        widget_grid(),
        size="4",
        padding_x="24px",
    )
