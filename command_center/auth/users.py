"""Local accounts: argon2 password hashes (pwdlib), sign-in with rate limiting, first admin."""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from command_center.auth.models import LoginAttempt, User
from command_center.auth.roles import Role
from command_center.db.session import session_scope
from command_center.settings import Settings, get_settings

log = logging.getLogger(__name__)
RATE_WINDOW = timedelta(minutes=1)
MAX_USERNAME = 120
MAX_PASSWORD = 200
MIN_PASSWORD = 8
FIRST_ADMIN = "admin"


class SignInError(Exception):
    """Sign-in refused; `kind` is invalid | rate_limited | disabled; the message is for people."""

    def __init__(self, kind: str, message: str, retry_after: int = 0) -> None:
        super().__init__(message)
        self.kind, self.retry_after = kind, retry_after


class UserError(ValueError):
    """A user could not be created or changed (message names the reason)."""


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash((Argon2Hasher(),))


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (pwdlib)."""
    return _hasher().hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    """True when `password` matches `stored`; a missing hash still costs one verification."""
    if not stored:
        _hasher().verify(password, _dummy_hash())
        return False
    try:
        return _hasher().verify(password, stored)
    except Exception:  # a malformed stored hash is a failed sign-in, not a crash
        return False


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _clean_username(username: str) -> str:
    name = username.strip().lower()
    if not name or len(name) > MAX_USERNAME or any(c.isspace() or ord(c) < 32 for c in name):
        raise UserError(f"username must be 1–{MAX_USERNAME} characters without spaces")
    return name


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UserError(f"password must be {MIN_PASSWORD}–{MAX_PASSWORD} characters")


def create_user(
    username: str, password: str | None, role: Role | str, display_name: str = ""
) -> User:
    """Create a local account (argon2-hashed password); UserError when invalid or taken."""
    name = _clean_username(username)
    if password is not None:
        _check_password(password)
    user = User(
        username=name,
        display_name=display_name[:200] or name,
        role=Role(role).value,
        password_hash=hash_password(password) if password is not None else None,
    )
    try:
        with session_scope() as session:
            session.add(user)
    except IntegrityError:
        raise UserError(f"user {name!r} already exists") from None
    return user


def set_password(username: str, password: str) -> None:
    """Replace a local account's password."""
    _check_password(password)
    with session_scope() as session:
        user = session.exec(select(User).where(User.username == _clean_username(username))).first()
        if user is None:
            raise UserError(f"no user {username!r}")
        user.password_hash = hash_password(password)


def update_user(username: str, role: Role | str | None, disabled: bool | None = None) -> User:
    """Change an account's role and/or disabled flag (sessions see it on their next check)."""
    with session_scope() as session:
        user = session.exec(select(User).where(User.username == _clean_username(username))).first()
        if user is None:
            raise UserError(f"no user {username!r}")
        if role is not None:
            user.role = Role(role).value
        if disabled is not None:
            user.disabled = disabled
        session.flush()
        return user


def list_users() -> list[User]:
    """Every account, by username."""
    with session_scope() as session:
        return list(session.exec(select(User).order_by(User.username)))


def _attempt_key(username: str, client_ip: str) -> str:
    return f"{username.strip().lower()[:MAX_USERNAME]}|{client_ip[:100]}"


def authenticate(
    username: str,
    password: str,
    client_ip: str,
    *,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> User:
    """Check a username and password; at most LOGIN_RATE_LIMIT failures per minute per
    username + client address, after which every attempt (right or wrong) is refused."""
    settings = settings or get_settings()
    now = now or datetime.now(UTC)
    username = "".join(ch for ch in username if ch.isprintable())  # no NUL into PostgreSQL
    key = _attempt_key(username, client_ip)
    since = now - RATE_WINDOW
    with session_scope() as session:
        session.exec(delete(LoginAttempt).where(LoginAttempt.attempted_at < since))  # type: ignore[call-overload]
        failures = session.exec(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.key == key, LoginAttempt.attempted_at >= since)
        ).one()
    if failures >= settings.login_rate_limit:
        raise SignInError(
            "rate_limited",
            "Too many failed sign-ins for this account from your address. "
            "Wait a minute and try again.",
            retry_after=int(RATE_WINDOW.total_seconds()),
        )
    user = None
    if len(password) <= MAX_PASSWORD and len(username) <= MAX_USERNAME:
        with session_scope() as session:
            user = session.exec(
                select(User).where(User.username == username.strip().lower())
            ).first()
    ok = verify_password(password[:MAX_PASSWORD], user.password_hash if user else None)
    if not ok or user is None:
        with session_scope() as session:
            session.add(LoginAttempt(key=key, attempted_at=now))
        raise SignInError("invalid", "Wrong username or password.")
    if user.disabled:
        raise SignInError("disabled", "This account is disabled.")
    with session_scope() as session:
        session.exec(delete(LoginAttempt).where(LoginAttempt.key == key))  # type: ignore[call-overload]
        stored = session.get(User, user.id)
        if stored is not None:
            stored.last_login_at = now
    return user


def ensure_first_admin(settings: Settings | None = None) -> str | None:
    """With sign-in on and no account yet, create `admin` and print its one-time password
    once (or use ADMIN_PASSWORD, which is never printed). Returns the printed password."""
    settings = settings or get_settings()
    if settings.auth_mode == "open":
        return None
    with session_scope() as session:
        if session.exec(select(func.count()).select_from(User)).one():
            return None
    password = settings.admin_password or secrets.token_urlsafe(12)
    try:
        create_user(FIRST_ADMIN, password, Role.admin, "Administrator")
    except UserError:  # another worker created it first
        return None
    if settings.admin_password:
        log.warning("first admin %r created with ADMIN_PASSWORD", FIRST_ADMIN)
        return None
    print(
        f"command-center: first admin created — username: {FIRST_ADMIN}  "
        f"one-time password: {password}  (shown only now)",
        flush=True,
    )
    return password
