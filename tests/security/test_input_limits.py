"""Input limits: request bodies are cut off while they stream in (413 before any parse, per
route class), bodies must arrive in time (408), widget specs are bounded field by field, and
WebSocket messages over the limit close with 1009 — in-process and against the production
server (Granian, `reflex run --env prod`)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.websockets import WebSocketDisconnect

from command_center import limits
from command_center.api.input_limits import InputLimitsMiddleware
from command_center.ops.live import stop_realtime
from command_center.settings import get_settings
from command_center.sql.intent import DataIntent
from command_center.widgets.spec import parse_spec

CHUNK = 64 * 1024
FIFTY_MB = 50 * 1024 * 1024


# ---------------------------------------------------------------- driving the ASGI app


class Upload:
    """A request body streamed in `CHUNK`-sized pieces; counts what the app pulled."""

    def __init__(self, total: int, data: bytes | None = None) -> None:
        self.total, self.data, self.pulled = total, data, 0

    async def receive(self) -> dict[str, Any]:
        if self.data is not None:
            piece = self.data[self.pulled : self.pulled + CHUNK]
        else:
            piece = b"x" * min(CHUNK, self.total - self.pulled)
        self.pulled += len(piece)
        return {"type": "http.request", "body": piece, "more_body": self.pulled < self.total}


def call(
    app: Any, path: str, upload: Upload, declare: bool = False
) -> tuple[int, dict[str, str], bytes]:
    """POST `upload` to `app` as raw ASGI; (status, headers, body) of the response."""
    headers = [(b"content-type", b"application/json")]
    if declare:
        headers.append((b"content-length", str(upload.total).encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, upload.receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


@pytest.fixture
def api(settings: Any) -> Any:
    from command_center.api.app import build_api
    from command_center.db.session import get_engine
    from command_center.ops.fixtures import create_reference_data

    create_reference_data(get_engine(), customers=2, devices_per_customer=1)
    return build_api()


def huge_spec_json(megabytes: int) -> bytes:
    """A widget spec whose mock_data is `megabytes` MB (the issue's 22 MB spec)."""
    cell = "x" * 100_000
    rows = [{"region": cell, "value": 1} for _ in range(megabytes * 10)]
    spec = {"type": "table", "title": "big", "data_intent": {"metric": "claims_filed"},
            "mock_data": rows}  # fmt: skip
    return json.dumps({"spec": spec}).encode()


def stored_event_count() -> int:
    from sqlalchemy import func, select

    from command_center.db.models import Event
    from command_center.db.session import get_engine

    with get_engine().connect() as conn:
        return conn.scalar(select(func.count()).select_from(Event))


def assert_problem_413(status: int, headers: dict[str, str], body: bytes, limit: int) -> None:
    assert status == 413
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert (problem["status"], problem["limit"]) == (413, limit)


# ---------------------------------------------------------------- bodies, in process


@pytest.mark.parametrize(
    ("path", "setting"),
    [("/v1/events", "max_events_body_bytes"), ("/v1/widgets", "max_widget_body_bytes")],
)
def test_50_mb_body_is_413_after_reading_at_most_limit_plus_one_chunk(
    api: Any, path: str, setting: str
) -> None:
    limit = getattr(get_settings(), setting)
    upload = Upload(FIFTY_MB)
    status, headers, body = call(api, path, upload)
    assert_problem_413(status, headers, body, limit)
    assert upload.pulled <= limit + CHUNK  # the other ~48 MB were never read, nothing parsed
    assert stored_event_count() == 0


@pytest.mark.parametrize("path", ["/v1/events", "/v1/widgets", "/v1/sql/validate", "/ping"])
def test_declared_oversize_content_length_is_413_before_any_byte(api: Any, path: str) -> None:
    upload = Upload(FIFTY_MB)
    status, headers, body = call(api, path, upload, declare=True)
    assert_problem_413(status, headers, body, limits.body_limit(path, get_settings()))
    assert upload.pulled == 0


def test_22_mb_widget_spec_is_rejected_and_never_stored(api: Any) -> None:
    data = huge_spec_json(22)
    upload = Upload(len(data), data)
    status, _headers, _body = call(api, "/v1/widgets", upload)
    assert status == 413 and upload.pulled <= get_settings().max_widget_body_bytes + CHUNK
    with TestClient(api) as client:
        titles = [w["spec"]["title"] for w in client.get("/v1/widgets").json()["widgets"]]
        client.portal.call(stop_realtime)
    assert "big" not in titles
    with pytest.raises(ValidationError):  # and in process (LLM output, Reflex state) too
        parse_spec(json.loads(data)["spec"])


def test_limits_differ_per_route_class(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("MAX_EVENTS_BODY_BYTES", "16384")
    get_settings.cache_clear()
    events = json.dumps([{"event_id": f"e{i}", "type": "claim_filed"} for i in range(100)])
    assert 2048 < len(events) < 16384
    json_type = {"content-type": "application/json"}
    with TestClient(api) as client:
        accepted = client.post("/v1/events", content=events, headers=json_type)
        assert accepted.status_code == 202 and len(accepted.json()["rejected"]) == 100
        sql = client.post("/v1/sql/validate", content=json.dumps({"sql": events}),
                          headers=json_type)  # fmt: skip
        assert sql.status_code == 413 and sql.json()["limit"] == 2048
        client.portal.call(stop_realtime)


def test_body_that_stalls_is_408(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BODY_READ_TIMEOUT_SECONDS", "0.2")
    get_settings.cache_clear()
    parsed: list[bytes] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        body = await Request(scope, receive).body()
        parsed.append(body)
        await JSONResponse({"ok": True})(scope, receive, send)

    class Stalled(Upload):
        async def receive(self) -> dict[str, Any]:
            if self.pulled:
                await asyncio.Event().wait()  # the client never sends the rest
            return await super().receive()

    status, headers, body = call(InputLimitsMiddleware(app), "/v1/events", Stalled(4 * CHUNK))
    assert status == 408 and headers["content-type"] == "application/problem+json"
    assert json.loads(body)["status"] == 408 and parsed == []


def test_websocket_message_over_the_limit_closes_with_1009(api: Any) -> None:
    with TestClient(api) as client:
        with client.websocket_connect("/v1/dashboard/stream") as ws:
            assert ws.receive_json()["kind"] == "snapshot"
            ws.send_text("x" * (get_settings().ws_max_message_bytes + 1))
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
        assert closed.value.code == 1009
        client.portal.call(stop_realtime)


# ---------------------------------------------------------------- WidgetSpec field limits


def _table(**fields: Any) -> dict[str, Any]:
    return {"type": "table", "title": "t", "data_intent": {"metric": "claims_filed"}, **fields}


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "x" * (limits.TITLE_MAX_CHARS + 1)},
        {"description": "x" * (limits.DESCRIPTION_MAX_CHARS + 1)},
        {"columns": [f"c{i}" for i in range(limits.COLUMNS_MAX + 1)]},
        {"columns": ["x" * (limits.COLUMN_NAME_MAX_CHARS + 1)]},
        {"mock_data": [{"value": 1}] * (limits.MOCK_ROWS_MAX + 1)},
        {"mock_data": [{f"k{i}": 1 for i in range(limits.MOCK_ROW_KEYS_MAX + 1)}]},
        {"mock_data": [{"x" * (limits.COLUMN_NAME_MAX_CHARS + 1): 1}]},
        {"mock_data": [{"region": "x" * (limits.MOCK_CELL_MAX_CHARS + 1)}]},
        {"mock_data": [{"region": {"nested": ["x"] * 1000}}]},
    ],
)
def test_spec_fields_are_bounded(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_spec(_table(**fields))


@pytest.mark.parametrize(
    "intent",
    [
        {"metric": "m" * 81},
        {"entity": "e" * 81},
        {"dimensions": ["region"] * 31},
        {"dimensions": ["d" * 81]},
        {"filters": {f"c{i}": "x" for i in range(31)}},
        {"filters": {"region": "x" * 201}},
        {"filters": {"region": ["x"] * 51}},
        {"exclude": {"region": ["x" * 201]}},
        {"exclude": {"region": ["x"] * 51}},
    ],
)
def test_data_intent_fields_are_bounded(intent: dict[str, Any]) -> None:
    """Also outside a spec: `/v1/sql/generate` takes a bare data intent."""
    with pytest.raises(ValidationError):
        DataIntent.model_validate({"metric": "claims_filed", **intent})
    at_limit = {"dimensions": ["region"] * 30, "filters": {"region": ["x" * 200] * 50}}
    assert DataIntent.model_validate({"metric": "m" * 80, **at_limit})


def test_layout_request_is_bounded_before_the_service_sees_it() -> None:
    from command_center.api.dashboards import LayoutRequest
    from command_center.dashboards.layout import BREAKPOINTS, MAX_ITEMS

    item = {"i": "w1", "x": 0, "y": 0, "w": 3, "h": 4}
    assert LayoutRequest.model_validate({"layouts": {"lg": [item] * MAX_ITEMS}})
    for layouts in (
        {"lg": [item] * (MAX_ITEMS + 1)},
        {f"b{i}": [] for i in range(len(BREAKPOINTS) + 1)},
        {"lg": [{**item, "i": "x" * 41}]},
        {"lg": [{**item, "w": 13}]},
    ):
        with pytest.raises(ValidationError):
            LayoutRequest.model_validate({"layouts": layouts})


def test_sql_and_clarifier_request_ids_are_bounded() -> None:
    from command_center.api.sql import GenerateRequest, ValidateRequest
    from command_center.api.widgets import RespondRequest

    answer = {"question_id": "q", "answer": "a"}
    for model, body in (
        (GenerateRequest, {"metric_id": "m" * 81}),
        (GenerateRequest, {"metric_id": "m", "data_intent": {f"k{i}": 1 for i in range(21)}}),
        (ValidateRequest, {"sql": "SELECT 1", "metric_id": "m" * 81}),
        (RespondRequest, {"thread_id": "t", "answers": [answer], "checkpoint_id": "c" * 81}),
    ):
        with pytest.raises(ValidationError):
            model.model_validate(body)


def test_spec_total_size_is_bounded_and_realistic_specs_fit() -> None:
    cell = "x" * limits.MOCK_CELL_MAX_CHARS
    row = {f"k{i}": cell for i in range(limits.MOCK_ROW_KEYS_MAX)}  # every field at its limit
    with pytest.raises(ValidationError) as caught:
        parse_spec(_table(mock_data=[row] * limits.MOCK_ROWS_MAX))
    assert caught.value.errors()[0]["type"] == "spec_too_large"
    rows = [{"region": f"Region {i}", "channel": "app", "value": i * 1.5} for i in range(200)]
    spec = parse_spec(_table(mock_data=rows, columns=["region", "channel", "value"]))
    assert len(spec.mock_data) == 200


def test_custom_tsx_source_limit_is_the_shared_constant() -> None:
    from command_center.widgets.spec import MAX_TSX_BYTES

    assert MAX_TSX_BYTES == limits.TSX_SOURCE_MAX_BYTES == 20 * 1024


# ---------------------------------------------------------------- server configuration


def test_server_limits_come_from_settings(
    settings_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import granian.server

    from command_center.server_limits import configure_server

    monkeypatch.setenv("HEADER_READ_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("WS_MAX_MESSAGE_BYTES", "4096")
    monkeypatch.setattr(granian.server, "Server", granian.server.Server)
    monkeypatch.delenv("REFLEX_SOCKET_MAX_HTTP_BUFFER_SIZE", raising=False)
    get_settings.cache_clear()
    configure_server(get_settings())
    server = granian.server.Server(target="command_center.x:app", factory=True)
    assert server.http1_settings.header_read_timeout == 2500
    assert os.environ["REFLEX_SOCKET_MAX_HTTP_BUFFER_SIZE"] == "4096"


# ---------------------------------------------------------------- the production server


@pytest.fixture(scope="module")
def prod_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """`reflex run --env prod --backend-only` (Granian) with short read timeouts."""
    from tests.e2e.prod_server import start_backend_only, stop_prod_server

    extra = {"HEADER_READ_TIMEOUT_SECONDS": "1", "BODY_READ_TIMEOUT_SECONDS": "1"}
    server = start_backend_only(tmp_path_factory.mktemp("prod-backend"), extra)
    try:
        host, port = server.url.removeprefix("http://").split(":")
        yield host, int(port)
    finally:
        stop_prod_server(server)


def _response_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(4096)
        if not piece:
            break
        data += piece
    return data


def test_prod_server_answers_413_before_the_client_finished_sending(
    prod_backend: tuple[str, int],
) -> None:
    limit = get_settings().max_events_body_bytes
    chunk = b"x" * CHUNK
    with socket.create_connection(prod_backend, timeout=30) as sock:  # declared size: no body
        sock.sendall(b"POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % FIFTY_MB)  # fmt: skip
        assert _response_head(sock).startswith(b"HTTP/1.1 413")
    for path in (b"/v1/events", b"/v1/widgets"):  # streamed: stop a little past the limit
        # the server may answer and close while the last chunks are still on their way; the
        # reset that follows can swallow the answer (None), and on a loaded machine a gap
        # between chunks can exceed the 1 s body timeout (408): one clean 413 of 3 tries
        heads = []
        for _ in range(3):
            heads.append(head := _streamed_head(prod_backend, path, limit, chunk))
            if head and head.startswith(b"HTTP/1.1 413"):
                break
        assert head is not None and head.startswith(b"HTTP/1.1 413"), heads
        assert b"application/problem+json" in head


def _streamed_head(server: tuple[str, int], path: bytes, limit: int, chunk: bytes) -> bytes | None:
    """Stream a chunked body a little past `limit`; the response head (None on a reset)."""
    with socket.create_connection(server, timeout=30) as sock:
        try:
            sock.sendall(b"POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n" % path)  # fmt: skip
            sent = 0
            while sent <= limit + CHUNK:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the client finished: read what it answered
        try:
            return _response_head(sock)  # ~48 MB of the 50 MB were never sent
        except ConnectionResetError:
            return None


def test_prod_server_closes_slow_headers_and_times_out_slow_bodies(
    prod_backend: tuple[str, int],
) -> None:
    # the socket timeout (20 s) only detects a hang: Granian's own default would be 30 s
    with socket.create_connection(prod_backend, timeout=20) as sock:
        sock.sendall(b"GET /ping HTTP/1.1\r\nHost: t\r\nX-Slow: 1")  # headers never end
        assert sock.recv(1024) == b""  # closed by HEADER_READ_TIMEOUT_SECONDS=1
    with socket.create_connection(prod_backend, timeout=20) as sock:
        sock.sendall(b"POST /v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n[")  # fmt: skip
        assert _response_head(sock).startswith(b"HTTP/1.1 408")


def test_prod_reflex_socket_closes_an_oversize_message_with_1009(
    prod_backend: tuple[str, int],
) -> None:
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    host, port = prod_backend
    url = f"ws://{host}:{port}/_event/?EIO=4&transport=websocket"
    with connect(url, max_size=None, open_timeout=20) as ws:
        assert ws.recv(timeout=20).startswith("0")  # engine.io open
        ws.send("40")
        assert ws.recv(timeout=20).startswith("40")  # socket.io connected
        ws.send("42" + "x" * (get_settings().ws_max_message_bytes + 1))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=20)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
