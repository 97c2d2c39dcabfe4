"""POST /v1/events' fast path (`api/events_fast.py`): it serves plain JSON requests without
FastAPI's route, and every request — served by it or handed to the app — is answered
exactly as the FastAPI route alone answers it (status, media type, body, headers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from command_center.api import events as events_api
from command_center.api.app import build_api
from command_center.api.events_fast import EventsFastPath
from command_center.ops.fixtures import create_reference_data, customer_id, device_id
from command_center.ops.live import stop_realtime
from command_center.settings import get_settings

BOOTSTRAP = "bootstrap-admin-token-fast"
JSON = {"content-type": "application/json"}
HEADERS_COMPARED = ("content-type", "www-authenticate", "retry-after", "content-security-policy")


def event(n: int, claim: str, **changes: Any) -> dict[str, Any]:
    return {"event_id": f"PFX-{n}", "type": "claim_filed", "claim_id": f"CLM-PFX-{claim}",
            "customer_id": customer_id(1), "device_id": device_id(1, 1),
            "loss_type": "theft", "channel": "app", **changes}  # fmt: skip


def without_fast_path() -> FastAPI:
    """The API as it was: every request through FastAPI's routing."""
    api = build_api()
    api.user_middleware = [m for m in api.user_middleware if m.cls is not EventsFastPath]
    return api


@pytest.fixture
def reference_data(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_BATCH_LIMIT", "3")
    get_settings.cache_clear()
    from command_center.db.session import get_engine

    create_reference_data(get_engine(), customers=1, devices_per_customer=1)


def answers(api: FastAPI, requests: list[dict[str, Any]], prefix: str) -> list[tuple]:
    """Each request's status, compared headers and body text (`PFX` → `prefix` in bodies
    sent, back to `PFX` in answers: two runs store different ids in one database)."""
    seen = []
    with TestClient(api) as client:
        for request in requests:
            content = request.get("content", b"").replace(b"PFX", prefix.encode())
            response = client.post("/v1/events", content=content, headers=request["headers"])
            headers = tuple(response.headers.get(name) for name in HEADERS_COMPARED)
            seen.append((response.status_code, headers, response.text.replace(prefix, "PFX")))
        client.portal.call(stop_realtime)
    return seen


def body(value: Any) -> bytes:
    import json

    return json.dumps(value).encode()


REQUESTS: list[dict[str, Any]] = [
    {"content": body(event(1, "A")), "headers": JSON},  # accepted
    {"content": body(event(1, "A")), "headers": JSON},  # duplicate
    {"content": body(event(1, "B")), "headers": JSON},  # same id, other content: 409
    {"content": body(event(2, "C", channel="fax")), "headers": JSON},  # invalid field: 422
    {"content": body([event(3, "D"), event(4, "E", customer_id="CUST-9"), 7]), "headers": JSON},
    {"content": body([event(n, f"F{n}") for n in range(5, 9)]), "headers": JSON},  # 413
    {"content": b"[]", "headers": {"content-type": "application/json; charset=utf-8"}},
    {"content": b"{oops", "headers": JSON},  # not JSON: the app's 422
    {"content": b"null", "headers": JSON},
    {"content": b"42", "headers": JSON},
    {"content": b"", "headers": JSON},  # no body: field required
    {"content": body(event(9, "G")), "headers": {"content-type": "text/plain"}},
    {"content": body(event(10, "H")), "headers": {"content-type": "application/vnd.x+json"}},
    {"content": body(event(11, "K")).replace(b'"theft"', b'"\\ud800"'), "headers": JSON},
    {"content": body(event(12, "I", loss_type=10**30)), "headers": JSON},  # a huge integer
    {"content": b"\xef\xbb\xbf" + body(event(13, "J")), "headers": JSON},  # a BOM
    {"content": b"[" * 100_000, "headers": JSON},  # nested too deep to decode: 400
    {"content": b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "headers": JSON},
]


def test_fast_path_answers_as_the_fastapi_route(reference_data: None) -> None:
    assert answers(build_api(), REQUESTS, "fast") == answers(without_fast_path(), REQUESTS, "slow")
    statuses = [status for status, _headers, _text in answers(build_api(), REQUESTS[:6], "again")]
    assert statuses == [202, 202, 409, 422, 202, 413]


@pytest.fixture
def signed_in(reference_data: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AUTH_MODE", "local")
    monkeypatch.setenv("API_TOKEN", BOOTSTRAP)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_fast_path_checks_the_token_as_the_fastapi_route(signed_in: None) -> None:
    from command_center.auth.tokens import create_token, revoke_token

    admin = {**JSON, "authorization": "Bearer " + BOOTSTRAP}
    viewer = {**JSON, "authorization": "Bearer " + create_token("v", "viewer").secret}
    revoked = create_token("r", "editor")
    revoke_token(revoked.id)
    requests = [
        {"content": body(event(1, "A")), "headers": JSON},  # no token: 401
        {"content": body(event(1, "A")), "headers": {**JSON, "authorization": "Bearer nope"}},
        {"content": body(event(1, "A")), "headers": {**JSON, "authorization": "Basic eDp5"}},
        {"content": body(event(1, "A")), "headers": viewer},  # reads only: 403
        {"content": body(event(1, "A")),
         "headers": {**JSON, "authorization": "Bearer " + revoked.secret}},
        {"content": body([event(1, "A")]), "headers": viewer},  # a batch: 403 too
        {"content": body(event(1, "A")), "headers": admin},
    ]  # fmt: skip
    fast = answers(build_api(), requests, "fast")
    assert fast == answers(without_fast_path(), requests, "slow")
    assert [status for status, _h, _t in fast] == [401, 401, 401, 403, 401, 403, 202]


def test_plain_json_skips_the_fastapi_route_and_the_rest_reaches_it(
    reference_data: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`post_events` (the FastAPI route) is not called for a JSON object or list; a body
    the fast path does not take still is (here: a text/plain one, answered 422)."""
    routed: list[Any] = []
    answer = events_api.answer_events

    async def spy(value: Any) -> Any:
        routed.append(value)
        return await answer(value)

    monkeypatch.setattr(events_api, "answer_events", spy)
    requests = [
        {"content": body(event(1, "A")), "headers": JSON},
        {"content": body([event(2, "B")]), "headers": JSON},
    ]
    assert [s for s, _h, _t in answers(build_api(), requests, "fast")] == [202, 202]
    assert routed == []
    text = [{"content": body(event(3, "C")), "headers": {"content-type": "text/plain"}}]
    assert [s for s, _h, _t in answers(build_api(), text, "text")] == [422]
    assert len(routed) == 1


def test_the_operation_is_still_documented(reference_data: None) -> None:
    with TestClient(build_api()) as client:
        operation = client.get("/openapi.json").json()["paths"]["/v1/events"]["post"]
    assert {"202", "401", "409", "413", "422"} <= set(operation["responses"])
    assert "requestBody" in operation
