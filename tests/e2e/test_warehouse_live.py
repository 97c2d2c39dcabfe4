"""A warehouse widget moves after events are posted: OLTP → sync → snapshot → cache → browser."""

from __future__ import annotations

import uuid

import httpx
import pytest

pytestmark = pytest.mark.e2e


def _value(page, card: str) -> int:
    return int(page.locator(f"{card} .widget-value").inner_text().replace(",", ""))


def test_warehouse_widget_number_changes_after_events(prod_server, page) -> None:
    spec = {
        "type": "kpi",
        "title": "Warehouse claims · 1 d",
        "accent": "violet",
        "data_intent": {
            "metric": "claim_volume_l3_asurion",
            "window_days": 1,
            "refresh_seconds": 2,
        },
    }
    created = httpx.post(prod_server.url + "/v1/widgets", json={"spec": spec}, timeout=10)
    assert created.status_code == 201, created.text
    card = f"#widget-{created.json()['id']}"
    page.goto(prod_server.url + "/")
    page.wait_for_selector(f"{card}[data-status='ok']", timeout=60_000)
    before = _value(page, card)
    assert "as of" in page.locator(card).inner_text()

    events = [
        {
            "event_id": f"e2e-{uuid.uuid4().hex}",
            "type": "claim_filed",
            "claim_id": f"CLM-WH{uuid.uuid4().hex[:8].upper()}",
            "customer_id": "CUST-000001",
            "device_id": "DEV-000001",
            "loss_type": "theft",
            "channel": "web",
        }
        for _ in range(3)
    ]
    response = httpx.post(prod_server.url + "/v1/events", json=events, timeout=10)
    assert response.status_code == 202 and response.json()["accepted"] == 3, response.text

    # sync interval (2 s) + widget refresh (2 s), with room for a slow shared machine
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel)?.innerText.replace(/,/g, '') === want",
        arg=[f"{card} .widget-value", str(before + 3)],
        timeout=30_000,
    )
    data = httpx.post(prod_server.url + f"/v1/widgets/{created.json()['id']}/data", timeout=30)
    assert data.status_code == 200, data.text
    assert data.json()["as_of"]  # the API serves the same rows with their data time
