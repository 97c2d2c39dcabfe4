"""A widget card: KPI tile, Recharts chart or table, with source badge, skeleton and error."""

from __future__ import annotations

import reflex as rx

from command_center.ui.theme import ACCENTS, CARD_STYLE

ACCENT_VAR = rx.Var.create(ACCENTS)
PALETTE = list(ACCENTS.values())
PALETTE_VAR = rx.Var.create(PALETTE)
SOURCE_COLORS = {
    "postgres": "blue",
    "sqlite": "blue",
    "databricks": "orange",
    "local warehouse": "green",
    "cached": "gray",
    "preview": "violet",
}


def _color(view: rx.Var) -> rx.Var:
    return ACCENT_VAR[view["accent"].to(str)]


def _axes() -> list[rx.Component]:
    return [
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", stroke="var(--gray-5)"),
        rx.recharts.x_axis(data_key="label", tick={"fontSize": 11}),
        rx.recharts.y_axis(tick={"fontSize": 11}),
        rx.recharts.graphing_tooltip(),
    ]


def chart(view: rx.Var, height: int = 220) -> rx.Component:
    """The Recharts chart of `view["chart_kind"]` over `view["points"]`."""
    data = view["points"].to(list)
    color = _color(view)
    common = {"data": data, "width": "100%", "height": height}
    return rx.match(
        view["chart_kind"],
        (
            "line",
            rx.recharts.line_chart(
                rx.recharts.line(data_key="value", stroke=color, stroke_width=2), *_axes(), **common
            ),
        ),
        (
            "area",
            rx.recharts.area_chart(
                rx.recharts.area(data_key="value", stroke=color, fill=color), *_axes(), **common
            ),
        ),
        (
            "pie",
            rx.recharts.pie_chart(
                rx.recharts.pie(
                    rx.foreach(
                        data,
                        lambda _point, index: rx.recharts.cell(
                            fill=PALETTE_VAR[index % len(PALETTE)]
                        ),
                    ),
                    data=data,
                    data_key="value",
                    name_key="label",
                    label=True,
                    inner_radius="45%",
                    outer_radius="75%",
                    stroke="var(--gray-2)",
                ),
                rx.recharts.graphing_tooltip(),
                rx.recharts.legend(icon_size=10),
                width="100%",
                height=height,
            ),
        ),
        rx.recharts.bar_chart(
            rx.recharts.bar(data_key="value", fill=color, radius=[4, 4, 0, 0]), *_axes(), **common
        ),
    )


def data_table(view: rx.Var) -> rx.Component:
    """A compact table over `view["columns"]` / `view["rows"]`."""
    return rx.scroll_area(
        rx.table.root(
            rx.table.header(
                rx.table.row(rx.foreach(view["columns"].to(list[str]), rx.table.column_header_cell))
            ),
            rx.table.body(
                rx.foreach(
                    view["rows"].to(list[list[str]]),
                    lambda row: rx.table.row(rx.foreach(row, rx.table.cell)),
                )
            ),
            size="1",
            width="100%",
        ),
        max_height="240px",
    )


def kpi_body(view: rx.Var) -> rx.Component:
    """The single big number."""
    return rx.heading(view["display"], size="8", color=_color(view), class_name="widget-value")


def source_badge(view: rx.Var) -> rx.Component:
    """Where the rows came from: postgres / databricks / local warehouse / cached."""
    return rx.badge(
        view["source"],
        color_scheme=rx.match(
            view["source"],
            *((name, color) for name, color in SOURCE_COLORS.items()),
            "gray",
        ),
        variant="soft",
        class_name="source-badge",
    )


def widget_body(view: rx.Var) -> rx.Component:
    """Body by widget type, or an empty state when there are no rows."""
    return rx.cond(
        view["empty"].to(bool),
        rx.center(
            rx.text("No data for this window", color_scheme="gray", size="2"), height="120px"
        ),
        rx.match(
            view["type"],
            ("kpi", kpi_body(view)),
            ("chart", chart(view)),
            data_table(view),
        ),
    )


def remove_button(view: rx.Var, on_remove: rx.EventHandler) -> rx.Component:
    """A small remove button with a confirmation dialog."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.icon_button(
                rx.icon("x", size=14),
                size="1",
                variant="ghost",
                color_scheme="gray",
                aria_label="Remove widget",
                class_name="widget-remove",
            )
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Remove widget?"),
            rx.alert_dialog.description(
                "“" + view["title"].to(str) + "” leaves the dashboard. "
                "`make demo-reset` restores the seeded widgets."
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Remove",
                        color_scheme="red",
                        on_click=on_remove(view["id"]),
                        class_name="widget-remove-confirm",
                    )
                ),
                justify="end",
                spacing="2",
                margin_top="12px",
            ),
            max_width="420px",
        ),
    )


def widget_card(
    view: rx.Var,
    on_retry: rx.EventHandler | None = None,
    on_remove: rx.EventHandler | None = None,
) -> rx.Component:
    """The whole card: title + badge (+ remove), then skeleton / error / body."""
    error = rx.callout.root(
        rx.callout.icon(rx.icon("triangle_alert")),
        rx.callout.text(view["error"]),
        color_scheme="red",
        size="1",
    )
    if on_retry is not None:
        error = rx.vstack(
            error,
            rx.button("Retry", size="1", variant="soft", on_click=on_retry(view["id"])),
            class_name="widget-error",
        )
    return rx.box(
        rx.hstack(
            rx.text(view["title"], weight="bold", size="3"),
            rx.spacer(),
            rx.cond(view["status"] == "ok", source_badge(view)),
            remove_button(view, on_remove) if on_remove is not None else rx.fragment(),
            align="center",
            width="100%",
            margin_bottom="8px",
        ),
        rx.match(
            view["status"],
            ("loading", rx.skeleton(rx.box(height="160px", width="100%"), loading=True)),
            ("error", error),
            widget_body(view),
        ),
        id="widget-" + view["id"].to(str),
        class_name="widget-card",
        data_status=view["status"],
        style=CARD_STYLE,
    )
