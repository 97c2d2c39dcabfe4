"""KPI tiles."""

import reflex as rx

from command_center.ui.states.dashboard import DashboardState
from command_center.ui.theme import CARD_STYLE


def kpi_tile(tile: rx.Var) -> rx.Component:
    """One KPI tile: label, big value, hint."""
    return rx.box(
        rx.text(tile["label"], size="2", color_scheme="gray"),
        rx.heading(
            tile["display"],
            size="8",
            class_name="kpi-value",
            color=rx.cond(tile["alert"] != "", "var(--red-11)", "inherit"),
        ),
        rx.text(
            tile["hint"],
            rx.cond(tile["alert"] != "", " · " + tile["alert"].to(str) + " target", ""),
            size="1",
            color_scheme=rx.cond(tile["alert"] != "", "red", "gray"),
        ),
        id="kpi-" + tile["id"].to(str),
        class_name="kpi-tile " + tile["flash"].to(str),
        data_version=DashboardState.version,
        data_alert=rx.cond(tile["alert"] != "", "true", "false"),
        style=CARD_STYLE,
    )


def kpi_skeleton() -> rx.Component:
    """Placeholder tiles while the snapshot loads."""
    return rx.grid(
        *(rx.skeleton(rx.box(height="96px"), loading=True) for _ in range(7)),
        columns=rx.breakpoints(initial="2", lg="4"),
        spacing="3",
        width="100%",
    )


def kpi_grid() -> rx.Component:
    """All KPI tiles, a skeleton while loading, a readable error on failure."""
    return rx.cond(
        DashboardState.error != "",
        rx.callout(DashboardState.error, icon="triangle_alert", color_scheme="red"),
        rx.cond(
            DashboardState.loading,
            kpi_skeleton(),
            rx.grid(
                rx.foreach(DashboardState.tiles, kpi_tile),
                columns=rx.breakpoints(initial="2", lg="4"),
                spacing="3",
                width="100%",
                id="kpi-grid",
            ),
        ),
    )
