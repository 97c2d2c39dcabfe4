"""The widget builder in the browser: ask → answer with a chip → preview → add / cancel."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import launch_server
from tests.e2e.prod_server import ProdServer, stop_prod_server
from tests.fake_bedrock import FakeBedrock, Reply, error_reply, tool_reply

pytestmark = pytest.mark.e2e

TIMEOUT = 60_000
SCREENSHOT_DIR = os.environ.get("CC_BUILDER_SCREENSHOTS", "")  # e.g. /tmp: keep screenshots


def _widget_titles(server) -> list[str]:
    response = httpx.get(server.url + "/v1/widgets", timeout=10)
    assert response.status_code == 200, response.text
    return [w["title"] for w in response.json()["widgets"]]


def _open_builder(page, server) -> None:
    page.goto(server.url + "/")
    page.wait_for_selector(".kpi-tile", timeout=TIMEOUT)
    page.click("#add-widget")
    page.wait_for_selector("#builder-panel", timeout=TIMEOUT)
    page.wait_for_selector("#builder-preview-empty", timeout=TIMEOUT)


def _screenshot(page, name: str) -> None:
    if SCREENSHOT_DIR:
        page.screenshot(path=os.path.join(SCREENSHOT_DIR, name))


def _ask(page, text: str) -> None:
    box = page.locator("#builder-input")
    box.fill(text)
    box.press("Enter")


def test_empty_request_is_refused_readably(prod_server, page) -> None:
    _open_builder(page, prod_server)
    _ask(page, "   ")
    assert "Describe the widget" in page.locator("#builder-input-error").inner_text(timeout=TIMEOUT)
    assert page.locator(".builder-stage").count() == 0
    assert page.locator("#add-to-dashboard").is_disabled()


def test_build_answer_preview_and_add(prod_server, page) -> None:
    before = _widget_titles(prod_server)
    _open_builder(page, prod_server)
    panel = page.locator("#builder-panel")
    assert page.locator("#add-to-dashboard").is_disabled()

    _ask(page, "claims")  # the offline clarifier cannot tell which metric: it asks
    chip = panel.locator(".question-chip").get_by_text("Claims filed", exact=True)
    chip.wait_for(timeout=TIMEOUT)
    assert panel.locator(".builder-msg-user", has_text="claims").count() == 1
    assert panel.locator('.builder-stage[data-stage="metricMatcher"]').count() == 1
    assert page.locator("#add-to-dashboard").is_disabled()

    chip.click()
    card = panel.locator("#builder-preview .widget-card")
    card.wait_for(timeout=TIMEOUT)
    assert "Claims filed" in card.inner_text()
    # the preview is redrawn from real rows (resolver path, nothing saved): the source badge
    page.wait_for_function(
        "() => document.querySelector('#builder-preview .source-badge')?.innerText === 'SQLite'",
        timeout=TIMEOUT,
    )
    assert panel.locator(".question-chip").count() == 0
    assert panel.locator('.builder-stage[data-stage="critic"][data-status="done"]').count() == 1
    page.wait_for_function(
        "() => !document.querySelector('#add-to-dashboard').disabled", timeout=TIMEOUT
    )
    _screenshot(page, "builder.png")

    page.click("#add-to-dashboard")
    page.wait_for_selector("#builder-panel", state="detached", timeout=TIMEOUT)
    grid_card = page.locator("#widget-grid .widget-card", has_text="Claims filed")
    grid_card.first.wait_for(timeout=TIMEOUT)
    _screenshot(page, "builder_added.png")

    after = _widget_titles(prod_server)
    assert len(after) == len(before) + 1
    assert after.count("Claims filed") == before.count("Claims filed") + 1


def test_cancel_writes_nothing(prod_server, page) -> None:
    before = _widget_titles(prod_server)
    _open_builder(page, prod_server)
    _ask(page, "pie of claims by product in the warehouse")
    page.locator("#builder-panel #builder-preview .widget-card").wait_for(timeout=TIMEOUT)
    assert page.locator("#builder-panel .question-chip").count() == 0
    _screenshot(page, "builder_chart.png")
    page.click("#cancel-builder")
    page.wait_for_selector("#builder-panel", state="detached", timeout=TIMEOUT)
    assert _widget_titles(prod_server) == before

    # reopening starts from a clean slate
    page.click("#add-widget")
    page.wait_for_selector("#builder-preview-empty", timeout=TIMEOUT)
    assert page.locator("#builder-panel .builder-msg-user").count() == 0


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProdServer]:
    """A production build in BUILDER_MODE=live against a fake Bedrock that denies access."""
    fake = FakeBedrock().start()
    fake.script(*(error_reply(403, "AccessDeniedException", "not authorized") for _ in range(8)))
    env = {
        "BUILDER_MODE": "live",
        "BEDROCK_ENDPOINT_URL": fake.url,
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "LLM_TIMEOUT_SECONDS": "5",
        "LLM_MAX_RETRIES": "0",
    }
    server = launch_server(tmp_path_factory.mktemp("live"), extra_env=env)
    server.fake = fake  # type: ignore[attr-defined]  # scripted per test
    yield server
    stop_prod_server(server)
    fake.stop()


def test_live_mode_bedrock_error_shows_a_banner(live_server, page) -> None:
    _open_builder(page, live_server)
    _ask(page, "approval rate")
    banner = page.locator("#builder-panel .builder-error")
    banner.wait_for(timeout=TIMEOUT)
    text = banner.inner_text()
    assert banner.get_attribute("data-kind") == "auth", text
    assert "not authorized" in text and "live" in text
    assert page.locator('#builder-panel .builder-stage[data-status="failed"]').count() == 1
    assert page.locator("#add-to-dashboard").is_disabled()
    _screenshot(page, "builder_error.png")
    # the operator can retry: the submit button is enabled again
    assert page.locator("#builder-submit").is_enabled()


LIVE_FAULTS = {
    "throttled": [error_reply(429, "ThrottlingException", "rate exceeded")],
    "timeout": [Reply(delay=8.0, body={"message": "too late"})],  # > LLM_TIMEOUT_SECONDS
    "auth": [error_reply(403, "AccessDeniedException", "not authorized")],
    "invalid_output": [tool_reply("emit_intent_draft", {"widget_type": "sunburst"})] * 2,
}


def test_live_mode_faults_show_distinct_banners_then_a_retry_succeeds(live_server, page) -> None:
    """Throttling, timeout, access denied and invalid tool output each reach the operator as a
    distinct, readable banner; the same conversation can then be retried and succeeds."""
    fake = live_server.fake
    _open_builder(page, live_server)
    banner = page.locator("#builder-panel .builder-error")
    texts: dict[str, str] = {}
    for kind, replies in LIVE_FAULTS.items():
        fake.replies.clear()
        fake.script(*replies)
        _ask(page, "claims filed by region")
        page.wait_for_selector(
            f'#builder-panel .builder-error[data-kind="{kind}"]', timeout=TIMEOUT
        )
        texts[kind] = banner.last.inner_text()
        assert "live" in texts[kind], texts[kind]
        assert page.locator("#add-to-dashboard").is_disabled()
        page.wait_for_selector("#builder-submit:enabled", timeout=TIMEOUT)
    assert len(set(texts.values())) == len(LIVE_FAULTS), texts  # each one says what happened

    fake.replies.clear()
    fake.script(
        tool_reply("emit_intent_draft", {"widget_type": "chart", "chart_kind": "bar",
                                         "metric_id": "claims_filed", "dimensions": ["region"]}),
        tool_reply("emit_widget_spec", {"spec": {
            "type": "chart", "title": "Claims filed by region", "chart_kind": "bar",
            "data_intent": {"metric": "claims_filed", "dimensions": ["region"]}}}),
        tool_reply("emit_critique", {"ok": True}),
    )  # fmt: skip
    _ask(page, "claims filed by region")
    page.wait_for_selector("#add-to-dashboard:enabled", timeout=TIMEOUT)
    assert "Claims filed by region" in page.locator("#builder-panel").inner_text()
