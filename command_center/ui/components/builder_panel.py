"""The widget builder panel: clarifier chat on the left, live preview on the right."""

from __future__ import annotations

import reflex as rx
from reflex.vars.function import FunctionStringVar

from command_center.ui.components.roles import editors_only
from command_center.ui.components.widget_card import widget_card
from command_center.ui.states.builder import BuilderState
from command_center.ui.theme import BORDER, RADIUS

PANEL_BG = "var(--gray-1)"
PANE_BG = "var(--gray-2)"
MONO = "ui-monospace, SFMono-Regular, Menlo, monospace"


def add_widget_button() -> rx.Component:
    """Opens the builder panel (editors and admins only)."""
    button = rx.button(
        rx.icon("plus", size=16),
        "Add widget",
        on_click=BuilderState.open_builder,
        id="add-widget",
        size="2",
    )
    return editors_only(button)


# ---------------------------------------------------------------- chat side


def _bubble(msg: rx.Var) -> rx.Component:
    role = msg["role"].to(str)
    user = rx.box(
        rx.text(msg["text"], size="2"),
        background="var(--accent-4)",
        border="1px solid var(--accent-6)",
        padding="8px 12px",
        border_radius="12px 12px 2px 12px",
        max_width="85%",
        class_name="builder-msg-user",
    )
    assistant = rx.hstack(
        rx.icon("sparkles", size=14, color="var(--accent-10)", flex_shrink="0", margin_top="3px"),
        rx.text(msg["text"], size="2"),
        background="var(--gray-3)",
        border=BORDER,
        padding="8px 12px",
        border_radius="12px 12px 12px 2px",
        max_width="90%",
        spacing="2",
        align="start",
        class_name="builder-msg-assistant",
    )
    warning = rx.hstack(
        rx.icon("triangle_alert", size=14, color="var(--amber-10)", flex_shrink="0"),
        rx.text(msg["text"], size="1", color="var(--amber-11)"),
        padding="4px 8px",
        spacing="2",
        align="center",
        max_width="90%",
        class_name="builder-msg-warning",
    )
    stages = rx.flex(
        rx.foreach(msg["stages"].to(list[dict[str, str]]), _stage),
        wrap="wrap",
        gap="6px",
        class_name="builder-trace",
    )
    return rx.flex(
        rx.match(role, ("user", user), ("warning", warning), ("trace", stages), assistant),
        justify=rx.cond(role == "user", "end", "start"),
        width="100%",
    )


def _stage(stage: rx.Var) -> rx.Component:
    status = stage["status"].to(str)
    return rx.hstack(
        rx.match(
            status,
            ("running", rx.spinner(size="1")),
            ("failed", rx.icon("circle_x", size=13, color="var(--red-10)")),
            rx.icon("circle_check", size=13, color="var(--green-10)"),
        ),
        rx.text(stage["label"], size="1"),
        spacing="1",
        align="center",
        padding="2px 8px",
        border_radius="999px",
        border=rx.cond(status == "running", "1px solid var(--accent-7)", BORDER),
        background=rx.cond(status == "running", "var(--accent-3)", "var(--gray-3)"),
        title=stage["name"],
        class_name="builder-stage",
        data_stage=stage["name"],
        data_status=status,
    )


def stage_strip() -> rx.Component:
    """The stages of the current run, streamed as they start (spinner on the running one)."""
    return rx.cond(
        BuilderState.stages.length() > 0,
        rx.flex(
            rx.foreach(BuilderState.stages, _stage),
            wrap="wrap",
            gap="6px",
            width="100%",
            id="builder-stages",
        ),
    )


def _question(question: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(question["field"], variant="outline", size="1"),
            rx.text("Pick a suggestion or type your own answer", size="1", color_scheme="gray"),
            spacing="2",
            align="center",
        ),
        rx.flex(
            rx.foreach(
                question["options"].to(list[str]),
                lambda option: rx.button(
                    option,
                    on_click=BuilderState.answer(question["id"].to(str), option),
                    disabled=BuilderState.running,
                    variant="surface",
                    radius="full",
                    size="1",
                    class_name="question-chip",
                ),
            ),
            wrap="wrap",
            gap="6px",
        ),
        spacing="2",
        padding="10px",
        border="1px dashed var(--accent-7)",
        border_radius="10px",
        width="100%",
        class_name="builder-question",
    )


def error_banner() -> rx.Component:
    """The current error (clarifier kind + message, or a persist failure)."""
    return rx.cond(
        BuilderState.error_message != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("octagon_alert")),
            rx.hstack(
                rx.badge(BuilderState.error_kind, color_scheme="red", variant="solid", size="1"),
                rx.callout.text(BuilderState.error_message, size="2"),
                rx.spacer(),
                rx.icon_button(
                    rx.icon("x", size=12),
                    on_click=BuilderState.dismiss_error,
                    variant="ghost",
                    color_scheme="red",
                    size="1",
                    aria_label="Dismiss error",
                ),
                align="center",
                spacing="2",
                width="100%",
            ),
            color_scheme="red",
            size="1",
            width="100%",
            class_name="builder-error",
            data_kind=BuilderState.error_kind,
        ),
    )


def _empty_chat() -> rx.Component:
    examples = [
        "bar chart of claims filed by region last 7 days",
        "approval rate for Samsung in the West",
        "claims",
    ]
    return rx.vstack(
        rx.icon("message_square_dashed", size=28, color="var(--gray-8)"),
        rx.text("Describe the widget you need.", size="2", weight="medium"),
        rx.text(
            "The clarifier asks only when something is missing.", size="1", color_scheme="gray"
        ),
        rx.vstack(
            *(rx.code(example, size="1", variant="ghost") for example in examples),
            spacing="1",
            align="center",
            margin_top="6px",
        ),
        align="center",
        justify="center",
        spacing="1",
        height="100%",
        padding="24px",
    )


def composer() -> rx.Component:
    """The request / free-text answer form: Enter submits; the button waits while running."""
    placeholder = rx.cond(
        BuilderState.questions.length() > 0,
        "Type your own answer…",
        rx.cond(
            BuilderState.spec_ready,
            "Start over with a new request…",
            "e.g. bar chart of claims filed by region last 7 days",
        ),
    )
    return rx.form(
        rx.vstack(
            rx.hstack(
                rx.input(
                    name="text",
                    placeholder=placeholder,
                    auto_focus=True,
                    auto_complete="off",
                    max_length=2000,
                    size="3",
                    width="100%",
                    id="builder-input",
                ),
                rx.button(
                    rx.icon("send_horizontal", size=16),
                    rx.cond(BuilderState.questions.length() > 0, "Answer", "Send"),
                    type="submit",
                    size="3",
                    loading=BuilderState.running,
                    disabled=BuilderState.running | BuilderState.saving,
                    id="builder-submit",
                ),
                width="100%",
                spacing="2",
            ),
            rx.cond(
                BuilderState.input_error != "",
                rx.text(
                    BuilderState.input_error,
                    size="1",
                    color="var(--amber-11)",
                    id="builder-input-error",
                ),
            ),
            spacing="1",
            width="100%",
        ),
        on_submit=BuilderState.submit,
        reset_on_submit=True,
        width="100%",
        id="builder-form",
    )


def chat_pane() -> rx.Component:
    """Left: transcript, stage progress, open questions, errors, composer."""
    transcript = rx.auto_scroll(
        rx.cond(
            BuilderState.messages.length() == 0,
            _empty_chat(),
            rx.vstack(
                rx.foreach(BuilderState.messages, _bubble),
                stage_strip(),
                rx.foreach(BuilderState.questions, _question),
                spacing="3",
                width="100%",
                padding="16px",
            ),
        ),
        flex="1",
        min_height="0",
        width="100%",
        id="builder-chat",
    )
    return rx.vstack(
        _pane_header("message_circle", "Clarifier"),
        transcript,
        rx.vstack(
            error_banner(),
            composer(),
            spacing="2",
            width="100%",
            padding="12px 16px 16px",
            border_top=BORDER,
        ),
        spacing="0",
        height="100%",
        min_height="0",
        background=PANE_BG,
        border=BORDER,
        border_radius=RADIUS,
        overflow="hidden",
    )


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
    return rx.vstack(
        _pane_header("eye", "Preview"),
        rx.box(body, flex="1", min_height="0", overflow_y="auto", width="100%", padding="16px"),
        rx.box(blocked, width="100%", padding="0 16px"),
        actions,
        spacing="0",
        height="100%",
        min_height="0",
        background=PANE_BG,
        border=BORDER,
        border_radius=RADIUS,
        overflow="hidden",
    )


def _pane_header(icon: str, title: str) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=14, color="var(--gray-10)"),
        rx.text(title, size="1", weight="bold", color_scheme="gray", letter_spacing="0.06em"),
        align="center",
        spacing="2",
        width="100%",
        padding="10px 16px",
        border_bottom=BORDER,
        text_transform="uppercase",
    )


# ---------------------------------------------------------------- the dialog


RECORD_OPENER = FunctionStringVar.create("(() => { window.__ccOpener = document.activeElement; })")
RESTORE_OPENER = FunctionStringVar.create(
    "((e) => { const o = window.__ccOpener; const el = o && o.isConnected && o !== document.body"
    " ? o : document.getElementById('add-widget'); if (el) { e.preventDefault(); el.focus(); } })"
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
            # Esc / close returns focus to the control that opened the builder (it is opened
            # from state, not from a Radix trigger, so Radix cannot know which one it was)
            on_open_auto_focus=RECORD_OPENER,
            on_close_auto_focus=RESTORE_OPENER,
            max_width="min(1280px, 96vw)",
            width="96vw",
            height="min(860px, 92vh)",
            background=PANEL_BG,
            padding="20px",
        ),
        open=BuilderState.open,
        on_open_change=BuilderState.set_open,
    )
