"""The local warehouse: published DuckDB snapshots, queried read-only off the event loop."""

from __future__ import annotations

import contextlib
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
from command_center.warehouse.generate import QUALIFIED_TABLE, ensure_local_warehouse
from command_center.warehouse.store import (
    Snapshot,
    connect_readonly,
    current_snapshot,
    pointer_stamp,
)

HEALTH_SQL = f"SELECT COUNT(*) AS n FROM (SELECT claim_id FROM {QUALIFIED_TABLE} LIMIT 100) AS s"


class _Open:
    """One open snapshot: its connection, idle cursors and running queries."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.conn = connect_readonly(snapshot.file)
        self.idle: list[duckdb.DuckDBPyConnection] = []
        self.active = 0

    def close(self) -> None:
        for cursor in self.idle:
            with contextlib.suppress(duckdb.Error):
                cursor.close()
        self.idle.clear()
        with contextlib.suppress(duckdb.Error):
            self.conn.close()


class LocalWarehouse(ThreadedWarehouse):
    """DuckDB read-only warehouse (`name` "local", dialect "duckdb").

    Queries read the snapshot the warehouse's pointer names (`warehouse/store.py`); when the
    sync publishes a newer one, new queries open it while running ones finish on the old one,
    which is closed after its last query — readers never wait for the writer or each other.
    The file is built on first use when no snapshot exists. Queries run on `workers`
    threads, each with a cursor; file-system access from SQL is disabled.
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
    ) -> None:
        super().__init__(workers, "warehouse-local")
        self._settings = settings or get_settings()
        self.path = path or self._settings.warehouse_path
        self.timeout = timeout if timeout is not None else self._settings.databricks_timeout_seconds
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._open: dict[str, _Open] = {}
        self._current: _Open | None = None
        self._stamp: tuple[int, int] | None = None
        self._closed = False

    # ------------------------------------------------------------------ snapshots

    def snapshot(self) -> Snapshot | None:
        """The snapshot new queries read now (one `stat` when unchanged); None before any."""
        stamp = pointer_stamp(self.path)
        with self._lock:
            if self._current is not None and stamp == self._stamp:
                return self._current.snapshot
        return current_snapshot(self.path)

    def data_version(self) -> str | None:
        """The published warehouse version (changes whenever the sync publishes rows)."""
        snapshot = self.snapshot()
        return snapshot.version if snapshot else None

    def _acquire(self) -> tuple[_Open, duckdb.DuckDBPyConnection]:
        """A cursor on the current snapshot; builds the warehouse when none exists yet."""
        for _attempt in range(3):
            with self._lock:
                if self._closed:
                    raise WarehouseUnavailable("the local warehouse is closed", backend=self.name)
                stamp = pointer_stamp(self.path)
                if self._current is None or stamp != self._stamp:
                    if stamp is None:
                        ensure_local_warehouse(self._settings, path=self.path)
                        stamp = pointer_stamp(self.path)
                    snapshot = current_snapshot(self.path)
                    if snapshot is None:
                        raise WarehouseUnavailable("no warehouse snapshot", backend=self.name)
                    handle = self._open.get(snapshot.version)
                    if handle is None:
                        try:
                            handle = _Open(snapshot)
                        except duckdb.IOException:  # replaced and removed meanwhile: re-read
                            continue
                        self._open[snapshot.version] = handle
                    self._current, self._stamp = handle, stamp
                    self._close_unused()
                handle = self._current
                cursor = handle.idle.pop() if handle.idle else handle.conn.cursor()
                handle.active += 1
                return handle, cursor
        raise WarehouseUnavailable("warehouse snapshot kept changing", backend=self.name)

    def _release(self, handle: _Open, cursor: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            handle.active -= 1
            if self._closed or handle is not self._current:
                with contextlib.suppress(duckdb.Error):
                    cursor.close()
                self._close_unused()
            else:
                handle.idle.append(cursor)

    def _close_unused(self) -> None:
        """Close every snapshot other than the current one that no query is using."""
        for version, handle in list(self._open.items()):
            if (self._closed or handle is not self._current) and handle.active == 0:
                handle.close()
                del self._open[version]

    def prepare(self) -> Path:
        """Build (if needed) and open the warehouse now, e.g. at start-up. Blocking."""
        self._release(*self._acquire())
        return self.path

    # ------------------------------------------------------------------ queries

    def _query_sync(self, sql: str, timeout: float) -> QueryResult:
        started = time.perf_counter()
        try:
            handle, cursor = self._acquire()
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
            self._release(handle, cursor)
        truncated = len(raw) > self.max_rows
        rows = rows_to_dicts(columns, raw[: self.max_rows])
        return QueryResult(
            columns=columns,
            rows=rows,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            backend=self.name,
            truncated=truncated,
            as_of=handle.snapshot.as_of,
            data_version=handle.snapshot.version,
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
        with self._lock:
            self._closed = True
            self._close_unused()
        self._shutdown_executor()
