"""The admin page: API tokens and users (admin role; the state checks it on the server)."""

from __future__ import annotations

import reflex as rx

from command_center.auth.roles import ROLES
from command_center.ui.states.admin import AdminState


def _token_row(token: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(token["name"]),
        rx.table.cell(token["role"]),
        rx.table.cell(rx.code(token["prefix"] + "…")),
        rx.table.cell(
            rx.cond(
                token["revoked"] == "True",
                rx.text("revoked", color_scheme="gray"),
                rx.button(
                    "Revoke",
                    size="1",
                    color_scheme="red",
                    variant="soft",
                    on_click=AdminState.revoke_token(token["id"]),
                ),
            )
        ),
    )


def _user_row(user: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(user["username"]), rx.table.cell(user["role"]), rx.table.cell(user["sso"])
    )


def _role_select() -> rx.Component:
    return rx.el.select(
        *(rx.el.option(role, value=role) for role in ROLES), name="role", aria_label="Role"
    )


def admin_page() -> rx.Component:
    """Create and revoke API tokens; create local users."""
    return rx.container(
        rx.hstack(rx.heading("Admin", size="6"), rx.spacer(), rx.link("Dashboard", href="/")),
        rx.cond(AdminState.message != "", rx.callout(AdminState.message, id="admin-message")),
        rx.cond(AdminState.new_secret != "", rx.code(AdminState.new_secret, id="new-token-secret")),
        rx.heading("API tokens", size="4", margin_top="16px"),
        rx.form(
            rx.hstack(
                rx.input(name="name", placeholder="client name", max_length=80, required=True),
                _role_select(),
                rx.button("Create token", type="submit", id="create-token"),
            ),
            on_submit=AdminState.create_token,
            reset_on_submit=True,
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    *(rx.table.column_header_cell(h) for h in ("Client", "Role", "Token", ""))
                )
            ),
            rx.table.body(rx.foreach(AdminState.tokens, _token_row)),
        ),
        rx.heading("Users", size="4", margin_top="16px"),
        rx.form(
            rx.hstack(
                rx.input(name="username", placeholder="username", max_length=120, required=True),
                rx.input(name="password", type="password", placeholder="password", max_length=200),
                _role_select(),
                rx.button("Create user", type="submit"),
            ),
            on_submit=AdminState.create_user,
            reset_on_submit=True,
        ),
        rx.table.root(
            rx.table.header(
                rx.table.row(*(rx.table.column_header_cell(h) for h in ("User", "Role", "SSO")))
            ),
            rx.table.body(rx.foreach(AdminState.users, _user_row)),
        ),
        size="3",
        padding="24px",
    )
