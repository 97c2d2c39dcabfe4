"""OIDC single sign-on through the app's own routes against a real local provider
(`oidc-provider-mock`, started by the test): authorization code + PKCE, ID token checks,
role mapping, and the refusals."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from oidc_provider_mock import User, run_server_in_thread

from command_center.api.app import build_api
from command_center.auth import oidc
from command_center.auth.sessions import principal_for_session
from command_center.db.migrate import upgrade_to_head
from command_center.settings import get_settings

USERS = [
    User(
        sub="olga", claims={"email": "olga@example.com", "name": "Olga", "groups": ["cc-editors"]}
    ),
    User(sub="ada", claims={"email": "ada@example.com", "groups": ["staff", "cc-admins"]}),
    User(sub="nobody", claims={"email": "nobody@example.com", "groups": ["staff"]}),
]


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with run_server_in_thread(port=0, user_claims=USERS, require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def client(settings_env, provider: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    for name, value in {
        "AUTH_MODE": "local",
        "OIDC_ISSUER": provider,
        "OIDC_CLIENT_ID": "command-center",
        "OIDC_CLIENT_SECRET": "client-secret",
        "OIDC_ROLE_CLAIM": "groups",
        "OIDC_ROLE_MAP": "cc-editors=editor,cc-admins=admin",
        "OIDC_DEFAULT_ROLE": "viewer",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    oidc._discovery.clear()
    upgrade_to_head()
    with TestClient(build_api(), base_url="http://cc.test") as test_client:
        yield test_client


def sign_in_at_provider(authorize_url: str, sub: str) -> str:
    """The person picks `sub` on the provider's form; returns the redirect back to the app."""
    answer = httpx.post(authorize_url, data={"sub": sub}, follow_redirects=False, timeout=10)
    assert answer.status_code in (302, 303), answer.text[:300]
    return answer.headers["location"]


def run_flow(client: TestClient, sub: str) -> httpx.Response:
    start = client.get("/v1/auth/oidc/login", follow_redirects=False)
    assert start.status_code == 302, start.text
    authorize_url = start.headers["location"]
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    assert query["redirect_uri"] == ["http://cc.test/v1/auth/oidc/callback"]
    back = urlsplit(sign_in_at_provider(authorize_url, sub))
    assert back.path == "/v1/auth/oidc/callback"
    return client.get(f"{back.path}?{back.query}", follow_redirects=False)


def test_code_flow_signs_in_with_the_mapped_role(client: TestClient) -> None:
    done = run_flow(client, "olga")
    assert done.status_code == 303 and done.headers["location"] == "/", done.text
    token = done.cookies.get("cc_session")
    principal = principal_for_session(token)
    assert principal is not None and principal.role == "editor" and principal.name == "Olga"
    admin = run_flow(client, "ada")
    assert principal_for_session(admin.cookies.get("cc_session")).role == "admin"
    # the same subject signs in again: same account, role refreshed from the claims
    again = run_flow(client, "olga")
    assert principal_for_session(again.cookies.get("cc_session")).user_id == principal.user_id


def test_unmapped_user_gets_the_default_role_or_is_refused(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer = run_flow(client, "nobody")
    assert principal_for_session(viewer.cookies.get("cc_session")).role == "viewer"
    monkeypatch.setenv("OIDC_DEFAULT_ROLE", "")
    get_settings.cache_clear()
    refused = run_flow(client, "nobody")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "cc_session" not in refused.cookies


def test_state_mismatch_and_replayed_code_are_refused(client: TestClient) -> None:
    start = client.get("/v1/auth/oidc/login", follow_redirects=False)
    back = urlsplit(sign_in_at_provider(start.headers["location"], "olga"))
    forged = back.query.replace("state=", "state=x")
    assert client.get(f"{back.path}?{forged}", follow_redirects=False).status_code == 400
    fresh = client.get("/v1/auth/oidc/login", follow_redirects=False)
    back = urlsplit(sign_in_at_provider(fresh.headers["location"], "olga"))
    assert client.get(f"{back.path}?{back.query}", follow_redirects=False).status_code == 303
    replay = client.get(f"{back.path}?{back.query}", follow_redirects=False)
    assert replay.status_code == 400  # the flow cookie is gone and the code was used


def test_a_forged_id_token_is_rejected(provider: str) -> None:
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    attacker = RSAKey.generate_key(2048)
    forged = jwt.encode(
        {"alg": "RS256"},
        {
            "iss": provider,
            "aud": "command-center",
            "sub": "ada",
            "exp": 4_000_000_000,
            "nonce": "n",
        },
        attacker,
    )
    jwks = httpx.get(f"{provider}/jwks", timeout=10).json()
    with pytest.raises(oidc.OidcError):
        oidc.verify_id_token(forged, jwks, issuer=provider, client_id="command-center", nonce="n")


def test_sso_routes_are_off_without_configuration(settings_env) -> None:
    with TestClient(build_api()) as plain:
        assert plain.get("/v1/auth/oidc/login", follow_redirects=False).status_code == 404


def test_cookies_are_secure_behind_an_https_proxy(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind a TLS proxy the app sees http; an https PUBLIC_URL still marks cookies Secure."""
    plain = client.get("/v1/auth/oidc/login", follow_redirects=False)
    assert "secure" not in plain.headers["set-cookie"].lower()
    monkeypatch.setenv("PUBLIC_URL", "https://cc.example.com")
    get_settings.cache_clear()
    start = client.get("/v1/auth/oidc/login", follow_redirects=False)
    assert start.status_code == 302, start.text
    assert "; secure" in start.headers["set-cookie"].lower()
