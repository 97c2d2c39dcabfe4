"""Honest liveness (issue 12): cut the browser's socket without closing it — the badge turns
"reconnecting" with the time of the last update and the tiles dim; restore it — the page
resyncs to the current snapshot (including what happened during the cut) and is live again."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

pytestmark = pytest.mark.e2e


class SocketCutter:
    """Relays Reflex's websocket through Playwright and can silently drop everything."""

    def __init__(self) -> None:
        self.cut = False

    def route(self, ws) -> None:  # type: ignore[no-untyped-def]
        server = ws.connect_to_server()
        ws.on_message(lambda message: None if self.cut else server.send(message))
        server.on_message(lambda message: None if self.cut else ws.send(message))


def _tile(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator("#kpi-open_claims .kpi-value").inner_text().replace(",", ""))


def test_cut_socket_shows_reconnecting_then_resyncs(prod_server, page) -> None:
    cutter = SocketCutter()
    page.route_web_socket(re.compile(r".*/_event.*"), cutter.route)
    page.goto(prod_server.url + "/")
    page.wait_for_selector("#connection-status[data-status='live']", timeout=60_000)
    page.wait_for_function("document.documentElement.dataset.ccStale === 'false'", timeout=10_000)
    badge = page.locator("#connection-status")
    assert "reconnecting" not in badge.inner_text()
    before = _tile(page)

    cutter.cut = True
    page.wait_for_function("document.documentElement.dataset.ccStale === 'true'", timeout=10_000)
    assert "reconnecting" in badge.inner_text()
    assert re.search(r"last update \d{1,2}:\d{2}:\d{2}", badge.inner_text()), badge.inner_text()
    page.wait_for_function(  # the tiles dim (a short CSS transition)
        "parseFloat(getComputedStyle(document.querySelector('#kpi-open_claims')).opacity) < 0.6",
        timeout=10_000,
    )

    # Something happens while the tab is cut off: its delta never reaches the tab.
    claim = f"CLM-LV{uuid.uuid4().hex[:6].upper()}"
    event = {
        "event_id": f"e2e-{uuid.uuid4().hex}",
        "type": "claim_filed",
        "claim_id": claim,
        "customer_id": "CUST-000001",
        "device_id": "DEV-000001",
        "loss_type": "cracked_screen",
        "channel": "app",
    }
    response = httpx.post(prod_server.url + "/v1/events", json=event, timeout=10)
    assert response.status_code == 202 and response.json()["accepted"] == 1
    want = httpx.get(prod_server.url + "/v1/kpis", timeout=10).json()["kpis"]["open_claims"]
    assert _tile(page) == before  # nothing arrived during the cut

    cutter.cut = False
    page.wait_for_function("document.documentElement.dataset.ccStale === 'false'", timeout=15_000)
    page.wait_for_function(
        "(want) => document.querySelector('#kpi-open_claims .kpi-value')"
        "?.innerText.replace(/,/g, '') === String(want)",
        arg=want,
        timeout=10_000,
    )
    assert "reconnecting" not in badge.inner_text()
    assert badge.get_attribute("data-status") == "live"
