"""Sign-in on the production build: the sign-in page, roles enforced by the server even when
the event is sent anyway, the admin token page, rate limiting and sign-out."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import launch_server
from tests.e2e.prod_server import ProdServer, stop_prod_server

pytestmark = pytest.mark.e2e
BOOT = "e2e-bootstrap-admin-token"
ADMIN_PASSWORD = "e2e-admin-password"


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProdServer]:
    """A production server with sign-in on (the session server runs the open demo)."""
    env = {"AUTH_MODE": "local", "ADMIN_PASSWORD": ADMIN_PASSWORD, "API_TOKEN": BOOT}
    server = launch_server(tmp_path_factory.mktemp("auth"), extra_env=env)
    yield server
    stop_prod_server(server)


@pytest.fixture
def api(auth_server: ProdServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {BOOT}"}
    with httpx.Client(base_url=auth_server.url, headers=headers, timeout=15) as client:
        yield client


def sign_in(page, url: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url + "/login")
    page.wait_for_selector("#username", timeout=60_000)
    page.fill("#username", username)
    page.fill("#password", password)
    page.press("#password", "Enter")  # the keyboard submits the form


def test_open_demo_is_labelled(prod_server, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(prod_server.url + "/")
    expect(page.locator("#open-demo")).to_have_text("open demo", timeout=60_000)


def test_signed_out_browser_is_sent_to_sign_in(auth_server: ProdServer, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(auth_server.url + "/")
    page.wait_for_url("**/login", timeout=60_000)
    expect(page.locator("#username")).to_be_focused()
    expect(page.locator(".kpi-value")).to_have_count(0)


def test_roles_are_enforced_on_the_server_and_sign_out(  # type: ignore[no-untyped-def]
    auth_server: ProdServer, api: httpx.Client, browser, page
) -> None:
    created = api.post(
        "/v1/admin/users", json={"username": "eddie", "password": "editor-pass-1", "role": "editor"}
    )
    assert created.status_code == 201, created.text

    sign_in(page, auth_server.url, "eddie", "not-the-password")
    expect(page.locator("#login-error")).to_contain_text("Wrong username or password")
    page.fill("#password", "editor-pass-1")
    page.press("#password", "Enter")
    page.wait_for_url(auth_server.url + "/", timeout=60_000)
    expect(page.locator("#user-role")).to_have_text("editor", timeout=30_000)
    switch = page.locator("#simulator-switch")
    expect(switch).to_be_visible()
    page.wait_for_selector(".widget-drag-handle", timeout=60_000)
    before = [w["id"] for w in api.get("/v1/widgets").json()["widgets"]]

    # The account becomes a viewer on the server; this tab still shows the editor controls,
    # so the events are sent anyway — and refused by the server.
    assert api.patch("/v1/admin/users/eddie", json={"role": "viewer"}).status_code == 200
    switch.click()
    expect(page.get_by_text("Not allowed").first).to_be_visible(timeout=30_000)
    expect(switch).to_have_attribute("data-state", "unchecked")
    expect(page.get_by_text("Not allowed")).to_have_count(0, timeout=30_000)  # toast gone
    page.locator(".widget-menu").first.click()
    page.locator(".widget-remove").click()  # still offered: this tab thinks it is an editor
    expect(page.get_by_text("Not allowed").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Removed “")).to_have_count(0)
    assert [w["id"] for w in api.get("/v1/widgets").json()["widgets"]] == before
    health = api.get("/v1/health").json()
    assert health["status"] in ("ok", "degraded")

    # Reloaded, the viewer's page hides what a viewer cannot do.
    page.reload()
    expect(page.locator("#user-role")).to_have_text("viewer", timeout=60_000)
    page.wait_for_selector(".widget-card, [id^='widget-']", timeout=60_000)
    expect(page.locator("#simulator-switch")).to_have_count(0)
    expect(page.locator(".widget-drag-handle")).to_have_count(0)
    page.locator(".widget-menu").first.click()
    expect(page.locator(".widget-remove")).to_have_count(0)
    page.keyboard.press("Escape")
    expect(page.locator("#add-widget")).to_have_count(0)

    session_cookie = next(c for c in page.context.cookies() if c["name"] == "cc_session")
    page.click("#sign-out")
    page.wait_for_url("**/login", timeout=30_000)
    # The old token is dead on the server: a browser presenting it again must sign in.
    replay = browser.new_context()
    replay.add_cookies([session_cookie])
    replay_page = replay.new_page()
    replay_page.goto(auth_server.url + "/")
    replay_page.wait_for_url("**/login", timeout=60_000)
    replay.close()


def test_admin_issues_a_token_shown_once(  # type: ignore[no-untyped-def]
    auth_server: ProdServer, page
) -> None:
    sign_in(page, auth_server.url, "admin", ADMIN_PASSWORD)
    page.wait_for_url(auth_server.url + "/", timeout=60_000)
    page.click("#admin-link")
    page.wait_for_url("**/admin", timeout=30_000)
    page.fill("input[name='name']", "ci-client")
    page.select_option("select[name='role']", "editor")
    page.click("#create-token")
    secret = page.locator("#new-token-secret").inner_text(timeout=30_000).strip()
    assert secret.startswith("cc_tok_")
    headers = {"Authorization": f"Bearer {secret}"}
    gone = httpx.delete(auth_server.url + "/v1/widgets/no-such", headers=headers, timeout=15)
    assert gone.status_code == 404  # past the guard: an editor token
    page.reload()
    expect(page.get_by_role("cell", name="ci-client")).to_be_visible(timeout=60_000)  # hydrated
    expect(page.locator("#admin-message")).to_have_count(0, timeout=30_000)  # page loaded
    expect(page.locator("#new-token-secret")).to_have_count(0)  # the secret is not shown again


def test_repeated_failed_sign_ins_are_rate_limited(auth_server: ProdServer, page) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, auth_server.url, "mallory", "guess-0")
    for n in range(1, 6):
        expect(page.locator("#login-error")).to_be_visible(timeout=30_000)
        page.fill("#password", f"guess-{n}")
        page.press("#password", "Enter")
    expect(page.locator("#login-error")).to_contain_text("Too many failed sign-ins", timeout=30_000)
