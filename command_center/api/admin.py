"""`/v1/admin`: API tokens and local users (admin role only)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from command_center.api.auth import require_admin
from command_center.api.params import RowId, Username
from command_center.api.problems import ProblemError
from command_center.auth.roles import Principal, Role
from command_center.auth.tokens import create_token, list_tokens, revoke_token, token_to_dict
from command_center.auth.users import UserError, create_user, list_users, update_user

router = APIRouter(prefix="/admin", tags=["admin"])
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"  # no control characters (PostgreSQL rejects NUL)


class NewToken(BaseModel):
    """A machine client's name and the role its token carries."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=80, pattern=PRINTABLE)
    role: Role


class NewUser(BaseModel):
    """A local account."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=120, pattern=PRINTABLE)
    password: str = Field(min_length=8, max_length=200)
    role: Role
    display_name: str = Field(default="", max_length=200, pattern=PRINTABLE)


@router.get("/tokens")
async def get_tokens(_: Principal = Depends(require_admin)) -> dict[str, Any]:
    """Every API token (name, role, prefix, revoked) — never a secret."""
    rows = await asyncio.to_thread(list_tokens)
    return {"tokens": [token_to_dict(r) for r in rows]}


@router.post("/tokens", status_code=201)
async def post_token(body: NewToken, who: Principal = Depends(require_admin)) -> JSONResponse:
    """Issue a token; its secret is in this response only (store it now)."""
    issued = await asyncio.to_thread(create_token, body.name, body.role, who.name)
    return JSONResponse(
        {
            "id": issued.id,
            "name": issued.name,
            "role": issued.role,
            "prefix": issued.prefix,
            "token": issued.secret,
        },
        status_code=201,
        headers={"Location": f"/v1/admin/tokens/{issued.id}", "Cache-Control": "no-store"},
    )


@router.delete("/tokens/{token_id}", status_code=204)
async def delete_token(
    token_id: RowId, request: Request, _: Principal = Depends(require_admin)
) -> Response:
    """Revoke a token at once (404 when unknown or already revoked)."""
    if not await asyncio.to_thread(revoke_token, token_id):
        raise ProblemError(
            404, "Unknown token", f"no active token {token_id}", instance=request.url.path
        )
    return Response(status_code=204)


@router.get("/users")
async def get_users(_: Principal = Depends(require_admin)) -> dict[str, Any]:
    """Every account (never a password hash)."""
    rows = await asyncio.to_thread(list_users)
    return {
        "users": [
            {
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role,
                "sso": u.oidc_subject is not None,
                "disabled": u.disabled,
            }
            for u in rows
        ]
    }


@router.post("/users", status_code=201)
async def post_user(body: NewUser, _: Principal = Depends(require_admin)) -> dict[str, Any]:
    """Create a local account (argon2-hashed password)."""
    try:
        user = await asyncio.to_thread(
            create_user, body.username, body.password, body.role, body.display_name
        )
    except UserError as exc:
        status = 409 if "exists" in str(exc) else 422
        raise ProblemError(status, "Cannot create user", str(exc)) from None
    return {"username": user.username, "role": user.role}


class UserChange(BaseModel):
    """A new role and/or disabled flag for an account."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    disabled: bool | None = None


@router.patch("/users/{username}")
async def patch_user(
    username: Username, body: UserChange, _: Principal = Depends(require_admin)
) -> dict[str, Any]:
    """Change an account's role or disable it; takes effect on its next event or request."""
    try:
        user = await asyncio.to_thread(update_user, username, body.role, body.disabled)
    except UserError as exc:
        raise ProblemError(404, "Unknown user", str(exc)) from None
    return {"username": user.username, "role": user.role, "disabled": user.disabled}
