"""Live panels: the event feed and the claims-by-status chart."""

import reflex as rx

from command_center.ui.states.dashboard import DashboardState
from command_center.ui.theme import ACCENTS, CARD_STYLE


def feed_row(entry: rx.Var) -> rx.Component:
    """One event: time, colored type, subject."""
    return rx.hstack(
        rx.text(entry["time"], size="1", color_scheme="gray", font_family="monospace"),
        rx.badge(entry["label"], color_scheme=entry["color"].to(str), variant="soft", size="1"),
        rx.text(entry["subject"], size="1", font_family="monospace"),
        spacing="2",
        align="center",
        class_name="feed-row",
        key=entry["id"],
    )


def event_feed() -> rx.Component:
    """The most recent events, newest first."""
    return rx.box(
        rx.text("Live events", weight="bold", size="3", margin_bottom="8px"),
        rx.cond(
            DashboardState.feed.length() > 0,
            rx.scroll_area(
                rx.vstack(rx.foreach(DashboardState.feed, feed_row), spacing="1"),
                height="220px",
            ),
            rx.center(
                rx.text(
                    "Waiting for events — post to /v1/events or switch the simulator on.",
                    size="2",
                    color_scheme="gray",
                    text_align="center",
                ),
                height="220px",
            ),
        ),
        id="event-feed",
        style=CARD_STYLE,
    )


def claims_by_status_chart() -> rx.Component:
    """Every claim by its current status (updates with each event)."""
    return rx.box(
        rx.text("Claims by status", weight="bold", size="3", margin_bottom="8px"),
        rx.recharts.bar_chart(
            rx.recharts.cartesian_grid(stroke_dasharray="3 3", stroke="var(--gray-5)"),
            rx.recharts.x_axis(data_key="label", tick={"fontSize": 11}),
            rx.recharts.y_axis(tick={"fontSize": 11}),
            rx.recharts.graphing_tooltip(),
            rx.recharts.bar(
                data_key="value",
                fill=ACCENTS["cyan"],
                radius=[4, 4, 0, 0],
                is_animation_active=False,
            ),
            data=DashboardState.status_counts,
            width="100%",
            height=220,
        ),
        id="claims-by-status",
        style=CARD_STYLE,
    )


def live_row() -> rx.Component:
    """Feed and status chart side by side."""
    return rx.grid(
        event_feed(),
        claims_by_status_chart(),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="3",
        width="100%",
        margin_top="12px",
    )
