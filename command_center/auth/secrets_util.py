"""Random tokens and their stored form (SHA-256 of a 256-bit random token)."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str) -> str:
    """A URL-safe token with 256 bits of randomness, e.g. `cc_tok_…`."""
    return f"{prefix}{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    """What is stored for a token: its SHA-256 hex digest (never the token itself)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
