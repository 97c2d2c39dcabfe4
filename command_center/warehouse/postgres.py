"""The OLTP database as a read-only warehouse: PostgreSQL in deployment, SQLite embedded."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from typing import Any

from sqlalchemy.engine import Engine, make_url

from command_center.warehouse.base import (
    DEFAULT_MAX_ROWS,
    HealthResult,
    QueryResult,
    ThreadedWarehouse,
    rows_to_dicts,
    sample_health,
)
from command_center.warehouse.errors import WarehouseError, WarehouseTimeout, classify_error

HEALTH_TABLE = "claims"


def _rollback_or_invalidate(raw: Any) -> None:
    """End the read-only transaction; a connection that cannot roll back is dropped."""
    try:
        raw.rollback()
    except Exception:
        with contextlib.suppress(Exception):
            raw.invalidate()


class OltpWarehouse(ThreadedWarehouse):
    """Read-only queries on the OLTP database (metrics routed to `postgres`).

    PostgreSQL: each query runs in a `READ ONLY` transaction with a local
    `statement_timeout`, then rolls back (`name` "postgres", dialect "postgres").
    SQLite (embedded mode): the connection is switched to `query_only` for the query and
    interrupted at the deadline (`name` "sqlite", dialect "sqlite").
    """

    def __init__(
        self,
        url: str,
        *,
        engine: Engine | None = None,
        timeout: float = 15.0,
        workers: int = 4,
        max_rows: int = DEFAULT_MAX_ROWS,
        health_table: str = HEALTH_TABLE,
    ) -> None:
        super().__init__(workers, "warehouse-oltp")
        backend = make_url(url).get_backend_name()
        if backend not in {"postgresql", "sqlite"}:
            raise ValueError(f"unsupported OLTP backend {backend!r}")
        self.is_sqlite = backend == "sqlite"
        self.name = "sqlite" if self.is_sqlite else "postgres"
        self.dialect = "sqlite" if self.is_sqlite else "postgres"
        self.url = url
        self.timeout = float(timeout)
        self.max_rows = max_rows
        self.health_table = health_table
        self._engine = engine

    def __repr__(self) -> str:
        return f"OltpWarehouse({make_url(self.url).render_as_string(hide_password=True)!r})"

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (the app's cached engine for this URL unless one was given)."""
        if self._engine is None:
            from command_center.db.session import engine_for

            self._engine = engine_for(self.url)
        return self._engine

    # ------------------------------------------------------------------ queries

    def _fetch(self, cursor: Any, sql: str) -> tuple[list[str], list[Any]]:
        cursor.execute(sql)  # no parameters: the driver never parses `%` placeholders
        if cursor.description is None:
            return [], []
        columns = [d[0] for d in cursor.description]
        return columns, list(cursor.fetchmany(self.max_rows + 1))

    def _query_postgres(self, sql: str, timeout: float) -> tuple[list[str], list[Any]]:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute("SET TRANSACTION READ ONLY")
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)",
                    (str(max(math.ceil(timeout * 1000), 1)),),
                )
                return self._fetch(cursor, sql)
            finally:
                with contextlib.suppress(Exception):
                    cursor.close()
                _rollback_or_invalidate(raw)
        finally:
            raw.close()

    def _query_sqlite(self, sql: str, timeout: float) -> tuple[list[str], list[Any]]:
        raw = self.engine.raw_connection()
        try:
            driver = raw.dbapi_connection
            timed_out = threading.Event()

            def interrupt() -> None:
                timed_out.set()
                with contextlib.suppress(Exception):
                    driver.interrupt()  # type: ignore[union-attr]

            cursor = raw.cursor()
            cursor.execute("PRAGMA query_only = ON")
            timer = threading.Timer(timeout, interrupt)
            timer.daemon = True
            timer.start()
            try:
                return self._fetch(cursor, sql)
            except Exception as exc:
                if timed_out.is_set():
                    raise WarehouseTimeout(
                        f"query exceeded {timeout:g}s", backend=self.name
                    ) from exc
                raise
            finally:
                timer.cancel()
                try:
                    raw.rollback()
                    cursor.execute("PRAGMA query_only = OFF")  # the pool's next user may write
                    cursor.close()
                except Exception:
                    raw.invalidate()  # never hand a query_only connection back to the app
        finally:
            raw.close()

    def _query_sync(self, sql: str, timeout: float) -> QueryResult:
        started = time.perf_counter()
        try:
            if self.is_sqlite:
                columns, raw = self._query_sqlite(sql, timeout)
            else:
                columns, raw = self._query_postgres(sql, timeout)
        except WarehouseError:
            raise
        except Exception as exc:
            raise classify_error(exc, backend=self.name) from exc
        truncated = len(raw) > self.max_rows
        return QueryResult(
            columns=columns,
            rows=rows_to_dicts(columns, raw[: self.max_rows]),
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            backend=self.name,
            truncated=truncated,
        )

    async def query(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        """Run one read-only statement; typed `WarehouseError` on failure (writes fail too)."""
        return await self._run(self._query_sync, sql, float(timeout or self.timeout))

    async def health(self) -> HealthResult:
        """Count a 100-row sample of the `claims` table; never raises."""
        sql = f"SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM {self.health_table} LIMIT 100) AS s"
        return await sample_health(
            self, sql, timeout=min(self.timeout, 10.0), detail=f"{self.name} OLTP database"
        )

    def close(self) -> None:
        """Stop the worker threads (the shared engine is left to `db.session`)."""
        self._shutdown_executor()
