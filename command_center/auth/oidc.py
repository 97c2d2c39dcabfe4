"""OIDC single sign-on (authorization code + PKCE) with authlib; ID tokens checked with joserfc.

`start_login` gives the provider URL and a flow cookie (state, nonce, PKCE verifier);
`finish_login` checks the state, exchanges the code, verifies the ID token (signature from
the provider's JWKS, issuer, audience, expiry, nonce), maps the role and upserts the user.
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from command_center.auth.models import User
from command_center.auth.roles import Role
from command_center.db.session import session_scope
from command_center.settings import Settings

log = logging.getLogger(__name__)
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
HTTP_TIMEOUT = 10.0
DISCOVERY_TTL = 300.0
_discovery: dict[str, tuple[float, dict[str, Any]]] = {}


class OidcError(Exception):
    """Single sign-on failed; `status` 400 (bad flow), 403 (no role) or 502 (provider)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LoginStart:
    """Where to send the browser, and the flow cookie to set."""

    url: str
    flow: str


async def provider_metadata(settings: Settings) -> dict[str, Any]:
    """The provider's discovery document (cached for a few minutes)."""
    issuer = settings.oidc_issuer.rstrip("/")
    cached = _discovery.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL:
        return cached[1]
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
            response = await client.get(f"{issuer}/.well-known/openid-configuration")
            response.raise_for_status()
            meta = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcError(502, f"OIDC provider discovery failed: {exc}") from None
    if str(meta.get("issuer", "")).rstrip("/") != issuer:
        raise OidcError(502, "the provider's issuer does not match OIDC_ISSUER")
    _discovery[issuer] = (time.monotonic(), meta)
    return meta


def _client(settings: Settings, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,
        scope=settings.oidc_scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT,
    )


async def start_login(settings: Settings, redirect_uri: str) -> LoginStart:
    """The authorization URL (state, nonce, S256 PKCE) and the flow cookie value."""
    meta = await provider_metadata(settings)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(48)
    async with _client(settings, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            meta["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier
        )
    return LoginStart(url=url, flow=f"{state}.{nonce}.{verifier}")


def verify_id_token(
    id_token: str, jwks: dict[str, Any], *, issuer: str, client_id: str, nonce: str
) -> dict[str, Any]:
    """Signature, issuer, audience, expiry and nonce of an ID token; returns its claims."""
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": client_id},
            sub={"essential": True},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise OidcError(400, f"the ID token is not valid: {exc}") from None
    return dict(token.claims)


def map_role(claims: dict[str, Any], settings: Settings) -> Role | None:
    """The highest role a claim value maps to (OIDC_ROLE_MAP), else OIDC_DEFAULT_ROLE."""
    rules: dict[str, Role] = {}
    for rule in filter(None, (p.strip() for p in settings.oidc_role_map.split(","))):
        value, _, role = rule.rpartition("=")
        rules[value.strip()] = Role(role.strip())
    raw = claims.get(settings.oidc_role_claim) if settings.oidc_role_claim else None
    values = raw if isinstance(raw, list) else [raw] if raw is not None else []
    matched = [rules[str(v)] for v in values if str(v) in rules]
    if matched:
        return max(matched, key=lambda r: r.rank)
    return Role(settings.oidc_default_role) if settings.oidc_default_role else None


def upsert_user(issuer: str, claims: dict[str, Any], role: Role) -> User:
    """Create or refresh the account for this issuer + subject (its role follows the claims)."""
    subject = f"{issuer}|{claims['sub']}"[:400]
    label = str(claims.get("email") or claims.get("preferred_username") or claims["sub"])
    display = str(claims.get("name") or label)[:200]
    with session_scope() as session:
        user = session.exec(select(User).where(User.oidc_subject == subject)).first()
        if user is not None:
            user.role, user.display_name = role.value, display
            session.flush()
            return user
    username = f"sso:{label}"[:120].lower()
    for attempt in range(2):
        try:
            with session_scope() as session:
                user = User(username=username, display_name=display, role=role.value)
                user.oidc_subject = subject
                session.add(user)
                session.flush()
                return user
        except IntegrityError:  # that username belongs to someone else: make it unique
            if attempt:
                raise
            username = f"sso:{generate_token(8)}:{label}"[:120].lower()
    raise OidcError(500, "could not create the account")


async def finish_login(
    settings: Settings, redirect_uri: str, code: str, state: str, flow: str
) -> User:
    """Check the callback against the flow cookie, exchange the code, return the user."""
    parts = flow.split(".")
    if len(parts) != 3 or not state or not hmac.compare_digest(parts[0], state):
        raise OidcError(400, "the sign-in flow expired or does not match; start again")
    _, nonce, verifier = parts
    meta = await provider_metadata(settings)
    try:
        async with _client(settings, redirect_uri) as client:
            tokens = await client.fetch_token(
                meta["token_endpoint"], code=code, code_verifier=verifier
            )
            jwks = (await client.get(meta["jwks_uri"])).json()
    except Exception as exc:  # authlib raises OAuthError, httpx its own
        raise OidcError(400, f"the provider refused the code: {exc}") from None
    if "id_token" not in tokens:
        raise OidcError(400, "the provider returned no ID token")
    issuer = str(meta["issuer"]).rstrip("/")
    claims = verify_id_token(
        tokens["id_token"],
        jwks,
        issuer=meta["issuer"],
        client_id=settings.oidc_client_id,
        nonce=nonce,
    )
    role = map_role(claims, settings)
    if role is None:
        raise OidcError(403, "your account has no Command Center role; ask an admin")
    return upsert_user(issuer, claims, role)
