"""A widget card: KPI tile, Recharts chart or table, with source badge, skeleton and error."""

from __future__ import annotations

import reflex as rx

from command_center.ui.components.charts import chart
from command_center.ui.components.roles import editors_only
from command_center.ui.theme import ACCENTS, CARD_STYLE
from custom_components.sandboxed_widget import RUNTIME_URL, sandboxed_widget

ACCENT_VAR = rx.Var.create(ACCENTS)
SOURCE_COLORS = {
    "PostgreSQL": "blue",
    "SQLite": "blue",
    "Databricks": "orange",
    "local warehouse": "green",
    "preview": "violet",
}


def _color(view: rx.Var) -> rx.Var:
    return ACCENT_VAR[view["accent"].to(str)]


def _header_cell(view: rx.Var, column: rx.Var, on_sort: rx.EventHandler | None) -> rx.Component:
    numeric = column["numeric"].to(bool)
    label = column["label"].to(str)
    content = label
    if on_sort is not None:
        content = rx.el.button(
            label,
            rx.icon("arrow_up_down", size=11),
            type="button",
            class_name="table-sort",
            aria_label="Sort by " + label,
            on_click=on_sort(view["id"], column["key"].to(str)),
        )
    return rx.table.column_header_cell(content, text_align=rx.cond(numeric, "right", "left"))


def data_table(view: rx.Var, on_sort: rx.EventHandler | None = None) -> rx.Component:
    """A compact table: labelled, sortable columns; numbers right-aligned."""
    columns = view["columns"].to(list[dict])
    return rx.table.root(
        rx.table.header(
            rx.table.row(rx.foreach(columns, lambda c: _header_cell(view, c, on_sort)))
        ),
        rx.table.body(
            rx.foreach(
                view["rows"].to(list[list[dict]]),
                lambda row: rx.table.row(
                    rx.foreach(
                        row,
                        lambda cell, i: rx.table.cell(
                            cell["text"],
                            text_align=rx.cond(columns[i]["numeric"].to(bool), "right", "left"),
                            white_space="nowrap",
                        ),
                    )
                ),
            )
        ),
        size="1",
        width="100%",
        class_name="widget-table",
    )


def kpi_body(view: rx.Var) -> rx.Component:
    """The single big number."""
    return rx.heading(view["display"], size="8", color=_color(view), class_name="widget-value")


def source_badge(view: rx.Var) -> rx.Component:
    """Where the rows came from: PostgreSQL / Databricks / local warehouse (never "cached")."""
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


def freshness(view: rx.Var) -> rx.Component:
    """ "cached · 42 s ago" or "updated 14:03:12", separate from the source."""
    return rx.text(
        rx.cond(
            view["cached"].to(bool),
            "cached · " + view["age"].to(str),
            "updated " + view["updated"].to(str),
        ),
        size="1",
        color_scheme="gray",
        class_name="widget-freshness",
        title=view["generated_at"].to(str),
    )


def widget_body(view: rx.Var, on_sort: rx.EventHandler | None = None) -> rx.Component:
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
            ("custom", custom_body(view)),
            data_table(view, on_sort),
        ),
    )


def custom_body(view: rx.Var) -> rx.Component:
    """A custom widget: its TSX rendered in the sandboxed iframe with the widget's rows."""
    return sandboxed_widget(
        widget_id=view["id"].to(str),
        source=view["tsx_source"].to(str),
        compiled=view["compiled_js"].to(str),
        display_name=view["display_name"].to(str),
        rows=view["records"].to(list),
        columns=view["record_columns"].to(list[str]),
        runtime_url=RUNTIME_URL,
    )


# the card menu, in order: action key (class `widget-<key>`), icon, label, editors only
MENU_ITEMS = [
    ("edit", "pencil", "Edit", True),
    ("duplicate", "copy", "Duplicate", True),
    ("csv", "download", "Download CSV", False),
    ("remove", "trash_2", "Remove", True),
]
DANGER = {"remove": {"color": "red"}}
# Edit opens the builder from state: remember the open menu's button (and its card) so closing
# the builder puts focus back on this card (builder_panel.RESTORE_OPENER reads it).
REMEMBER_MENU = (
    "(() => { const el = document.querySelector('.widget-menu[data-state=\"open\"]');"
    " window.__ccReturnTo = {el, card: el && el.closest('.widget-card')?.id || ''}; })()"
)


def actions_menu(view: rx.Var, actions: dict[str, rx.EventHandler]) -> rx.Component:
    """Edit / duplicate / download / remove, in a small menu on the card header."""
    title = view["title"].to(str)
    items = []
    for key, icon, label, editing in MENU_ITEMS:
        if key not in actions:
            continue
        item = rx.dropdown_menu.item(
            rx.icon(icon, size=14),
            label,
            on_select=(
                [rx.call_script(REMEMBER_MENU), actions[key](view["id"])]
                if key == "edit"
                else actions[key](view["id"])
            ),
            class_name=f"widget-{key}",
            **DANGER.get(key, {}),
        )
        items.append(editors_only(item) if editing else item)
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.icon_button(
                rx.icon("ellipsis", size=14),
                size="1",
                variant="ghost",
                color_scheme="gray",
                aria_label="Actions for " + title,
                class_name="widget-menu",
            )
        ),
        rx.dropdown_menu.content(*items, size="1"),
    )


def drag_handle(view: rx.Var) -> rx.Component:
    """The grip: drag it to move the card; focus it and use arrow keys (Shift: resize)."""
    return editors_only(
        rx.el.button(
            rx.icon("grip_vertical", size=14),
            type="button",
            aria_label="Move " + view["title"].to(str),
            title="Drag to move · arrow keys move · Shift+arrows resize",
            class_name="widget-drag-handle",
            data_grid_handle=view["id"],
        )
    )


def widget_card(
    view: rx.Var,
    on_retry: rx.EventHandler | None = None,
    actions: dict[str, rx.EventHandler] | None = None,
    *,
    in_grid: bool = False,
) -> rx.Component:
    """The whole card: (handle +) title + badge (+ menu), then skeleton / error / body.

    `in_grid`: the card fills its grid cell and the body takes the remaining height."""
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
    actions = actions or {}
    body = rx.match(
        view["status"],
        ("loading", rx.skeleton(rx.box(height="100%", min_height="80px", width="100%"))),
        ("error", error),
        widget_body(view, actions.get("sort")),
    )
    notes = rx.foreach(
        view["notes"].to(list[str]),
        lambda note: rx.text(
            rx.icon("filter_x", size=11), " ", note, size="1", color_scheme="amber"
        ),
    )
    return rx.box(
        rx.hstack(
            drag_handle(view) if in_grid else rx.fragment(),
            rx.text(view["title"], weight="bold", size="3", class_name="widget-title"),
            rx.spacer(),
            rx.cond(view["status"] == "ok", source_badge(view)),
            actions_menu(view, actions) if actions else rx.fragment(),
            align="center",
            width="100%",
            spacing="2",
            margin_bottom="8px",
            class_name="widget-header",
        ),
        rx.box(body, class_name="widget-body"),
        rx.flex(
            notes,
            rx.spacer(),
            rx.cond(
                (view["status"] == "ok") & (view["as_of"].to(str) != ""),
                rx.text("as of ", view["as_of"], size="1", color_scheme="gray", class_name="as-of"),
            ),
            rx.cond(view["status"] == "ok", freshness(view)),
            class_name="widget-footer",
            wrap="wrap",
            gap="4px",
            align="center",
        ),
        id="widget-" + view["id"].to(str),
        class_name="widget-card" + (" in-grid" if in_grid else ""),
        data_status=view["status"],
        data_chart_kind=view["chart_kind"],
        style=CARD_STYLE,
    )
