"""The filter bar: dashboard time range (presets, the last N days, or from/to dates) and
filters (region, product, make, channel) whose choices are the values found in the data."""

import reflex as rx

from command_center.dashboards.filters import CUSTOM_PREFIX, MAX_DAYS
from command_center.sql.intent import FIRST_DATE, LAST_DATE
from command_center.ui.states.widgets import WidgetsState

ALL = "all"


def range_select() -> rx.Component:
    """Widget default, or one of the presets; a custom range shows as “Custom”."""
    choice = WidgetsState.range_choice
    custom = choice.to(str).startswith(CUSTOM_PREFIX) | (WidgetsState.range_start != "")
    value = rx.cond(custom, "custom", rx.cond(choice == "", ALL, choice))
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


def _date_input(name: str, label: str, value: rx.Var) -> rx.Component:
    return rx.input(
        name=name,
        type="date",
        min=FIRST_DATE.isoformat(),
        max=LAST_DATE.isoformat(),
        default_value=value,
        aria_label=label,
        aria_describedby="range-error",
        id=f"range-{name}",
        size="1",
        width="140px",
    )


def custom_dates() -> rx.Component:
    """An absolute range, both days inclusive (typed or picked), applied on Enter or Apply;
    the server's refusal (start after end, too long a span) is announced beside it."""
    shown = WidgetsState.range_start + ".." + WidgetsState.range_end
    return rx.form(
        rx.hstack(
            _date_input("from", "Custom range: from date", WidgetsState.range_start),
            rx.text("to", size="1", color="var(--gray-10)"),
            _date_input("to", "Custom range: to date", WidgetsState.range_end),
            rx.button(
                "Apply",
                type="submit",
                size="1",
                variant="soft",
                id="range-dates-apply",
                aria_label="Apply the date range",
            ),
            rx.text(
                WidgetsState.range_error,
                id="range-error",
                role="alert",
                size="1",
                color="var(--red-11)",
            ),
            spacing="1",
            align="center",
            wrap="wrap",
        ),
        key=shown,  # a range from the URL or "Clear" re-mounts the inputs with its dates
        on_submit=WidgetsState.set_dates,
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
        custom_dates(),
        rx.icon("filter", size=16, color="var(--gray-10)"),
        rx.foreach(WidgetsState.filter_options, filter_select),
        rx.cond(
            (WidgetsState.range_choice != "")
            | (WidgetsState.range_start != "")
            | (WidgetsState.filters.length() > 0),
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
