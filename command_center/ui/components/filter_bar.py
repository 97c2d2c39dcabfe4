"""The filter bar: dashboard time range (presets or the last N days) and filters (region,
product, make, channel) whose choices are the values found in the data."""

import reflex as rx

from command_center.dashboards.filters import CUSTOM_PREFIX, MAX_DAYS
from command_center.ui.states.widgets import WidgetsState

ALL = "all"


def range_select() -> rx.Component:
    """Widget default, or one of the presets; a custom range shows as “Custom”."""
    choice = WidgetsState.range_choice
    value = rx.cond(
        choice == "", ALL, rx.cond(choice.to(str).startswith(CUSTOM_PREFIX), "custom", choice)
    )
    return rx.select.root(
        rx.select.trigger(aria_label="Time range", id="range-select", min_width="150px"),
        rx.select.content(
            rx.select.item("Widget default", value=ALL),
            rx.foreach(
                WidgetsState.range_options,
                lambda r: rx.select.item(r["label"], value=r["id"]),
            ),
            rx.select.item("Custom", value="custom", disabled=True),
        ),
        value=value,
        on_change=WidgetsState.set_range,
        size="1",
    )


def custom_days() -> rx.Component:
    """“Last N days”, applied on Enter or Apply."""
    return rx.form(
        rx.hstack(
            rx.input(
                name="days",
                type="number",
                min=1,
                max=MAX_DAYS,
                placeholder="days",
                aria_label="Custom range: last N days",
                id="custom-days",
                size="1",
                width="72px",
            ),
            rx.button("Apply", type="submit", size="1", variant="soft", id="custom-days-apply"),
            spacing="1",
            align="center",
        ),
        on_submit=WidgetsState.set_custom_days,
        reset_on_submit=False,
        width="auto",
    )


def filter_select(option: rx.Var) -> rx.Component:
    """One filter: “All regions” or one of the known values."""
    key = option["key"].to(str)
    return rx.select.root(
        rx.select.trigger(
            aria_label=option["label"].to(str), id="filter-" + key, min_width="120px"
        ),
        rx.select.content(
            rx.select.item("Any " + option["label"].to(str).lower(), value=ALL),
            rx.foreach(option["values"].to(list[str]), lambda v: rx.select.item(v, value=v)),
        ),
        value=rx.cond(WidgetsState.filters.contains(key), WidgetsState.filters[key], ALL),
        on_change=lambda value: WidgetsState.set_filter(key, value),
        size="1",
    )


def filter_bar() -> rx.Component:
    """Range, custom days, every filter, and “Clear”."""
    return rx.flex(
        rx.icon("calendar_range", size=16, color="var(--gray-10)"),
        range_select(),
        custom_days(),
        rx.icon("filter", size=16, color="var(--gray-10)"),
        rx.foreach(WidgetsState.filter_options, filter_select),
        rx.cond(
            (WidgetsState.range_choice != "") | (WidgetsState.filters.length() > 0),
            rx.button(
                "Clear",
                size="1",
                variant="ghost",
                on_click=WidgetsState.clear_filters,
                id="clear-filters",
            ),
        ),
        wrap="wrap",
        gap="8px",
        align="center",
        width="100%",
        margin_bottom="8px",
        id="filter-bar",
        role="group",
        aria_label="Dashboard time range and filters",
    )
