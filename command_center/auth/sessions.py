"""Server-side sign-in sessions: the browser holds a random token, the server its hash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, update
from sqlmodel import select

from command_center.auth.models import AuthSession, User
from command_center.auth.roles import Principal, Role
from command_center.auth.secrets_util import new_token, token_hash
from command_center.db.session import get_engine, session_scope
from command_center.settings import Settings, get_settings

SESSION_PREFIX = "cc_ses_"
MAX_TOKEN = 200


def create_session(
    user_id: int, *, now: datetime | None = None, settings: Settings | None = None
) -> str:
    """Start a session for `user_id`; returns the token (only its hash is stored)."""
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    token = new_token(SESSION_PREFIX)
    with session_scope() as session:
        session.add(
            AuthSession(
                token_hash=token_hash(token),
                user_id=user_id,
                created_at=now,
                expires_at=now + timedelta(minutes=settings.session_ttl_minutes),
            )
        )
    return token


# Built once: the per-event check runs one compiled-and-cached Core query, no ORM session.
_LOOKUP = (
    select(User.id, User.username, User.display_name, User.role)  # type: ignore[call-overload]
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        AuthSession.token_hash == bindparam("token_hash"),
        AuthSession.revoked_at.is_(None),  # type: ignore[union-attr]
        AuthSession.expires_at > bindparam("now"),
        User.disabled.is_(False),  # type: ignore[attr-defined]
    )
)


def principal_for_session(token: str, *, now: datetime | None = None) -> Principal | None:
    """The signed-in user behind `token`, or None when unknown, expired, revoked or disabled.

    Runs on every Reflex event, so it reads the user's current role each time."""
    if not token or len(token) > MAX_TOKEN or not token.startswith(SESSION_PREFIX):
        return None
    params = {"token_hash": token_hash(token), "now": now or datetime.now(UTC)}
    with get_engine().connect() as conn:
        row = conn.execute(_LOOKUP, params).first()
    if row is None:
        return None
    user_id, username, display_name, role = row
    return Principal(kind="user", name=display_name or username, role=Role(role), user_id=user_id)


def revoke_session(token: str, *, now: datetime | None = None) -> bool:
    """Sign out: the token stops working everywhere at once. True when one was revoked."""
    if not token or len(token) > MAX_TOKEN:
        return False
    with session_scope() as session:
        result = session.exec(  # type: ignore[call-overload]
            update(AuthSession)
            .where(AuthSession.token_hash == token_hash(token), AuthSession.revoked_at.is_(None))  # type: ignore[union-attr]
            .values(revoked_at=now or datetime.now(UTC))
        )
        return bool(result.rowcount)
