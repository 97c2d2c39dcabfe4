"""The one server-side role check for Reflex event handlers.

    class WidgetsState(SessionState):
        @rx.event(background=True)
        @requires_role("editor")
        async def remove(self, widget_id: str): ...

The check runs before the handler's body on every event, against the server-side session
record behind the tab's session cookie (never a role the client could send), read in a worker
thread: a guarded plain (sync) handler is wrapped as a coroutine, so that database read never
blocks the event loop, and code that calls one directly awaits it. A signed-out
tab is sent to the sign-in page; a role that may not act gets a toast and nothing changes.
tests/security/test_ui_roles.py fails for any handler without a `requires_role` or `public`.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

import reflex as rx

from command_center.auth.roles import AccessDenied, Principal, Role, authorize
from command_center.ui.states.session import LOGIN_ROUTE, session_principal

log = logging.getLogger(__name__)
ROLE_MARKER = "_cc_required_role"


def _token(state: Any) -> str:
    return str(getattr(state, "session_token", "") or "")


def _denial(state: Any, principal: Principal | None, needed: Role, name: str) -> Any:
    try:
        authorize(principal, needed)
        return None
    except AccessDenied as exc:
        log.warning("refused %s for %s: %s", name, principal.name if principal else "-", exc)
        if exc.status == 401:
            return rx.redirect(LOGIN_ROUTE)
        return rx.toast.error(f"Not allowed: the {principal.role} role cannot do this.")  # type: ignore[union-attr]


def requires_role(role: Role | str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate an event handler (sync, async or async generator; background or not) so it
    runs only for a signed-in principal whose role covers `role`."""
    needed = Role(role)

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        name = fn.__qualname__
        if inspect.isasyncgenfunction(fn):

            @functools.wraps(fn)
            async def agen(self: Any, *args: Any, **kwargs: Any) -> Any:
                principal = await asyncio.to_thread(session_principal, _token(self))
                denied = _denial(self, principal, needed, name)
                if denied is not None:
                    yield denied
                    return
                async for item in fn(self, *args, **kwargs):
                    yield item

            wrapper: Callable[..., Any] = agen
        elif inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def coro(self: Any, *args: Any, **kwargs: Any) -> Any:
                principal = await asyncio.to_thread(session_principal, _token(self))
                denied = _denial(self, principal, needed, name)
                if denied is not None:
                    return denied
                return await fn(self, *args, **kwargs)

            wrapper = coro
        else:  # a plain handler becomes a coroutine: the session lookup leaves the event loop

            @functools.wraps(fn)
            async def sync(self: Any, *args: Any, **kwargs: Any) -> Any:
                principal = await asyncio.to_thread(session_principal, _token(self))
                denied = _denial(self, principal, needed, name)
                if denied is not None:
                    return denied
                return fn(self, *args, **kwargs)

            wrapper = sync
        setattr(wrapper, ROLE_MARKER, needed.value)
        return wrapper

    return decorate
