"""The widget builder's chat side: transcript, stage progress, questions, errors, composer
(and the pane frame both sides of the builder share)."""

from __future__ import annotations

import reflex as rx

from command_center.ui.states.builder import BuilderState
from command_center.ui.theme import BORDER, RADIUS, SURFACE


def pane_header(icon: str, title: str) -> rx.Component:
    """A pane's small uppercase title bar."""
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


def pane(icon: str, title: str, *children: rx.Component) -> rx.Component:
    """One side of the builder: a title bar over `children`, on the card surface."""
    return rx.vstack(
        pane_header(icon, title),
        *children,
        spacing="0",
        height="100%",
        min_height="0",
        background=SURFACE,
        border=BORDER,
        border_radius=RADIUS,
        overflow="hidden",
    )


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
    return pane(
        "message_circle",
        "Clarifier",
        transcript,
        rx.vstack(
            error_banner(),
            composer(),
            spacing="2",
            width="100%",
            padding="12px 16px 16px",
            border_top=BORDER,
        ),
    )
