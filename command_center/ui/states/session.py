"""Sign-in state: the session cookie, who is signed in, the sign-in form and sign-out.

Every app state that changes something subclasses `SessionState` (so its handlers can read
the session token) and guards each handler with `requires_role` (ui/states/guard.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx

from command_center.auth.roles import OPEN_DEMO, Principal
from command_center.auth.sessions import create_session, principal_for_session, revoke_session
from command_center.auth.users import SignInError, authenticate
from command_center.settings import get_settings

log = logging.getLogger(__name__)
SESSION_COOKIE = "cc_session"
LOGIN_ROUTE = "/login"


def session_principal(token: str) -> Principal | None:
    """Who the token's holder is (validated against the server-side session records);
    the open-demo editor when `AUTH_MODE=open`."""
    if get_settings().auth_mode == "open":
        return OPEN_DEMO
    return principal_for_session(token)


def public(fn: Any) -> Any:
    """Mark a handler that needs no sign-in (the sign-in page's own handlers)."""
    fn._cc_required_role = "public"
    return fn


class SessionState(rx.State):
    """The browser's session token (a cookie) and what the page shows about the user."""

    session_token: str = rx.Cookie(
        "", name=SESSION_COOKIE, same_site="lax", secure=get_settings().secure_cookies
    )
    user_name: str = ""
    role: str = ""
    open_demo: bool = False
    oidc_enabled: bool = False
    login_error: str = ""
    signing_in: bool = False

    @rx.var
    def can_edit(self) -> bool:
        """Editors and admins build, arrange and remove widgets and run the simulator."""
        return self.role in ("editor", "admin")

    @rx.var
    def is_admin(self) -> bool:
        """Admins manage users and API tokens."""
        return self.role == "admin"

    def _show(self, principal: Principal | None) -> None:
        self.open_demo = principal is not None and principal.kind == "open"
        self.user_name = principal.name if principal else ""
        self.role = principal.role.value if principal else ""

    @rx.event
    @public
    async def check_session(self) -> Any:
        """On every protected page load: who is signed in; signed out → the sign-in page."""
        principal = await asyncio.to_thread(session_principal, self.session_token)
        self._show(principal)
        if principal is None:
            return rx.redirect(LOGIN_ROUTE)
        return None

    @rx.event
    @public
    async def load_login(self) -> Any:
        """The sign-in page: offer SSO when configured; already signed in → the dashboard."""
        settings = get_settings()
        self.oidc_enabled = settings.oidc_enabled
        principal = await asyncio.to_thread(session_principal, self.session_token)
        if principal is not None:
            self._show(principal)
            return rx.redirect("/")
        return None

    @rx.event
    @public
    async def sign_in(self, form_data: dict[str, Any]) -> Any:
        """Check username and password (rate-limited), then start a server-side session."""
        username = str(form_data.get("username") or "")[:200]
        password = str(form_data.get("password") or "")[:400]
        if not username.strip() or not password:
            self.login_error = "Enter your username and password."
            return None
        client_ip = self.router.session.client_ip or "unknown"
        try:
            user = await asyncio.to_thread(authenticate, username, password, client_ip)
            token = await asyncio.to_thread(create_session, int(user.id or 0))
        except SignInError as exc:
            log.info("sign-in refused for %r from %s: %s", username, client_ip, exc.kind)
            self.login_error = str(exc)
            return None
        self.session_token = token
        self.login_error = ""
        self._show(await asyncio.to_thread(principal_for_session, token))
        return rx.redirect("/")

    @rx.event
    @public
    async def sign_out(self) -> Any:
        """End the session on the server (every tab with it is signed out) and forget it."""
        if self.session_token:
            await asyncio.to_thread(revoke_session, self.session_token)
            from command_center.ui.live_room import leave_live_room
            from command_center.ui.widget_room import leave_widget_room

            await leave_live_room(self.session_token)  # no more live numbers to its tabs
            leave_widget_room(self.session_token)  # nor widget data
        self.session_token = ""
        self._show(None)
        return rx.redirect(LOGIN_ROUTE)
