"""A warehouse that does not answer (Databricks configured on a refused port) shows on the
widgets that read it, and only there: operational widgets load, and the KPI tiles keep
moving with new events (issue 12)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import launch_server
from tests.e2e.prod_server import ProdServer, free_port, stop_prod_server

pytestmark = pytest.mark.e2e
TIMEOUT = 60_000
WAREHOUSE_WIDGETS = ("seed-claims-by-product", "seed-claim-status-mix")
OPERATIONAL_WIDGETS = ("seed-approval-rate", "seed-open-claims-by-loss")


@pytest.fixture(scope="module")
def warehouse_down_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProdServer]:
    env = {
        "DATABRICKS_HOST": f"127.0.0.1:{free_port()}",  # nothing listens there
        "DATABRICKS_HTTP_PATH": "/sql/1.0/warehouses/unreachable",
        "DATABRICKS_TOKEN": "dapi-test-token",
        "DATABRICKS_TIMEOUT_SECONDS": "3",
    }
    server = launch_server(tmp_path_factory.mktemp("warehouse-down"), extra_env=env)
    yield server
    stop_prod_server(server)


def test_warehouse_failure_stays_on_its_widgets(warehouse_down_server, page) -> None:
    server = warehouse_down_server
    page.goto(server.url + "/")
    page.wait_for_selector("#connection-status[data-status='live']", timeout=TIMEOUT)
    for widget in WAREHOUSE_WIDGETS:
        page.wait_for_selector(f"#widget-{widget}[data-status='error']", timeout=TIMEOUT)
        text = page.locator(f"#widget-{widget}").inner_text().lower()
        assert "warehouse" in text or "databricks" in text, text
    for widget in OPERATIONAL_WIDGETS:
        page.wait_for_selector(f"#widget-{widget}[data-status='ok']", timeout=TIMEOUT)

    before = int(page.locator("#kpi-open_claims .kpi-value").inner_text().replace(",", ""))
    event = {
        "event_id": f"e2e-{uuid.uuid4().hex}",
        "type": "claim_filed",
        "claim_id": f"CLM-WF{uuid.uuid4().hex[:6].upper()}",
        "customer_id": "CUST-000001",
        "device_id": "DEV-000001",
        "loss_type": "theft",
        "channel": "app",
    }
    assert httpx.post(server.url + "/v1/events", json=event, timeout=10).status_code == 202
    page.wait_for_function(
        "(want) => document.querySelector('#kpi-open_claims .kpi-value')"
        "?.innerText.replace(/,/g, '') === String(want)",
        arg=before + 1,
        timeout=TIMEOUT,
    )
    for widget in WAREHOUSE_WIDGETS:  # still failing, still contained
        assert page.locator(f"#widget-{widget}").get_attribute("data-status") == "error"
    assert httpx.get(server.url + "/v1/databricks/health", timeout=30).status_code == 503
