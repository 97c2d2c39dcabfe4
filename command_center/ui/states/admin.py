"""Admin page state: API tokens (create, shown once, revoke) and local users."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from command_center.auth import tokens as token_service
from command_center.auth import users as user_service
from command_center.auth.roles import ROLES
from command_center.ui.states.guard import requires_role
from command_center.ui.states.session import SessionState


def _token_rows() -> list[dict[str, str]]:
    return [
        {k: str(v) for k, v in token_service.token_to_dict(t).items()}
        for t in token_service.list_tokens()
    ]


def _user_rows() -> list[dict[str, str]]:
    return [
        {"username": u.username, "role": u.role, "sso": "yes" if u.oidc_subject else "no"}
        for u in user_service.list_users()
    ]


class AdminState(SessionState):
    """What the admin page lists; a new token's secret is kept only until the next action."""

    tokens: list[dict[str, str]] = []
    users: list[dict[str, str]] = []
    new_secret: str = ""
    message: str = ""

    @rx.event
    @requires_role("admin")
    async def load(self) -> None:
        """Read tokens and users; a secret shown earlier is gone (shown once)."""
        self.new_secret = ""
        self.message = ""
        self.tokens = await asyncio.to_thread(_token_rows)
        self.users = await asyncio.to_thread(_user_rows)

    @rx.event
    @requires_role("admin")
    async def create_token(self, form_data: dict[str, Any]) -> None:
        """Issue a token for a client; its secret is shown once."""
        name = str(form_data.get("name") or "").strip()[:80]
        role = str(form_data.get("role") or "viewer")
        if not name or role not in ROLES:
            self.message = "Give the client a name and pick a role."
            return
        issued = await asyncio.to_thread(token_service.create_token, name, role, self.user_name)
        self.new_secret = issued.secret
        self.message = f"Token for “{name}” ({role}) — copy it now, it is not shown again."
        self.tokens = await asyncio.to_thread(_token_rows)

    @rx.event
    @requires_role("admin")
    async def revoke_token(self, token_id: str) -> None:
        """Revoke a token at once."""
        await asyncio.to_thread(token_service.revoke_token, int(token_id))
        self.new_secret = ""
        self.message = "Token revoked."
        self.tokens = await asyncio.to_thread(_token_rows)

    @rx.event
    @requires_role("admin")
    async def create_user(self, form_data: dict[str, Any]) -> None:
        """Create a local account."""
        try:
            await asyncio.to_thread(
                user_service.create_user,
                str(form_data.get("username") or ""),
                str(form_data.get("password") or ""),
                str(form_data.get("role") or "viewer"),
            )
        except (user_service.UserError, ValueError) as exc:
            self.message = str(exc)
            return
        self.new_secret = ""
        self.message = "User created."
        self.users = await asyncio.to_thread(_user_rows)
