"""The sign-in page: username + password (Enter submits), clear errors, optional SSO."""

from __future__ import annotations

import reflex as rx

from command_center.ui.states.session import SessionState

OIDC_LOGIN_PATH = "/v1/auth/oidc/login"


def login_page() -> rx.Component:
    """A keyboard-friendly form; the error is announced to screen readers."""
    form = rx.form(
        rx.vstack(
            rx.heading("Sign in", size="6"),
            rx.text("Command Center", color_scheme="gray", size="2"),
            rx.el.label("Username", html_for="username", style={"fontSize": "14px"}),
            rx.input(
                id="username",
                name="username",
                auto_complete="username",
                auto_focus=True,
                max_length=120,
                required=True,
                width="100%",
            ),
            rx.el.label("Password", html_for="password", style={"fontSize": "14px"}),
            rx.input(
                id="password",
                name="password",
                type="password",
                auto_complete="current-password",
                max_length=200,
                required=True,
                width="100%",
            ),
            rx.cond(
                SessionState.login_error != "",
                rx.callout.root(
                    rx.callout.icon(rx.icon("triangle_alert")),
                    rx.callout.text(SessionState.login_error),
                    color_scheme="red",
                    role="alert",
                    id="login-error",
                    width="100%",
                ),
                rx.fragment(),
            ),
            rx.button("Sign in", type="submit", id="sign-in", width="100%"),
            spacing="2",
            width="100%",
        ),
        on_submit=SessionState.sign_in,
        reset_on_submit=False,
        width="100%",
    )
    sso = rx.cond(
        SessionState.oidc_enabled,
        rx.el.a(  # a full-page navigation to the API route (not client-side routing)
            rx.button("Sign in with single sign-on", variant="outline", width="100%"),
            href=OIDC_LOGIN_PATH,
            id="sso-link",
            style={"width": "100%"},
        ),
        rx.fragment(),
    )
    return rx.center(
        rx.card(
            rx.vstack(form, sso, spacing="3", width="100%"),
            width="360px",
            padding="24px",
        ),
        min_height="80vh",
    )
