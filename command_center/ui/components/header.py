"""Page header with the mode badges."""

import reflex as rx

from command_center.ui.components.liveness import last_update_label, liveness_watch
from command_center.ui.components.roles import editors_only
from command_center.ui.components.user_menu import user_menu
from command_center.ui.states.dashboard import DashboardState

BADGE_COLORS = {"database": "blue", "cache": "amber", "llm": "violet", "warehouse": "green"}


def mode_badge(name: str) -> rx.Component:
    """A badge `name: mode` for one backend."""
    return rx.badge(
        rx.text(name, weight="light"),
        rx.text(DashboardState.modes[name], weight="bold"),
        color_scheme=BADGE_COLORS[name],
        variant="soft",
        size="2",
        id=f"mode-{name}",
    )


def connection_indicator() -> rx.Component:
    """Live / reconnecting / connecting, from the KPI stream (and the websocket itself)."""
    status = rx.cond(rx.State.is_hydrated, DashboardState.connection, "connecting")
    return rx.badge(
        rx.box(
            width="8px",
            height="8px",
            border_radius="50%",
            background=rx.match(
                status,
                ("live", "var(--green-9)"),
                ("reconnecting", "var(--amber-9)"),
                "var(--gray-9)",
            ),
        ),
        rx.el.span(status, class_name="cc-live-only"),
        rx.el.span("reconnecting", class_name="cc-stale-only"),
        last_update_label(),
        color_scheme=rx.match(status, ("live", "green"), ("reconnecting", "amber"), "gray"),
        variant="surface",
        id="connection-status",
        data_status=status,
    )


def simulator_switch() -> rx.Component:
    """Turns the demo event simulator on and off (editors and admins only)."""
    switch = rx.tooltip(
        rx.hstack(
            rx.text("Simulator", size="1", color_scheme="gray"),
            rx.switch(
                checked=DashboardState.simulator_on,
                on_change=DashboardState.toggle_simulator,
                size="1",
                id="simulator-switch",
            ),
            align="center",
            spacing="1",
        ),
        content="Generate a realistic stream of demo events",
    )
    return editors_only(switch)


def header() -> rx.Component:
    """Title, subtitle, connection, simulator and the backends' modes."""
    return rx.flex(
        rx.vstack(
            rx.heading("Command Center", size="7", id="app-title"),
            rx.text("Device-protection operations, live", color_scheme="gray", size="2"),
            spacing="0",
        ),
        rx.spacer(),
        liveness_watch(),
        rx.hstack(
            connection_indicator(),
            simulator_switch(),
            *(mode_badge(name) for name in BADGE_COLORS),
            user_menu(),
            spacing="2",
            wrap="wrap",
            align="center",
        ),
        align="center",
        wrap="wrap",
        gap="8px",
        width="100%",
        padding_y="12px",
        class_name="app-header",
    )
