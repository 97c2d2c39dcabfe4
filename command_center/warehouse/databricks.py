"""Databricks SQL warehouse client: bounded connection pool, short timeouts, typed errors."""

from __future__ import annotations

import asyncio
import contextlib
import math
import queue
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from command_center.warehouse.base import (
    DEFAULT_MAX_ROWS,
    HealthResult,
    QueryResult,
    ThreadedWarehouse,
    rows_to_dicts,
    sample_health,
)
from command_center.warehouse.errors import (
    WarehouseError,
    WarehouseTimeout,
    WarehouseUnavailable,
    classify_error,
)

HEALTH_SQL = "SELECT COUNT(*) AS n FROM (SELECT claim_id FROM l3_asurion.ev_claim LIMIT 100) AS s"
# Extra seconds the event loop waits beyond the query deadline before giving up on the thread
# (the worker still cancels the statement and returns its connection).
_LOOP_GRACE_SECONDS = 5.0


def normalize_host(host: str) -> str:
    """Bare hostname from what operators paste: drops scheme, path, trailing slashes, spaces.

    >>> normalize_host("https://adb-123.4.azuredatabricks.net/sql/1.0/warehouses/x/")
    'adb-123.4.azuredatabricks.net'
    """
    text = (host or "").strip()
    if not text:
        return ""
    if "://" not in text:
        text = "//" + text
    parts = urlsplit(text)
    hostname = parts.netloc.rsplit("@", 1)[-1]  # never keep user:token@
    return hostname.strip().rstrip("/").lower()


def split_port(host: str) -> tuple[str, int]:
    """`host[:port]` → (host, port), 443 when none is given (private links and proxies use
    other ports; the connector takes the port separately).

    >>> split_port("adb-1.azuredatabricks.net:8443")
    ('adb-1.azuredatabricks.net', 8443)
    """
    name, sep, port = host.rpartition(":")
    bracketed = name.startswith("[") and name.endswith("]")  # an IPv6 literal
    if sep and port.isdigit() and name and (bracketed or ":" not in name):
        return name, int(port)
    return host, 443


def connect_kwargs(timeout: float) -> dict[str, Any]:
    """Keyword arguments for `databricks.sql.connect` sized for an interactive dashboard.

    The connector defaults (900 s socket timeout, 30 attempts over 900 s) would hang a
    widget for a quarter of an hour; these fail within roughly `timeout` seconds instead.
    Values respect the connector's own bounds (see `_retry_policy` in thrift_backend.py:
    delay_max ≥ 5, duration ≥ 1, attempts ≥ 1).
    """
    budget = max(float(timeout), 1.0)
    return {
        # server-side safety net in case a client-side cancel is lost
        "session_configuration": {"STATEMENT_TIMEOUT": str(math.ceil(budget * 2))},
        "_socket_timeout": budget,
        "_retry_stop_after_attempts_count": 2,
        "_retry_stop_after_attempts_duration": budget,
        "_retry_delay_min": 0.5,
        "_retry_delay_max": 5.0,
        "_retry_delay_default": 1.0,
        "enable_telemetry": False,
        "user_agent_entry": "command-center",
    }


class ConnectionPool:
    """A bounded pool of connections created lazily by `factory`.

    At most `size` connections exist at once (idle + in use); `acquire` blocks up to
    `wait` seconds for one. A connection released as broken is closed and discarded,
    freeing its slot for a fresh one.
    """

    def __init__(self, factory: Any, size: int) -> None:
        if size < 1:
            raise ValueError("pool size must be at least 1")
        self._factory = factory
        self.size = size
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._open = 0
        self.peak_open = 0
        self.created = 0
        self._closed = False

    @property
    def open_count(self) -> int:
        """Connections currently open (idle or in use)."""
        return self._open

    def acquire(self, wait: float) -> Any:
        """An idle connection, or a new one when none is idle and a slot is free."""
        if self._closed:
            raise WarehouseUnavailable("the Databricks pool is closed", backend="databricks")
        if not self._slots.acquire(timeout=max(wait, 0.0)):
            raise WarehouseTimeout(
                f"all {self.size} Databricks connections stayed busy for {wait:g}s",
                backend="databricks",
            )
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        try:
            conn = self._factory()
        except BaseException:
            self._slots.release()
            raise
        with self._lock:
            self._open += 1
            self.created += 1
            self.peak_open = max(self.peak_open, self._open)
        return conn

    def release(self, conn: Any, *, broken: bool = False) -> None:
        """Return `conn` to the pool, or close and discard it when `broken` (or pool closed)."""
        try:
            if broken or self._closed:
                self._discard(conn)
            else:
                self._idle.put(conn)
        finally:
            self._slots.release()

    def _discard(self, conn: Any) -> None:
        with self._lock:
            self._open -= 1
        with contextlib.suppress(Exception):
            conn.close()

    def close(self) -> None:
        """Close every idle connection; in-use ones are closed when released."""
        self._closed = True
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                break
            self._discard(conn)


class DatabricksWarehouse(ThreadedWarehouse):
    """A Databricks SQL warehouse (`name` and dialect "databricks").

    Queries run on a private thread pool the size of the connection pool. Each query has a
    deadline (`timeout`, overridable per call): when it passes, the statement is cancelled,
    its connection discarded, and `WarehouseTimeout` raised.
    """

    name = "databricks"
    dialect = "databricks"

    def __init__(
        self,
        host: str,
        http_path: str,
        token: str,
        pool_size: int = 4,
        timeout: float = 15.0,
        *,
        max_rows: int = DEFAULT_MAX_ROWS,
    ) -> None:
        super().__init__(pool_size, "warehouse-databricks")
        self.host = normalize_host(host)
        self.http_path = "/" + (http_path or "").strip().lstrip("/")
        self._token = token
        self.timeout = float(timeout)
        self.max_rows = max_rows
        self.pool = ConnectionPool(self._connect, pool_size)

    def __repr__(self) -> str:  # never show the token
        return f"DatabricksWarehouse(host={self.host!r}, http_path={self.http_path!r})"

    def _connect(self) -> Any:
        from databricks import sql

        hostname, port = split_port(self.host)
        try:
            return sql.connect(
                server_hostname=hostname,
                http_path=self.http_path,
                access_token=self._token,
                _port=port,
                **connect_kwargs(self.timeout),
            )
        except Exception as exc:
            raise classify_error(exc, backend=self.name) from exc

    def _query_sync(self, sql_text: str, timeout: float) -> QueryResult:
        started = time.perf_counter()
        conn = self.pool.acquire(wait=timeout)
        broken = False
        timed_out = threading.Event()
        cursor: Any = None
        timer: threading.Timer | None = None
        try:
            cursor = conn.cursor()

            def cancel() -> None:
                timed_out.set()
                with contextlib.suppress(Exception):
                    cursor.cancel()

            remaining = max(timeout - (time.perf_counter() - started), 0.001)
            timer = threading.Timer(remaining, cancel)
            timer.daemon = True
            timer.start()
            cursor.execute(sql_text)
            columns = [d[0] for d in (cursor.description or [])]
            raw = cursor.fetchmany(self.max_rows + 1) if columns else []
            if timed_out.is_set():
                raise WarehouseTimeout(f"query exceeded {timeout:g}s", backend=self.name)
        except WarehouseError as exc:
            broken = exc.kind != "query"
            raise
        except Exception as exc:
            if timed_out.is_set():
                broken = True
                raise WarehouseTimeout(f"query exceeded {timeout:g}s", backend=self.name) from exc
            error = classify_error(exc, backend=self.name)
            broken = error.kind != "query"
            raise error from exc
        finally:
            if timer is not None:
                timer.cancel()
            if cursor is not None:
                with contextlib.suppress(Exception):
                    cursor.close()
            self.pool.release(conn, broken=broken)
        truncated = len(raw) > self.max_rows
        return QueryResult(
            columns=columns,
            rows=rows_to_dicts(columns, raw[: self.max_rows]),
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            backend=self.name,
            truncated=truncated,
        )

    async def query(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        """Run `sql` (Databricks dialect); typed `WarehouseError` on failure."""
        deadline = float(timeout or self.timeout)
        try:
            return await asyncio.wait_for(
                self._run(self._query_sync, sql, deadline), deadline * 2 + _LOOP_GRACE_SECONDS
            )
        except TimeoutError:
            raise WarehouseTimeout(
                f"query exceeded {deadline:g}s (worker did not return)", backend=self.name
            ) from None

    async def health(self) -> HealthResult:
        """Count a 100-row sample of `l3_asurion.ev_claim`; never raises."""
        return await sample_health(
            self, HEALTH_SQL, timeout=min(self.timeout, 10.0), detail=f"Databricks {self.host}"
        )

    def close(self) -> None:
        """Close idle connections and stop the worker threads."""
        self.pool.close()
        self._shutdown_executor()
