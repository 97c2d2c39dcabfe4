"""Bearer-token guard for write endpoints (active only when API_TOKEN is set)."""

from __future__ import annotations

import hmac

from fastapi import Request

from command_center.api.problems import ProblemError
from command_center.settings import get_settings


async def require_token(request: Request) -> None:
    """FastAPI dependency: 401 problem unless the configured API token is presented."""
    expected = get_settings().api_token
    if not expected:
        return
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip(), expected):
        raise ProblemError(
            401,
            "Unauthorized",
            "this endpoint requires 'Authorization: Bearer <API_TOKEN>'",
        )
