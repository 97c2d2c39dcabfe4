"""Page header with the mode badges."""

import reflex as rx

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


def header() -> rx.Component:
    """Title, subtitle and the backends' modes."""
    return rx.hstack(
        rx.vstack(
            rx.heading("Command Center", size="7", id="app-title"),
            rx.text("Device-protection operations, live", color_scheme="gray", size="2"),
            spacing="0",
        ),
        rx.spacer(),
        rx.hstack(*(mode_badge(name) for name in BADGE_COLORS), spacing="2", wrap="wrap"),
        align="center",
        width="100%",
        padding_y="12px",
    )
