"""The OLTP database as a read-only warehouse: PostgreSQL in deployment, SQLite embedded."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url

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

    def _execute(self, conn: Connection, sql: str, timeout: float) -> tuple[list[str], list[Any]]:
        result = conn.exec_driver_sql(sql)
        if not result.returns_rows:
            return [], []
        columns = list(result.keys())
        return columns, list(result.fetchmany(self.max_rows + 1))

    def _query_postgres(self, sql: str, timeout: float) -> tuple[list[str], list[Any]]:
        with self.engine.connect() as conn:
            try:
                conn.execute(text("SET TRANSACTION READ ONLY"))
                conn.execute(
                    text("SELECT set_config('statement_timeout', :ms, true)"),
                    {"ms": str(max(math.ceil(timeout * 1000), 1))},
                )
                return self._execute(conn, sql, timeout)
            finally:
                conn.rollback()

    def _query_sqlite(self, sql: str, timeout: float) -> tuple[list[str], list[Any]]:
        with self.engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            timed_out = threading.Event()

            def interrupt() -> None:
                timed_out.set()
                with contextlib.suppress(Exception):
                    raw.interrupt()  # type: ignore[union-attr]

            conn.exec_driver_sql("PRAGMA query_only = ON")
            timer = threading.Timer(timeout, interrupt)
            timer.daemon = True
            timer.start()
            try:
                return self._execute(conn, sql, timeout)
            except Exception as exc:
                if timed_out.is_set():
                    raise WarehouseTimeout(
                        f"query exceeded {timeout:g}s", backend=self.name
                    ) from exc
                raise
            finally:
                timer.cancel()
                conn.rollback()
                conn.exec_driver_sql("PRAGMA query_only = OFF")

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
        sql = (
            f"SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM {self.health_table} LIMIT 100) AS s"
        )
        return await sample_health(
            self, sql, timeout=min(self.timeout, 10.0), detail=f"{self.name} OLTP database"
        )

    def close(self) -> None:
        """Stop the worker threads (the shared engine is left to `db.session`)."""
        self._shutdown_executor()
