"""The dashboard bar: switch dashboards, create and rename them, add a widget."""

import reflex as rx

from command_center.dashboards.service import MAX_NAME
from command_center.ui.components.builder_panel import add_widget_button
from command_center.ui.components.roles import editors_only
from command_center.ui.states.widget_actions import WidgetActions
from command_center.ui.states.widgets import WidgetsState


def dashboard_switcher() -> rx.Component:
    """A select of every dashboard; choosing one shows it (and puts it in the URL)."""
    return rx.select.root(
        rx.select.trigger(aria_label="Dashboard", id="dashboard-select", max_width="240px"),
        rx.select.content(
            rx.foreach(
                WidgetsState.dashboards,
                lambda d: rx.select.item(d["name"].to(str), value=d["id"].to(str)),
            )
        ),
        value=WidgetsState.dashboard_id.to(str),
        on_change=WidgetsState.switch_dashboard,
        size="2",
    )


def dashboard_dialog() -> rx.Component:
    """New / rename dashboard: one text field."""
    renaming = WidgetActions.dialog == "rename"
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(renaming, "Rename dashboard", "New dashboard")),
            rx.form(
                rx.vstack(
                    rx.input(
                        name="name",
                        placeholder="Dashboard name",
                        default_value=rx.cond(renaming, WidgetsState.dashboard_name, ""),
                        max_length=MAX_NAME,
                        required=True,
                        auto_focus=True,
                        aria_label="Dashboard name",
                        id="dashboard-name-input",
                        width="100%",
                    ),
                    rx.cond(
                        WidgetActions.dialog_error != "",
                        rx.text(WidgetActions.dialog_error, color_scheme="red", size="1"),
                    ),
                    rx.hstack(
                        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray")),
                        rx.button("Save", type="submit", id="dashboard-name-save"),
                        justify="end",
                        spacing="2",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=WidgetActions.submit_dialog,
                reset_on_submit=False,
            ),
            max_width="min(420px, 94vw)",
        ),
        open=WidgetActions.dialog != "",
        on_open_change=WidgetActions.set_dialog_open,
    )


def dashboard_bar() -> rx.Component:
    """Dashboard select, new/rename, and “Add widget”; wraps on small screens."""
    return rx.flex(
        rx.heading("Widgets", size="4"),
        dashboard_switcher(),
        editors_only(
            rx.icon_button(
                rx.icon("pencil", size=14),
                variant="soft",
                color_scheme="gray",
                aria_label="Rename dashboard",
                on_click=WidgetActions.open_dialog("rename"),
                id="rename-dashboard",
            )
        ),
        editors_only(
            rx.button(
                rx.icon("plus", size=14),
                "New dashboard",
                variant="soft",
                color_scheme="gray",
                on_click=WidgetActions.open_dialog("new"),
                id="new-dashboard",
            )
        ),
        rx.spacer(),
        add_widget_button(),
        dashboard_dialog(),
        align="center",
        wrap="wrap",
        gap="8px",
        margin_top="24px",
        margin_bottom="8px",
        width="100%",
    )
