"""GET /metrics: the operators' counters move when the instrumented code paths run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from command_center import resolver
from command_center.instruments import record_fanout_lag
from command_center.ops.live import stop_realtime
from command_center.settings import get_settings
from tests.api_helpers import prepared_client

EVENT = {"event_id": "m1", "type": "claim_filed", "claim_id": "CLM-M1",
         "customer_id": "CUST-000001", "device_id": "DEV-000001",
         "loss_type": "theft", "channel": "app"}  # fmt: skip
SPEC = {
    "type": "chart",
    "chart_kind": "bar",
    "title": "Claims by product",
    "data_intent": {"metric": "claims_by_product_l3_asurion", "dimensions": ["product_name"]},
}


def sample(text: str, name: str, **labels: str) -> float:
    """The value of sample `name` with (at least) `labels` in an exposition text; 0 if absent."""
    for family in text_string_to_metric_families(text):
        for item in family.samples:
            if item.name == name and all(item.labels.get(k) == v for k, v in labels.items()):
                return item.value
    return 0.0


@pytest.fixture
def client(settings_env: Any) -> Iterator[TestClient]:
    for test_client in prepared_client():
        yield test_client
        test_client.portal.call(stop_realtime)


def scrape(client: TestClient) -> str:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


def test_ingest_fanout_clients_cache_and_warehouse_are_counted(client: TestClient) -> None:
    before = scrape(client)
    with client.websocket_connect("/v1/dashboard/stream") as socket:
        assert socket.receive_json()["kind"] == "snapshot"
        during = scrape(client)
        assert sample(during, "cc_connected_clients") == sample(before, "cc_connected_clients") + 1
        response = client.post("/v1/events", json=[EVENT, EVENT, {}])
        assert response.status_code == 202, response.text
        assert response.json()["accepted"] == 1, response.text
        while socket.receive_json()["kind"] != "update":
            pass  # the update has passed through the fan-out
    for _ in range(2):  # a miss, then a hit (the path POST /v1/widgets/{id}/data takes)
        assert client.portal.call(resolver.resolve_widget_data, "w-metrics", SPEC).rows
    after = scrape(client)

    def delta(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta("cc_ingest_events_total", outcome="accepted") == 1
    assert delta("cc_ingest_events_total", outcome="duplicate") == 1
    assert delta("cc_ingest_events_total", outcome="rejected") == 1
    assert delta("cc_ingest_batch_seconds_count") == 1
    assert delta("cc_fanout_lag_seconds_count") >= 1
    assert sample(after, "cc_connected_clients") == sample(before, "cc_connected_clients")
    assert delta("cc_widget_cache_requests_total", result="miss") >= 1
    assert delta("cc_widget_cache_requests_total", result="hit") >= 1
    assert delta("cc_warehouse_query_seconds_count", backend="local") == 1


def test_fanout_lag_needs_a_publish_time() -> None:
    from command_center.instruments import FANOUT_LAG

    before = FANOUT_LAG._sum.get()
    record_fanout_lag({"version": 1})
    assert FANOUT_LAG._sum.get() == before


def test_metrics_can_be_disabled_or_put_behind_the_token(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_ENABLED", "false")
    get_settings.cache_clear()
    off = client.get("/metrics")
    assert off.status_code == 404
    assert off.headers["content-type"].startswith("application/problem+json")
    monkeypatch.setenv("METRICS_ENABLED", "true")
    monkeypatch.setenv("AUTH_MODE", "local")
    monkeypatch.setenv("API_TOKEN", "s3cret-token-for-metrics")
    get_settings.cache_clear()
    assert client.get("/metrics").status_code == 401
    allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token-for-metrics"})
    assert allowed.status_code == 200 and "cc_ingest_batch_seconds" in allowed.text
    monkeypatch.setenv("METRICS_REQUIRE_TOKEN", "false")
    get_settings.cache_clear()
    assert client.get("/metrics").status_code == 200


def test_several_workers_are_summed_in_multiprocess_mode(tmp_path) -> None:
    """PROMETHEUS_MULTIPROC_DIR: /metrics sums what every worker process counted."""
    import os
    import subprocess
    import sys

    count = "from command_center.instruments import record_ingest; record_ingest(0.01, 2, 0, 0)"
    render = "from command_center.instruments import render; print(render()[0].decode())"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):  # two "workers", each exits after counting
        subprocess.run([sys.executable, "-c", count], env=env, check=True)
    text = subprocess.run(
        [sys.executable, "-c", render], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert sample(text, "cc_ingest_events_total", outcome="accepted") == 4
    assert sample(text, "cc_ingest_batch_seconds_count") == 2
