"""HTTP contract of POST /v1/events, GET /v1/kpis and the dashboard WebSocket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from command_center.api.app import build_api
from command_center.ops.fixtures import create_reference_data, customer_id, device_id
from command_center.ops.live import stop_realtime
from command_center.settings import get_settings


def claim_filed(event_id: str, claim: str) -> dict[str, Any]:
    return {"event_id": event_id, "type": "claim_filed", "claim_id": claim,
            "customer_id": customer_id(1), "device_id": device_id(1, 1),
            "loss_type": "theft", "channel": "app"}  # fmt: skip


@pytest.fixture
def client(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("EVENT_BATCH_LIMIT", "5")
    get_settings.cache_clear()
    from command_center.db.session import get_engine

    create_reference_data(get_engine(), customers=2, devices_per_customer=1)
    with TestClient(build_api()) as test_client:
        yield test_client
        test_client.portal.call(stop_realtime)


def test_single_event_is_accepted_with_202(client: TestClient) -> None:
    response = client.post("/v1/events", json=claim_filed("a1", "CLM-1"))
    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "duplicates": 0, "rejected": []}
    again = client.post("/v1/events", json=claim_filed("a1", "CLM-1"))
    assert again.json() == {"accepted": 0, "duplicates": 1, "rejected": []}


def test_batch_reports_rejections_by_index(client: TestClient) -> None:
    batch = [claim_filed("b1", "CLM-1"), {**claim_filed("b2", "CLM-2"), "customer_id": "CUST-9"},
             {"event_id": "b3", "type": "claim_approved", "claim_id": "CLM-1"}]  # fmt: skip
    body = client.post("/v1/events", json=batch).json()
    assert body["accepted"] == 2
    assert [r["index"] for r in body["rejected"]] == [1]
    assert body["rejected"][0]["problem"]["field"] == "customer_id"


def test_kpis_reflect_ingested_events_with_a_growing_version(client: TestClient) -> None:
    before = client.get("/v1/kpis").json()
    client.post("/v1/events", json=[claim_filed("k1", "CLM-1"), claim_filed("k2", "CLM-2")])
    after = client.get("/v1/kpis").json()
    assert after["version"] > before["version"]
    assert after["kpis"]["open_claims"] == before["kpis"]["open_claims"] + 2
    names = {d["name"] for d in client.get("/v1/kpis/definitions").json()}
    assert set(after["kpis"]) == names and len(names) >= 7


def test_malformed_single_event_is_422_problem_naming_the_field(client: TestClient) -> None:
    response = client.post("/v1/events", json={**claim_filed("m1", "CLM-1"), "channel": "fax"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["field"] == "channel" and problem["status"] == 422 and problem["title"]
    not_json = client.post(
        "/v1/events", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert not_json.headers["content-type"].startswith("application/problem+json")


def test_over_limit_batch_is_413_problem(client: TestClient) -> None:
    response = client.post("/v1/events", json=[claim_filed(f"o{i}", f"CLM-{i}") for i in range(6)])
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 413


def test_token_is_required_when_configured(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_TOKEN", "s3cret")
    get_settings.cache_clear()
    missing = client.post("/v1/events", json=claim_filed("t1", "CLM-1"))
    assert missing.status_code == 401
    assert missing.headers["content-type"].startswith("application/problem+json")
    wrong = client.post("/v1/events", json=claim_filed("t1", "CLM-1"),
                        headers={"Authorization": "Bearer nope"})  # fmt: skip
    assert wrong.status_code == 401
    ok = client.post("/v1/events", json=claim_filed("t1", "CLM-1"),
                     headers={"Authorization": "Bearer s3cret"})  # fmt: skip
    assert ok.status_code == 202 and ok.json()["accepted"] == 1


def test_websocket_sends_snapshot_then_updates(client: TestClient) -> None:
    with client.websocket_connect("/v1/dashboard/stream") as ws:
        first = ws.receive_json()
        assert first["kind"] == "snapshot" and "version" in first and "kpis" in first
        client.post("/v1/events", json=claim_filed("w1", "CLM-1"))
        while True:
            item = ws.receive_json()
            if item["kind"] == "update":
                break
        assert item["version"] > first["version"]
        assert item["kpis"]["open_claims"] == first["kpis"]["open_claims"] + 1
        assert item["event"]["event_id"] == "w1"
