"""Roles against every guarded `/v1` path, API tokens (revocation, hashed storage, the
API_TOKEN bootstrap), sign-in rate limiting and session expiry — on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from command_center.auth.models import ApiToken, User
from command_center.auth.sessions import create_session, principal_for_session, revoke_session
from command_center.auth.users import SignInError, authenticate, create_user, ensure_first_admin
from command_center.db.migrate import upgrade_to_head
from command_center.db.session import session_scope
from command_center.settings import get_settings
from tests.api_helpers import assert_problem, prepared_client

BOOTSTRAP = "bootstrap-admin-token-for-tests"
ADMIN_PASSWORD = "first-admin-pw-123"
ROLES = ("viewer", "editor", "admin")
RANK = {None: -1, "viewer": 0, "editor": 1, "admin": 2}

# Every guarded route, the least role it needs, and a harmless request (an allowed caller
# gets past the guard and then a 2xx/404/422 — never 401/403).
GUARDED: list[tuple[str, str, dict | None, str]] = [
    ("POST", "/v1/events", {}, "editor"),
    ("POST", "/v1/kpis/reconcile", None, "editor"),
    ("POST", "/v1/widgets/clarify", {}, "editor"),
    ("POST", "/v1/widgets/clarify/respond", {}, "editor"),
    ("POST", "/v1/widgets", {}, "editor"),
    ("DELETE", "/v1/widgets/no-such-widget", None, "editor"),
    ("POST", "/v1/sql/generate", {}, "editor"),
    ("POST", "/v1/sql/validate", {}, "editor"),
    ("POST", "/v1/widgets/clarify/refine", {}, "editor"),
    ("PUT", "/v1/widgets/no-such-widget", {}, "editor"),
    ("POST", "/v1/widgets/no-such-widget/duplicate", None, "editor"),
    ("POST", "/v1/dashboards", {}, "editor"),
    ("PATCH", "/v1/dashboards/999999", {}, "editor"),
    ("PUT", "/v1/dashboards/999999/layout", {}, "editor"),
    ("POST", "/v1/widgets/preview", {}, "editor"),
    ("POST", "/v1/widgets/no-such-widget/data", None, "viewer"),
    ("GET", "/v1/widgets", None, "viewer"),
    ("GET", "/v1/dashboards", None, "viewer"),
    ("GET", "/v1/dashboards/999999/layout", None, "viewer"),
    ("GET", "/v1/databricks/health", None, "viewer"),
    ("GET", "/v1/admin/tokens", None, "admin"),
    ("POST", "/v1/admin/tokens", {}, "admin"),
    ("DELETE", "/v1/admin/tokens/999999", None, "admin"),
    ("GET", "/v1/admin/users", None, "admin"),
    ("POST", "/v1/admin/users", {}, "admin"),
    ("PATCH", "/v1/admin/users/nobody", {}, "admin"),
]
# A POST that only reads (a saved widget's rows, nothing is stored): a viewer may call it.
READ_ONLY_POSTS = {"/v1/widgets/{widget_id}/data"}
PUBLIC = ["/v1/kpis", "/v1/kpis/definitions", "/v1/health"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def signin_env(settings_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_MODE", "local")
    monkeypatch.setenv("ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("API_TOKEN", BOOTSTRAP)
    get_settings.cache_clear()


@pytest.fixture
def client(signin_env) -> Iterator[TestClient]:
    yield from prepared_client()


@pytest.fixture
def tokens(client: TestClient) -> dict[str, str]:
    """One per-client token per role, issued through the admin API with the bootstrap token."""
    issued = {}
    for role in ROLES:
        response = client.post(
            "/v1/admin/tokens",
            json={"name": f"{role}-client", "role": role},
            headers=bearer(BOOTSTRAP),
        )
        assert response.status_code == 201, response.text
        issued[role] = response.json()["token"]
    return issued


@pytest.mark.parametrize(("method", "path", "body", "needed"), GUARDED)
def test_each_role_against_each_guarded_path(
    client: TestClient, tokens: dict[str, str], method: str, path: str, body, needed: str
) -> None:
    anonymous = client.request(method, path, json=body)
    assert_problem(anonymous, 401)
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    bad = client.request(method, path, json=body, headers=bearer("cc_tok_not-a-real-token"))
    assert_problem(bad, 401)
    for role, token in tokens.items():
        response = client.request(method, path, json=body, headers=bearer(token))
        if RANK[role] < RANK[needed]:
            problem = assert_problem(response, 403)
            assert problem["required_role"] == needed
        else:
            assert response.status_code not in (401, 403), (role, path, response.text)


def test_safe_reads_need_no_token_and_health_hides_configuration(client: TestClient) -> None:
    for path in PUBLIC:
        assert client.get(path).status_code in (200, 503), path
    anonymous = client.get("/v1/health").json()
    assert all(set(d) == {"name", "status"} for d in anonymous["dependencies"])
    full = client.get("/v1/health", headers=bearer(BOOTSTRAP)).json()
    assert all("mode" in d for d in full["dependencies"])


def test_open_demo_with_api_token_guards_validate_and_widget_data(
    settings_env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found #2: with API_TOKEN set, validate and widget data needed no token."""
    monkeypatch.setenv("AUTH_MODE", "open")
    monkeypatch.setenv("API_TOKEN", BOOTSTRAP)
    get_settings.cache_clear()
    for client in prepared_client():
        sql = {"sql": "SELECT 1", "metric_id": "approval_rate"}
        assert_problem(client.post("/v1/sql/validate", json=sql), 401)
        widget_id = client.get("/v1/widgets", headers=bearer(BOOTSTRAP)).json()["widgets"][0]["id"]
        assert_problem(client.post(f"/v1/widgets/{widget_id}/data"), 401)
        ok = client.post(f"/v1/widgets/{widget_id}/data", headers=bearer(BOOTSTRAP))
        assert ok.status_code == 200, ok.text


def test_revoked_token_stops_working_at_once(client: TestClient, tokens: dict[str, str]) -> None:
    editor = tokens["editor"]
    assert client.delete("/v1/widgets/nope", headers=bearer(editor)).status_code == 404
    listing = client.get("/v1/admin/tokens", headers=bearer(BOOTSTRAP)).json()["tokens"]
    token_id = next(t["id"] for t in listing if t["name"] == "editor-client")
    assert (
        client.delete(f"/v1/admin/tokens/{token_id}", headers=bearer(BOOTSTRAP)).status_code == 204
    )
    assert_problem(client.delete("/v1/widgets/nope", headers=bearer(editor)), 401)
    assert (
        client.delete(f"/v1/admin/tokens/{token_id}", headers=bearer(BOOTSTRAP)).status_code == 404
    )
    listing = client.get("/v1/admin/tokens", headers=bearer(BOOTSTRAP)).json()["tokens"]
    assert next(t for t in listing if t["id"] == token_id)["revoked"] is True


def test_tokens_and_passwords_are_stored_hashed(client: TestClient, tokens: dict[str, str]) -> None:
    listing = client.get("/v1/admin/tokens", headers=bearer(BOOTSTRAP))
    for secret in tokens.values():
        assert secret not in listing.text
    with session_scope() as session:
        rows = list(session.exec(select(ApiToken)))
        admin = session.exec(select(User).where(User.username == "admin")).one()
    stored = {r.token_hash for r in rows}
    for secret in tokens.values():
        assert hashlib.sha256(secret.encode()).hexdigest() in stored
        assert all(secret not in str(r.model_dump()) for r in rows)
    assert admin.password_hash and admin.password_hash.startswith("$argon2id$")
    assert ADMIN_PASSWORD not in admin.password_hash
    assert "password_hash" not in client.get("/v1/admin/users", headers=bearer(BOOTSTRAP)).text


def test_api_token_setting_is_a_bootstrap_admin(client: TestClient) -> None:
    created = client.post(
        "/v1/admin/users",
        json={"username": "vera", "password": "viewer-pass-1", "role": "viewer"},
        headers=bearer(BOOTSTRAP),
    )
    assert created.status_code == 201, created.text
    assert_problem(client.get("/v1/admin/tokens", headers=bearer(BOOTSTRAP + "x")), 401)


# ------------------------------------------------------------------ services, both databases


@pytest.fixture(params=["sqlite", "postgresql"])
def auth_db(request, settings_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTH_MODE", "local")
    monkeypatch.setenv("SESSION_TTL_MINUTES", "30")
    monkeypatch.setenv("LOGIN_RATE_LIMIT", "5")
    if request.param == "postgresql":
        monkeypatch.setenv("DATABASE_URL", request.getfixturevalue("pg_url"))
    get_settings.cache_clear()
    upgrade_to_head()


def test_login_attempts_are_rate_limited_per_username_and_address(auth_db) -> None:
    create_user("erin", "correct-horse-1", "editor")
    t0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    for i in range(5):
        with pytest.raises(SignInError) as wrong:
            authenticate("erin", f"wrong-{i}", "10.0.0.1", now=t0 + timedelta(seconds=i))
        assert wrong.value.kind == "invalid"
    with pytest.raises(SignInError) as limited:
        authenticate("erin", "correct-horse-1", "10.0.0.1", now=t0 + timedelta(seconds=10))
    assert limited.value.kind == "rate_limited" and "Too many" in str(limited.value)
    # another address is not blocked; the same one is again after the window
    assert authenticate("erin", "correct-horse-1", "10.0.0.2", now=t0 + timedelta(seconds=11))
    assert authenticate("ERIN", "correct-horse-1", "10.0.0.1", now=t0 + timedelta(seconds=70))


def test_sessions_expire_and_sign_out_revokes(auth_db) -> None:
    user = create_user("vic", "viewer-pass-1", "viewer")
    t0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    token = create_session(int(user.id or 0), now=t0)
    live = principal_for_session(token, now=t0 + timedelta(minutes=29))
    assert live is not None and live.role == "viewer" and live.user_id == user.id
    assert principal_for_session(token, now=t0 + timedelta(minutes=31)) is None
    fresh = create_session(int(user.id or 0))
    assert principal_for_session(fresh) is not None
    assert revoke_session(fresh)
    assert principal_for_session(fresh) is None
    assert principal_for_session("cc_ses_forged") is None


def test_first_start_prints_a_one_time_admin_password_once(auth_db, capsys) -> None:
    password = ensure_first_admin()
    assert password and password in capsys.readouterr().out
    assert ensure_first_admin() is None
    assert password not in capsys.readouterr().out
    assert authenticate("admin", password, "127.0.0.1").role == "admin"


def test_every_route_declares_a_role_and_every_write_needs_an_editor() -> None:
    """A new route without `require_role` fails here (unless listed as a safe read), and so
    does a route that changes something (not GET) guarded by less than the editor role."""
    from fastapi.routing import APIRoute

    from command_center.api.app import FEATURE_ROUTERS, health_router

    safe_reads = {*PUBLIC, "/v1/dashboard/events", "/v1/auth/oidc/login", "/v1/auth/oidc/callback"}
    routes = [r for router in (*FEATURE_ROUTERS, health_router) for r in router.routes]
    checked, unguarded, underguarded = 0, [], []
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        path = "/v1" + route.path
        checked += 1
        names = {getattr(d.call, "__name__", "") for d in route.dependant.dependencies}
        if not any(n.startswith("require_") for n in names) and path not in safe_reads:
            unguarded.append(f"{sorted(route.methods)} {path}")
        writes = set(route.methods) - {"GET", "HEAD"} and path not in READ_ONLY_POSTS
        if writes and not names & {"require_editor", "require_admin"}:
            underguarded.append(f"{sorted(route.methods)} {path} {sorted(names)}")
    assert checked >= 25, checked
    assert not unguarded, f"routes without a role check: {unguarded}"
    assert not underguarded, f"writes a viewer may call: {underguarded}"


@pytest.mark.parametrize("name", ["u" * 121, "a%00b", "a%20b"])
def test_a_username_in_the_path_is_bounded_before_any_query(client: TestClient, name: str) -> None:
    """PATCH /v1/admin/users/{username}: too long or with a control character (a NUL is a
    PostgreSQL error) is a 422 problem, not a look-up."""
    response = client.patch(f"/v1/admin/users/{name}", json={}, headers=bearer(BOOTSTRAP))
    assert response.status_code == 422, response.text
