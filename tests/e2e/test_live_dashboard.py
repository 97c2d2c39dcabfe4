"""Events posted over HTTP move the KPI tiles and the feed in a real browser."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def _tile_value(page, kpi_id: str) -> int:
    return int(page.locator(f"#kpi-{kpi_id} .kpi-value").inner_text().replace(",", ""))


def _claim_filed(claim_id: str) -> dict:
    return {
        "event_id": f"e2e-{uuid.uuid4().hex}",
        "type": "claim_filed",
        "claim_id": claim_id,
        "customer_id": "CUST-000001",
        "device_id": "DEV-000001",
        "loss_type": "cracked_screen",
        "channel": "app",
    }


def test_posted_events_move_tiles_and_feed(prod_server, page) -> None:
    page.goto(prod_server.url + "/")
    page.wait_for_selector("#connection-status[data-status='live']", timeout=60_000)
    before = _tile_value(page, "open_claims")
    filed_before = _tile_value(page, "claims_filed_today")

    claim_id = f"CLM-E2E{uuid.uuid4().hex[:6].upper()}"
    response = httpx.post(prod_server.url + "/v1/events", json=_claim_filed(claim_id), timeout=10)
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1

    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel)?.innerText.replace(/,/g, '') === want",
        arg=["#kpi-open_claims .kpi-value", str(before + 1)],
        timeout=10_000,
    )
    assert _tile_value(page, "claims_filed_today") == filed_before + 1
    page.wait_for_selector(f"#event-feed >> text={claim_id}", timeout=10_000)
    assert "kpi-flash" in (page.locator("#kpi-open_claims").get_attribute("class") or "")

    # a repeated event_id is acknowledged, not applied twice
    event = _claim_filed(f"CLM-E2E{uuid.uuid4().hex[:6].upper()}")
    first = httpx.post(prod_server.url + "/v1/events", json=[event], timeout=10).json()
    again = httpx.post(prod_server.url + "/v1/events", json=[event], timeout=10).json()
    assert (first["accepted"], again["accepted"], again["duplicates"]) == (1, 0, 1)
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel)?.innerText.replace(/,/g, '') === want",
        arg=["#kpi-open_claims .kpi-value", str(before + 2)],
        timeout=10_000,
    )
    page.wait_for_timeout(500)
    assert _tile_value(page, "open_claims") == before + 2


def test_simulator_switch_streams_events(prod_server, page) -> None:
    page.goto(prod_server.url + "/")
    page.wait_for_selector("#connection-status[data-status='live']", timeout=60_000)
    first_before = page.locator("#event-feed .feed-row").first.inner_text()
    page.click("#simulator-switch")
    try:
        page.wait_for_function(
            "(before) => document.querySelector('#event-feed .feed-row')?.innerText !== before",
            arg=first_before,
            timeout=15_000,
        )
    finally:
        page.click("#simulator-switch")
    # the switch is controlled by the server's state: it turns off once the stop is applied
    expect(page.locator("#simulator-switch")).to_have_attribute(
        "data-state", "unchecked", timeout=15_000
    )
