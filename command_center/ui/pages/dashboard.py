"""The dashboard page."""

import reflex as rx

from command_center.ui.components.header import header
from command_center.ui.components.kpi_tiles import kpi_grid


def dashboard_page() -> rx.Component:
    """Header, KPI tiles."""
    return rx.container(
        header(),
        rx.separator(margin_bottom="16px"),
        kpi_grid(),
        size="4",
        padding_x="24px",
    )
