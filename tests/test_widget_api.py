"""SSE contract and persistence routes of command_center/api/widgets.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from command_center.api.widgets import router
from command_center.settings import get_settings
from tests.api_helpers import v1_app
from tests.widget_helpers import memory_runner

PAYLOAD_KEYS = {
    "stage": {"stage", "thread_id"},
    "gaps": {"gaps"},
    "questions": {"thread_id", "questions", "checkpoint_id"},
    "error": {"kind", "message", "thread_id", "builder_mode"},
}


@pytest.fixture
def client(catalog_db: Any) -> Iterator[TestClient]:
    with TestClient(v1_app(router, clarifier=memory_runner())) as test_client:
        yield test_client


def parse_sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def _check_shapes(events: list[tuple[str, dict[str, Any]]]) -> None:
    for name, data in events:
        assert name in {"stage", "gaps", "questions", "result", "error"}
        if name in PAYLOAD_KEYS:
            assert set(data) == PAYLOAD_KEYS[name], name
        if name == "result":
            assert {"thread_id", "interrupted", "spec"} <= set(data)
        if name == "questions":
            for question in data["questions"]:
                assert set(question) == {"id", "field", "text", "options"}


def test_clarify_streams_sse_to_a_result(client: TestClient) -> None:
    response = client.post(
        "/v1/widgets/clarify", json={"raw_input": "pie of open claims by channel"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.startswith("event: stage\ndata: {")
    events = parse_sse(response.text)
    _check_shapes(events)
    assert [n for n, _ in events][-1] == "result"
    result = events[-1][1]
    assert result["interrupted"] is False and result["spec"]["chart_kind"] == "pie"

    saved = client.post("/v1/widgets", json={"spec": result["spec"]})
    assert saved.status_code == 201
    assert saved.json()["spec_hash"] == result["spec_hash"]
    listed = client.get("/v1/widgets").json()["widgets"]
    assert [w["id"] for w in listed] == [saved.json()["id"]]


def test_clarify_questions_then_respond(client: TestClient) -> None:
    events = parse_sse(client.post("/v1/widgets/clarify", json={"raw_input": "claims"}).text)
    _check_shapes(events)
    questions = next(data for name, data in events if name == "questions")
    assert events[-1] == ("result", {"thread_id": questions["thread_id"], "interrupted": True,
                                     "spec": None})  # fmt: skip
    body = {
        "thread_id": questions["thread_id"],
        "answers": [{"question_id": questions["questions"][0]["id"], "answer": "Open claims"}],
        "checkpoint_id": questions["checkpoint_id"],
    }
    answered = client.post("/v1/widgets/clarify/respond", json=body)
    assert answered.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(answered.text)
    _check_shapes(events)
    assert events[-1][0] == "result" and events[-1][1]["spec"]["data_intent"]["metric"] == (
        "open_claims"
    )
    # the same resume again: the thread moved on → 409 problem before any stream
    again = client.post("/v1/widgets/clarify/respond", json=body)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    problem = again.json()
    assert problem["status"] == 409 and problem["instance"] == "/v1/widgets/clarify/respond"
    assert {"type", "title", "status", "detail", "instance"} <= set(problem)


def test_respond_problems(client: TestClient) -> None:
    missing = client.post("/v1/widgets/clarify/respond", json={
        "thread_id": "nope", "answers": [{"question_id": "q1-metric", "answer": "x"}]})  # fmt: skip
    assert missing.status_code == 404 and missing.json()["type"].endswith("not_found")
    invalid = client.post("/v1/widgets/clarify/respond", json={"thread_id": "x", "answers": []})
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == "application/problem+json"
    unknown_metric = {"type": "kpi", "title": "x", "data_intent": {"metric": "nope"}}
    bad_spec = client.post("/v1/widgets", json={"spec": unknown_metric})
    assert bad_spec.status_code == 422 and "not in the catalog" in bad_spec.json()["detail"]


def test_write_endpoints_need_the_token(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("API_TOKEN", "s3cret")
    get_settings.cache_clear()
    for path, body in [
        ("/v1/widgets/clarify", {"raw_input": "approval rate"}),
        ("/v1/widgets/clarify/respond", {"thread_id": "t", "answers": [
            {"question_id": "q", "answer": "a"}]}),
        ("/v1/widgets", {"spec": {"type": "kpi", "title": "x",
                                  "data_intent": {"metric": "approval_rate"}}}),
    ]:  # fmt: skip
        denied = client.post(path, json=body)
        assert denied.status_code == 401, path
        assert denied.headers["content-type"] == "application/problem+json"
    assert client.get("/v1/widgets").status_code == 401  # the dashboard's configuration
    assert client.get("/v1/widgets", headers={"Authorization": "Bearer s3cret"}).is_success
    ok = client.post("/v1/widgets/clarify", json={"raw_input": "approval rate"},
                     headers={"Authorization": "Bearer s3cret"})  # fmt: skip
    assert ok.status_code == 200 and parse_sse(ok.text)[-1][0] == "result"


def test_delete_widget_removes_it_and_unknown_is_404(client: TestClient) -> None:
    spec = {"type": "kpi", "title": "Open claims now", "data_intent": {"metric": "open_claims"}}
    created = client.post("/v1/widgets", json={"spec": spec})
    assert created.status_code == 201, created.text
    widget_id = created.json()["id"]
    assert client.delete(f"/v1/widgets/{widget_id}").status_code == 204
    ids = [w["id"] for w in client.get("/v1/widgets").json()["widgets"]]
    assert widget_id not in ids
    missing = client.delete(f"/v1/widgets/{widget_id}")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


def test_delete_widget_requires_the_token_when_set(client: TestClient, monkeypatch) -> None:
    from command_center.settings import get_settings

    monkeypatch.setenv("API_TOKEN", "s3cret")
    get_settings.cache_clear()
    assert client.delete("/v1/widgets/anything").status_code == 401
    ok = client.delete("/v1/widgets/anything", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 404
