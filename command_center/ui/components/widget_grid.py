"""The dashboard's widget grid."""

import reflex as rx

from command_center.ui.components.widget_card import widget_card
from command_center.ui.states.widgets import WidgetsState


def widget_grid() -> rx.Component:
    """Every persisted widget as a live card; an empty state when there are none."""
    return rx.cond(
        WidgetsState.loaded & (WidgetsState.views.length() == 0),
        rx.center(
            rx.text("No widgets yet — use “Add widget” to build one.", color_scheme="gray"),
            padding="32px",
        ),
        rx.grid(
            rx.foreach(
                WidgetsState.views,
                lambda v: widget_card(v, WidgetsState.retry, WidgetsState.remove),
            ),
            columns=rx.breakpoints(initial="1", md="2", xl="3"),
            spacing="3",
            width="100%",
            align_items="start",
            id="widget-grid",
        ),
    )
