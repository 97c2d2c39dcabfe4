"""The widget builder panel: clarifier chat on the left (builder_chat.py), live preview on the
right, in one dialog."""

from __future__ import annotations

import reflex as rx
from reflex.vars.function import FunctionStringVar

from command_center.ui.components.builder_chat import chat_pane, pane
from command_center.ui.components.roles import editors_only
from command_center.ui.components.widget_card import widget_card
from command_center.ui.states.builder import BuilderState
from command_center.ui.theme import BORDER, RADIUS

PANEL_BG = "var(--gray-1)"
MONO = "ui-monospace, SFMono-Regular, Menlo, monospace"


def add_widget_button() -> rx.Component:
    """Opens the builder panel (editors and admins only)."""
    button = rx.button(
        rx.icon("plus", size=16),
        "Add widget",
        on_click=[rx.call_script(REMEMBER_ACTIVE), BuilderState.open_builder],
        id="add-widget",
        size="2",
    )
    return editors_only(button)


# ---------------------------------------------------------------- preview side


def _fact(fact: rx.Var) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(fact["label"], min_width="80px"),
        rx.data_list.value(rx.text(fact["value"], size="2", font_family=MONO)),
        align="center",
    )


def _empty_preview() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon("layout_dashboard", size=32, color="var(--gray-8)"),
            rx.text("No preview yet", size="3", weight="medium"),
            rx.text(
                "The widget appears here, rendered from sample data, as soon as the "
                "clarifier has a spec.",
                size="2",
                color_scheme="gray",
                text_align="center",
                max_width="300px",
            ),
            align="center",
            spacing="2",
        ),
        border="1px dashed var(--gray-6)",
        border_radius=RADIUS,
        min_height="260px",
        width="100%",
        id="builder-preview-empty",
    )


def preview_pane() -> rx.Component:
    """Right: the widget rendered from the spec's mock data, its facts, and the actions."""
    body = rx.cond(
        BuilderState.spec_ready,
        rx.vstack(
            rx.box(widget_card(BuilderState.preview), width="100%", id="builder-preview"),
            rx.data_list.root(rx.foreach(BuilderState.facts, _fact), size="1", width="100%"),
            rx.el.details(
                rx.el.summary(
                    rx.text("Spec JSON", size="1", color_scheme="gray", as_="span"),
                    cursor="pointer",
                ),
                rx.el.pre(
                    BuilderState.spec_json,
                    font_family=MONO,
                    font_size="11px",
                    max_height="180px",
                    overflow="auto",
                    padding="8px",
                    margin_top="6px",
                    background="var(--gray-1)",
                    border=BORDER,
                    border_radius="8px",
                ),
                width="100%",
            ),
            spacing="4",
            width="100%",
        ),
        rx.cond(
            BuilderState.running,
            rx.vstack(
                rx.skeleton(rx.box(height="200px", width="100%"), loading=True),
                rx.text("Building the preview…", size="1", color_scheme="gray"),
                width="100%",
                align="center",
            ),
            _empty_preview(),
        ),
    )
    actions = rx.hstack(
        rx.button(
            "Cancel",
            on_click=BuilderState.cancel,
            variant="soft",
            color_scheme="gray",
            size="2",
            disabled=BuilderState.saving,
            id="cancel-builder",
        ),
        rx.button(
            rx.icon("layout_grid", size=16),
            rx.cond(BuilderState.editing != "", "Save changes", "Add to dashboard"),
            on_click=BuilderState.add_to_dashboard,
            disabled=~BuilderState.spec_ready
            | BuilderState.running
            | BuilderState.saving
            | (BuilderState.blocked != ""),
            loading=BuilderState.saving,
            size="2",
            id="add-to-dashboard",
            title=BuilderState.blocked,
        ),
        justify="end",
        spacing="2",
        width="100%",
        padding="12px 16px",
        border_top=BORDER,
    )
    blocked = rx.cond(
        BuilderState.spec_ready & (BuilderState.blocked != ""),
        rx.callout(
            BuilderState.blocked,
            icon="ban",
            color_scheme="red",
            size="1",
            width="100%",
            id="add-blocked-reason",
        ),
    )
    return pane(
        "eye",
        "Preview",
        rx.box(body, flex="1", min_height="0", overflow_y="auto", width="100%", padding="16px"),
        rx.box(blocked, width="100%", padding="0 16px"),
        actions,
    )


# ---------------------------------------------------------------- the dialog


# Esc / Close returns focus to the control that opened the builder. It is opened from state,
# not from a Radix trigger, and its chat input takes focus as it mounts (so Radix's
# onOpenAutoFocus never fires): the opener leaves a hint as it is used — "Add widget" itself,
# a card's Edit its card's menu button (widget_card.REMEMBER_MENU) — with the card's id, for
# a card re-rendered while the builder was open.
REMEMBER_ACTIVE = "window.__ccReturnTo = {el: document.activeElement, card: ''}"
RESTORE_OPENER = FunctionStringVar.create(
    "((e) => { const h = window.__ccReturnTo || {}; window.__ccReturnTo = null;"
    " const el = h.el && h.el.isConnected && h.el !== document.body ? h.el"
    " : (h.card && document.querySelector('#' + CSS.escape(h.card) + ' .widget-menu'))"
    " || document.getElementById('add-widget'); if (el) { e.preventDefault(); el.focus(); } })"
)


def builder_panel() -> rx.Component:
    """The split panel: chat on the left, preview on the right (a wide dialog)."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.hstack(
                    rx.vstack(
                        rx.dialog.title(
                            rx.cond(BuilderState.editing != "", "Edit widget", "New widget"),
                            size="5",
                            margin="0",
                        ),
                        rx.dialog.description(
                            "Describe it; the clarifier turns it into a spec and previews it.",
                            size="2",
                            color_scheme="gray",
                        ),
                        spacing="1",
                    ),
                    rx.spacer(),
                    rx.icon_button(
                        rx.icon("x", size=16),
                        on_click=BuilderState.cancel,
                        variant="ghost",
                        color_scheme="gray",
                        aria_label="Close",
                    ),
                    align="start",
                    width="100%",
                ),
                rx.grid(
                    chat_pane(),
                    preview_pane(),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                    flex="1",
                    min_height="0",
                ),
                spacing="4",
                height="100%",
            ),
            id="builder-panel",
            on_close_auto_focus=RESTORE_OPENER,  # back to the opener (see above)
            max_width="min(1280px, 96vw)",
            width="96vw",
            height="min(860px, 92vh)",
            background=PANEL_BG,
            padding="20px",
        ),
        open=BuilderState.open,
        on_open_change=BuilderState.set_open,
    )
