"""Who is signed in (name, role, admin link, sign-out), or the "open demo" label."""

from __future__ import annotations

import reflex as rx

from command_center.ui.states.session import SessionState


def user_menu() -> rx.Component:
    """The header's sign-in block."""
    signed_in = rx.hstack(
        rx.text(SessionState.user_name, size="2", id="user-name"),
        rx.badge(SessionState.role, variant="outline", id="user-role"),
        rx.cond(
            SessionState.is_admin,
            rx.link("Admin", href="/admin", size="2", id="admin-link"),
            rx.fragment(),
        ),
        rx.button(
            "Sign out", size="1", variant="soft", on_click=SessionState.sign_out, id="sign-out"
        ),
        align="center",
        spacing="2",
    )
    return rx.cond(
        SessionState.open_demo,
        rx.badge("open demo", color_scheme="orange", variant="solid", id="open-demo"),
        rx.cond(SessionState.role != "", signed_in, rx.fragment()),
    )
