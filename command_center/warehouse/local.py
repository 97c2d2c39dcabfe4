"""The local warehouse: the generated DuckDB file, queried read-only off the event loop."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from pathlib import Path

import duckdb

from command_center.settings import Settings, get_settings
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
from command_center.warehouse.generate import (
    QUALIFIED_TABLE,
    connect_readonly,
    ensure_local_warehouse,
    utc_today,
)

HEALTH_SQL = f"SELECT COUNT(*) AS n FROM (SELECT claim_id FROM {QUALIFIED_TABLE} LIMIT 100) AS s"


class LocalWarehouse(ThreadedWarehouse):
    """DuckDB read-only warehouse (`name` "local", dialect "duckdb").

    The file is generated on first use (and regenerated when the UTC day changes, so the
    trailing windows stay populated). Queries run on `workers` threads, each with a cursor
    on one shared read-only database instance; file-system access from SQL is disabled.
    """

    name = "local"
    dialect = "duckdb"

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        path: Path | None = None,
        workers: int = 4,
        timeout: float | None = None,
        max_rows: int = DEFAULT_MAX_ROWS,
        auto_refresh: bool = True,
    ) -> None:
        super().__init__(workers, "warehouse-local")
        self._settings = settings or get_settings()
        self.path = path or self._settings.warehouse_path
        self.timeout = timeout if timeout is not None else self._settings.databricks_timeout_seconds
        self.max_rows = max_rows
        self._auto_refresh = auto_refresh
        self._cond = threading.Condition()
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._idle: list[duckdb.DuckDBPyConnection] = []
        self._active = 0
        self._anchor: dt.date | None = None
        self._closed = False

    # ------------------------------------------------------------------ connections

    def _needs_open(self) -> bool:
        if self._conn is None:
            return True
        return self._auto_refresh and self._anchor is not None and self._anchor != utc_today()

    def _acquire(self) -> duckdb.DuckDBPyConnection:
        """A cursor for this query; (re)generates and reopens the file when needed.

        Reopening waits until no query is running: DuckDB caches database instances by
        path, so every cursor on the old file must be closed before the new one is opened.
        """
        with self._cond:
            if self._closed:
                raise WarehouseUnavailable("the local warehouse is closed", backend=self.name)
            if self._needs_open():
                while self._active > 0:
                    self._cond.wait()
                if self._needs_open():
                    self._close_all()
                    anchor = utc_today()
                    ensure_local_warehouse(self._settings, path=self.path, anchor_day=anchor)
                    self._conn = connect_readonly(self.path)
                    self._anchor = anchor
            assert self._conn is not None
            cursor = self._idle.pop() if self._idle else self._conn.cursor()
            self._active += 1
            return cursor

    def _release(self, cursor: duckdb.DuckDBPyConnection) -> None:
        with self._cond:
            self._active -= 1
            if self._closed:
                with contextlib.suppress(duckdb.Error):
                    cursor.close()
            else:
                self._idle.append(cursor)
            self._cond.notify_all()

    def _close_all(self) -> None:
        for cursor in self._idle:
            with contextlib.suppress(duckdb.Error):
                cursor.close()
        self._idle.clear()
        if self._conn is not None:
            with contextlib.suppress(duckdb.Error):
                self._conn.close()
            self._conn = None

    def prepare(self) -> Path:
        """Generate (if needed) and open the warehouse now, e.g. at start-up. Blocking."""
        self._release(self._acquire())
        return self.path

    # ------------------------------------------------------------------ queries

    def _query_sync(self, sql: str, timeout: float) -> QueryResult:
        started = time.perf_counter()
        try:
            cursor = self._acquire()
        except WarehouseError:
            raise
        except Exception as exc:  # generating/opening the file failed
            raise WarehouseUnavailable(
                f"local warehouse could not be opened: {exc}", backend=self.name
            ) from exc
        timed_out = threading.Event()

        def interrupt() -> None:
            timed_out.set()
            with contextlib.suppress(Exception):
                cursor.interrupt()

        timer = threading.Timer(timeout, interrupt)
        timer.daemon = True
        timer.start()
        try:
            cursor.execute(sql)
            columns = [d[0] for d in (cursor.description or [])]
            raw = cursor.fetchmany(self.max_rows + 1) if columns else []
        except Exception as exc:
            if timed_out.is_set():
                raise WarehouseTimeout(
                    f"query exceeded {timeout:g}s on the local warehouse", backend=self.name
                ) from exc
            raise classify_error(exc, backend=self.name) from exc
        finally:
            timer.cancel()
            self._release(cursor)
        truncated = len(raw) > self.max_rows
        rows = rows_to_dicts(columns, raw[: self.max_rows])
        return QueryResult(
            columns=columns,
            rows=rows,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            backend=self.name,
            truncated=truncated,
        )

    async def query(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        """Run `sql` (DuckDB dialect) read-only; typed `WarehouseError` on failure."""
        return await self._run(self._query_sync, sql, timeout or self.timeout)

    async def health(self) -> HealthResult:
        """Count a 100-row sample of `l3_asurion.ev_claim`; never raises."""
        return await sample_health(
            self,
            HEALTH_SQL,
            timeout=min(self.timeout, 10.0),
            detail=f"local DuckDB {self.path.name}",
        )

    def close(self) -> None:
        """Close the connection and stop the worker threads."""
        with self._cond:
            self._closed = True
            self._close_all()
        self._shutdown_executor()
