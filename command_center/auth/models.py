"""Auth tables: users, sign-in sessions, API tokens and login attempts (Alembic owns them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Index
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    column = Column(DateTime(timezone=True), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=column)
    return Field(default_factory=_now, sa_column=column)


class User(SQLModel, table=True):
    """A person who signs in: a local account (password) or an OIDC subject."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=120, unique=True, index=True)
    display_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=20)
    password_hash: str | None = Field(default=None, max_length=255)
    oidc_subject: str | None = Field(default=None, max_length=400, unique=True)
    disabled: bool = Field(default=False)
    created_at: datetime = _ts()
    last_login_at: datetime | None = _ts(nullable=True)


class AuthSession(SQLModel, table=True):
    """A browser sign-in: only the SHA-256 of its token is stored."""

    __tablename__ = "auth_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = _ts()
    expires_at: datetime = _ts(index=True)
    revoked_at: datetime | None = _ts(nullable=True)


class ApiToken(SQLModel, table=True):
    """A machine client's bearer token with a role; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    role: str = Field(max_length=20)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=16)
    created_by: str = Field(default="", max_length=120)
    created_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)


class LoginAttempt(SQLModel, table=True):
    """A failed sign-in, keyed by username + client address (for rate limiting)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "attempted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300)
    attempted_at: datetime = _ts()
