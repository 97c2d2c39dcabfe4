"""Roles, principals and the one authorisation rule used by the UI and the API."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from command_center.settings import Settings


class Role(StrEnum):
    """viewer watches; editor builds, edits, arranges and removes widgets and runs the
    simulator; admin also manages users, tokens and settings."""

    viewer = "viewer"
    editor = "editor"
    admin = "admin"

    @property
    def rank(self) -> int:
        """Order of privilege (viewer < editor < admin)."""
        return _RANK[self]

    def allows(self, needed: Role | str) -> bool:
        """True when this role may do what `needed` may do."""
        return self.rank >= Role(needed).rank


_RANK = {Role.viewer: 0, Role.editor: 1, Role.admin: 2}
ROLES = tuple(r.value for r in Role)


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in user, an API token, or the anonymous open demo."""

    kind: str  # user | token | bootstrap | open
    name: str
    role: Role
    user_id: int | None = None

    def allows(self, needed: Role | str) -> bool:
        """True when the principal's role covers `needed`."""
        return self.role.allows(needed)


OPEN_DEMO = Principal(kind="open", name="open demo", role=Role.editor)


def anonymous_principal(settings: Settings, *, api: bool = False) -> Principal | None:
    """Who an unauthenticated caller is: the open-demo editor when `AUTH_MODE=open` (for
    the API only while `API_TOKEN` is unset), otherwise nobody."""
    if settings.auth_mode != "open":
        return None
    if api and settings.api_token:
        return None
    return OPEN_DEMO


class AccessDenied(Exception):
    """The caller may not do this: `status` 401 (not signed in) or 403 (wrong role)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def authorize(principal: Principal | None, needed: Role | str) -> Principal:
    """Return the principal when it may act with `needed`; raise AccessDenied otherwise."""
    needed = Role(needed)
    if principal is None:
        raise AccessDenied(401, f"sign in or present a token with the {needed} role")
    if not principal.allows(needed):
        if principal.kind == "open":
            raise AccessDenied(401, f"this needs a token with the {needed} role")
        raise AccessDenied(403, f"the {principal.role} role cannot do this ({needed} needed)")
    return principal
