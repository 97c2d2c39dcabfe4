"""DatabricksWarehouse against a mocked `databricks.sql.connect`."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from databricks import sql as dbsql
from databricks.sql import exc as dbexc

from command_center.warehouse.databricks import (
    ConnectionPool,
    DatabricksWarehouse,
    connect_kwargs,
    normalize_host,
)
from command_center.warehouse.errors import (
    WarehouseAuthError,
    WarehouseQueryError,
    WarehouseTimeout,
    WarehouseUnavailable,
)

TOKEN = "dapi0123456789abcdef0123456789abcdef"


class FakeCursor:
    def __init__(self, conn: FakeConnection) -> None:
        self.conn = conn
        self.description: list[tuple] | None = None
        self._rows: list[tuple] = []
        self.cancelled = threading.Event()

    def execute(self, operation: str) -> FakeCursor:
        hub = self.conn.hub
        with hub.lock:
            hub.executing += 1
            hub.peak_executing = max(hub.peak_executing, hub.executing)
        try:
            hub.executed.append((self.conn.id, operation))
            action = hub.behaviour(operation, self)
            if isinstance(action, BaseException):
                if getattr(action, "breaks_connection", False):
                    self.conn.healthy = False
                raise action
            self.description, self._rows = action
            return self
        finally:
            with hub.lock:
                hub.executing -= 1

    def fetchmany(self, size: int) -> list[tuple]:
        return self._rows[:size]

    def cancel(self) -> None:
        self.cancelled.set()
        self.conn.hub.cancels += 1

    def close(self) -> None:
        pass


class FakeConnection:
    def __init__(self, hub: Hub, ident: int) -> None:
        self.hub = hub
        self.id = ident
        self.closed = False
        self.healthy = True

    def cursor(self) -> FakeCursor:
        if not self.healthy:
            raise dbexc.RequestError("connection reset by peer")
        return FakeCursor(self)

    def close(self) -> None:
        self.closed = True
        with self.hub.lock:
            self.hub.open -= 1


class Hub:
    """Records what the fake connector saw."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connect_calls: list[dict[str, Any]] = []
        self.connections: list[FakeConnection] = []
        self.open = 0
        self.peak_open = 0
        self.executing = 0
        self.peak_executing = 0
        self.executed: list[tuple[int, str]] = []
        self.cancels = 0
        self.connect_error: BaseException | None = None

    def behaviour(self, operation: str, cursor: FakeCursor) -> Any:
        time.sleep(0.01)
        return ([("n", "int", None, None, None, None, None)], [(100,)])

    def connect(self, **kwargs: Any) -> FakeConnection:
        self.connect_calls.append(kwargs)
        if self.connect_error is not None:
            raise self.connect_error
        with self.lock:
            conn = FakeConnection(self, len(self.connections))
            self.connections.append(conn)
            self.open += 1
            self.peak_open = max(self.peak_open, self.open)
        return conn


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Hub:
    hub = Hub()
    monkeypatch.setattr(dbsql, "connect", hub.connect)
    return hub


@pytest.fixture
def warehouse(hub: Hub):
    wh = DatabricksWarehouse(
        "https://adb-123.4.azuredatabricks.net/",
        "/sql/1.0/warehouses/abc",
        TOKEN,
        pool_size=4,
        timeout=5,
    )
    yield wh
    wh.close()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("adb-123.4.azuredatabricks.net", "adb-123.4.azuredatabricks.net"),
        ("https://adb-123.4.azuredatabricks.net", "adb-123.4.azuredatabricks.net"),
        ("https://adb-123.4.azuredatabricks.net/", "adb-123.4.azuredatabricks.net"),
        ("http://dbc-a1b2.cloud.databricks.com//", "dbc-a1b2.cloud.databricks.com"),
        (
            "  https://DBC-A1B2.cloud.databricks.com/sql/1.0/warehouses/x  ",
            "dbc-a1b2.cloud.databricks.com",
        ),
        ("dbc-a1b2.cloud.databricks.com/", "dbc-a1b2.cloud.databricks.com"),
        ("https://token:secret@dbc.cloud.databricks.com/", "dbc.cloud.databricks.com"),
        ("dbc.cloud.databricks.com:443", "dbc.cloud.databricks.com:443"),
        ("", ""),
    ],
)
def test_normalize_host(raw: str, expected: str) -> None:
    assert normalize_host(raw) == expected


async def test_connect_gets_bare_host_and_short_timeouts(
    warehouse: DatabricksWarehouse, hub: Hub
) -> None:
    result = await warehouse.query("SELECT 1")
    assert result.rows == [{"n": 100}] and result.backend == "databricks"
    kwargs = hub.connect_calls[0]
    assert kwargs["server_hostname"] == "adb-123.4.azuredatabricks.net"
    assert kwargs["http_path"] == "/sql/1.0/warehouses/abc"
    assert kwargs["access_token"] == TOKEN
    assert kwargs["_socket_timeout"] <= 5
    assert kwargs["_retry_stop_after_attempts_duration"] <= 5
    assert kwargs["_retry_stop_after_attempts_count"] <= 3
    assert kwargs["_retry_delay_max"] <= 10
    assert int(kwargs["session_configuration"]["STATEMENT_TIMEOUT"]) <= 60


def test_connect_kwargs_respect_connector_bounds() -> None:
    from databricks.sql.backend.thrift_backend import _retry_policy

    for timeout in (0.2, 15, 120):
        kwargs = connect_kwargs(timeout)
        for key, (_type, _default, low, high) in _retry_policy.items():
            if key in kwargs:
                assert low <= kwargs[key] <= high, (key, kwargs[key])


async def test_pool_bounded_under_concurrency_and_reused(
    warehouse: DatabricksWarehouse, hub: Hub
) -> None:
    results = await asyncio.gather(*(warehouse.query(f"SELECT {i}") for i in range(20)))
    assert len(results) == 20
    assert hub.peak_open <= 4
    assert hub.peak_executing <= 4
    assert len(hub.connect_calls) <= 4  # connections were reused, never more than the pool
    assert warehouse.pool.peak_open <= 4
    again = await asyncio.gather(*(warehouse.query("SELECT 2") for _ in range(8)))
    assert len(again) == 8
    assert len(hub.connect_calls) <= 4


def test_pool_blocks_then_times_out_when_exhausted() -> None:
    made: list[object] = []
    pool = ConnectionPool(lambda: made.append(object()) or made[-1], 2)
    a, b = pool.acquire(1), pool.acquire(1)
    with pytest.raises(WarehouseTimeout):
        pool.acquire(0.05)
    pool.release(a)
    assert pool.acquire(1) is a  # idle one reused, no new connection
    pool.release(b, broken=True)
    c = pool.acquire(1)
    assert c is not b and len(made) == 3 and pool.open_count == 2


async def test_broken_connection_is_discarded(warehouse: DatabricksWarehouse, hub: Hub) -> None:
    await warehouse.query("SELECT 1")
    first = hub.connections[0]

    def fail_once(operation: str, cursor: FakeCursor) -> Any:
        if operation == "SELECT boom":
            error = dbexc.RequestError("Error during request to server: connection reset by peer")
            error.breaks_connection = True
            return error
        return Hub.behaviour(hub, operation, cursor)

    hub.behaviour = fail_once  # type: ignore[method-assign]
    with pytest.raises(WarehouseUnavailable) as info:
        await warehouse.query("SELECT boom")
    assert info.value.backend == "databricks"
    assert first.closed
    result = await warehouse.query("SELECT 1")
    assert result.rows == [{"n": 100}]
    assert hub.executed[-1][0] != first.id  # served by a fresh connection


async def test_query_error_keeps_connection(warehouse: DatabricksWarehouse, hub: Hub) -> None:
    def bad_sql(operation: str, cursor: FakeCursor) -> Any:
        if "nope" in operation:
            return dbexc.ServerOperationError(
                "[TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found."
            )
        return Hub.behaviour(hub, operation, cursor)

    hub.behaviour = bad_sql  # type: ignore[method-assign]
    with pytest.raises(WarehouseQueryError) as info:
        await warehouse.query("SELECT * FROM nope")
    assert "TABLE_OR_VIEW_NOT_FOUND" in info.value.message
    await warehouse.query("SELECT 1")
    assert len(hub.connections) == 1 and not hub.connections[0].closed


async def test_timeout_cancels_and_discards(warehouse: DatabricksWarehouse, hub: Hub) -> None:
    def slow(operation: str, cursor: FakeCursor) -> Any:
        if operation == "SELECT slow":
            cursor.cancelled.wait(5)
            return dbexc.ServerOperationError("Query was cancelled")
        return Hub.behaviour(hub, operation, cursor)

    hub.behaviour = slow  # type: ignore[method-assign]
    with pytest.raises(WarehouseTimeout):
        await warehouse.query("SELECT slow", timeout=0.1)
    assert hub.cancels == 1
    assert hub.connections[0].closed
    assert (await warehouse.query("SELECT 1")).rows == [{"n": 100}]


async def test_rows_are_json_safe(warehouse: DatabricksWarehouse, hub: Hub) -> None:
    def typed(operation: str, cursor: FakeCursor) -> Any:
        return (
            [("amount",), ("at",), ("n",)],
            [(Decimal("12.50"), dt.datetime(2025, 1, 2, 3, 4, 5), 7)],
        )

    hub.behaviour = typed  # type: ignore[method-assign]
    result = await warehouse.query("SELECT 1")
    assert result.rows == [{"amount": 12.5, "at": "2025-01-02T03:04:05", "n": 7}]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            dbexc.RequestError("Error during request to server", {"http-code": 401}),
            WarehouseAuthError,
        ),
        (dbexc.RequestError("HTTP request failed", {"http-code": 403}), WarehouseAuthError),
        (
            dbexc.RequestError("Error during request to server: Name or service not known"),
            WarehouseUnavailable,
        ),
        (
            dbexc.MaxRetryDurationError(
                "Retry request would exceed Retry policy max retry duration"
            ),
            WarehouseUnavailable,
        ),
        (dbexc.RequestError("HTTP request failed", {"http-code": 503}), WarehouseUnavailable),
        (
            dbexc.OperationalError("Error during request to server: The read operation timed out"),
            WarehouseTimeout,
        ),
    ],
)
async def test_connect_errors_are_typed(
    warehouse: DatabricksWarehouse, hub: Hub, error: Exception, expected: type
) -> None:
    hub.connect_error = error
    with pytest.raises(expected) as info:
        await warehouse.query("SELECT 1")
    assert TOKEN not in str(info.value)
    assert warehouse.pool.open_count == 0
    hub.connect_error = None
    assert (await warehouse.query("SELECT 1")).rows == [{"n": 100}]


async def test_health_ok_and_failing(warehouse: DatabricksWarehouse, hub: Hub) -> None:
    health = await warehouse.health()
    assert health.ok and health.rows_sampled == 100 and health.backend == "databricks"
    assert "ev_claim" in hub.executed[-1][1] and "LIMIT 100" in hub.executed[-1][1]
    warehouse.pool.close()
    for conn in list(hub.connections):
        conn.healthy = False
    hub.connect_error = dbexc.RequestError("Error during request to server", {"http-code": 401})
    other = DatabricksWarehouse("h", "/p", TOKEN, pool_size=1)
    try:
        failed = await other.health()
    finally:
        other.close()
    assert not failed.ok and failed.error_kind == "auth"
    assert TOKEN not in failed.detail


def test_repr_hides_token() -> None:
    wh = DatabricksWarehouse("https://h.cloud.databricks.com", "/p", TOKEN)
    try:
        assert TOKEN not in repr(wh)
        assert wh.name == "databricks" and wh.dialect == "databricks"
    finally:
        wh.close()


@pytest.mark.parametrize(
    "host,expected",
    [
        ("adb-1.azuredatabricks.net", ("adb-1.azuredatabricks.net", 443)),
        ("adb-1.azuredatabricks.net:8443", ("adb-1.azuredatabricks.net", 8443)),
        ("127.0.0.1:5", ("127.0.0.1", 5)),
        ("[::1]:9443", ("[::1]", 9443)),
        ("::1", ("::1", 443)),
    ],
)
def test_split_port(host: str, expected: tuple[str, int]) -> None:
    from command_center.warehouse.databricks import split_port

    assert split_port(host) == expected


def test_errors_describe_source_and_kind() -> None:
    from command_center.warehouse.errors import WarehouseTimeout, WarehouseUnavailable

    down = WarehouseUnavailable("connection refused", backend="warehouse-databricks")
    assert down.describe() == "Databricks is unavailable: connection refused"
    slow = WarehouseTimeout("", backend="warehouse-local")
    assert slow.describe().startswith("The local warehouse did not answer in time")
