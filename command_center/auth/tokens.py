"""API tokens for machine clients: created and revoked by an admin, stored hashed, shown once.

`API_TOKEN` (settings) keeps working as a bootstrap admin token.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import bindparam, update
from sqlmodel import select

from command_center.auth.models import ApiToken
from command_center.auth.roles import Principal, Role
from command_center.auth.secrets_util import new_token, token_hash
from command_center.db.session import get_engine, session_scope
from command_center.settings import Settings, get_settings

TOKEN_PREFIX = "cc_tok_"
MAX_TOKEN = 200


@dataclass(frozen=True)
class IssuedToken:
    """A new token: `secret` is shown once and never stored."""

    id: int
    name: str
    role: str
    prefix: str
    secret: str


def token_to_dict(row: ApiToken) -> dict[str, object]:
    """A token's listing (never its secret or hash)."""
    return {
        "id": row.id,
        "name": row.name,
        "role": row.role,
        "prefix": row.prefix,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "revoked": row.revoked_at is not None,
    }


def create_token(name: str, role: Role | str, created_by: str = "") -> IssuedToken:
    """Issue a token with `role` for client `name`."""
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise ValueError("name must be 1–80 characters")
    secret = new_token(TOKEN_PREFIX)
    row = ApiToken(
        name=name,
        role=Role(role).value,
        token_hash=token_hash(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        created_by=created_by[:120],
    )
    with session_scope() as session:
        session.add(row)
        session.flush()
        token_id = int(row.id or 0)
    return IssuedToken(token_id, row.name, row.role, row.prefix, secret)


def list_tokens() -> list[ApiToken]:
    """Every token, newest first (revoked ones included, marked)."""
    with session_scope() as session:
        return list(session.exec(select(ApiToken).order_by(ApiToken.id.desc())))  # type: ignore[union-attr]


def revoke_token(token_id: int) -> bool:
    """Revoke a token at once; True when it existed and was active."""
    with session_scope() as session:
        result = session.exec(  # type: ignore[call-overload]
            update(ApiToken)
            .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
            .values(revoked_at=datetime.now(UTC))
        )
        return bool(result.rowcount)


# Built once: the per-request check is one compiled-and-cached Core query.
_LOOKUP = select(ApiToken.name, ApiToken.role).where(  # type: ignore[call-overload]
    ApiToken.token_hash == bindparam("token_hash"),
    ApiToken.revoked_at.is_(None),  # type: ignore[union-attr]
)


def principal_for_token(presented: str, settings: Settings | None = None) -> Principal | None:
    """The principal behind a bearer token: API_TOKEN (bootstrap admin) or an active token."""
    settings = settings or get_settings()
    if not presented or len(presented) > MAX_TOKEN:
        return None
    if settings.api_token and hmac.compare_digest(
        presented.encode("utf-8"), settings.api_token.encode("utf-8")
    ):
        return Principal(kind="bootstrap", name="API_TOKEN", role=Role.admin)
    if not presented.startswith(TOKEN_PREFIX):
        return None
    with get_engine().connect() as conn:
        row = conn.execute(_LOOKUP, {"token_hash": token_hash(presented)}).first()
    if row is None:
        return None
    return Principal(kind="token", name=row[0], role=Role(row[1]))
