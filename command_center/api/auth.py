"""Who may call which `/v1` route: bearer tokens with a role (see command_center/auth).

With sign-in on (`AUTH_MODE=local`) every route that writes, runs a warehouse query or
reveals configuration needs `Authorization: Bearer <token>` of the right role. With
`AUTH_MODE=open` and no `API_TOKEN`, callers are the anonymous open-demo editor.
Missing/invalid → 401 problem with `WWW-Authenticate`; wrong role → 403 problem.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import Request

from command_center.api.problems import ProblemError
from command_center.auth.roles import AccessDenied, Principal, Role, anonymous_principal, authorize
from command_center.auth.tokens import principal_for_token
from command_center.settings import get_settings

CHALLENGE = 'Bearer realm="command-center"'


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if not header:
        return None
    return presented.strip() if scheme.lower() == "bearer" else ""


async def current_principal(request: Request) -> Principal | None:
    """The caller: the token's principal, the open-demo editor, or None."""
    settings = get_settings()
    presented = _bearer(request)
    if presented is None:
        return anonymous_principal(settings, api=True)
    principal = await asyncio.to_thread(principal_for_token, presented, settings)
    if principal is None:
        raise ProblemError(
            401,
            "Unauthorized",
            "the bearer token is unknown or revoked",
            headers={"WWW-Authenticate": CHALLENGE + ', error="invalid_token"'},
            type_="urn:command-center:auth:invalid-token",
        )
    return principal


def require_role(role: Role | str) -> Callable[[Request], Awaitable[Principal]]:
    """FastAPI dependency: the caller's principal when its role covers `role`."""
    needed = Role(role)

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        try:
            return authorize(principal, needed)
        except AccessDenied as exc:
            if exc.status == 401:
                raise ProblemError(
                    401,
                    "Unauthorized",
                    f"this endpoint needs 'Authorization: Bearer <token>' ({needed} role)",
                    headers={"WWW-Authenticate": CHALLENGE},
                    type_="urn:command-center:auth:unauthorized",
                    required_role=needed.value,
                ) from None
            raise ProblemError(
                403,
                "Forbidden",
                str(exc),
                type_="urn:command-center:auth:forbidden",
                required_role=needed.value,
            ) from None

    dependency.__name__ = f"require_{needed.value}"
    return dependency


require_viewer = require_role(Role.viewer)
require_editor = require_role(Role.editor)
require_admin = require_role(Role.admin)
require_token = require_editor  # the old name: a write endpoint needs an editor token
