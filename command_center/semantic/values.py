"""Known values: the distinct values of every categorical dictionary column, read from the data.

Postgres-backend tables are read from the OLTP database, `databricks` ones from the warehouse
(local DuckDB or Databricks), each through the routed `Warehouse`. The store is filled by its
first reader (the dashboard's filter bar, off the event loop, or the clarifier's worker thread)
and, once older than `SEMANTIC_REFRESH_SECONDS`, refreshed by one background thread while
readers keep the old snapshot; the builder only emits filter values found here.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

from sqlglot import exp

from command_center.settings import Settings, get_settings
from command_center.sql.dictionary import DataDictionary, load_dictionary

log = logging.getLogger(__name__)

MAX_VALUES_PER_COLUMN = 200
KnownValues = dict[tuple[str, str], list[str]]  # (table, column) -> distinct values


def distinct_sql(table: str, column: str, dialect: str) -> str:
    """`SELECT DISTINCT column FROM table WHERE column IS NOT NULL LIMIT n` for `dialect`."""
    query = (
        exp.select(exp.column(column))
        .distinct()
        .from_(exp.to_table(table, dialect="databricks"))
        .where(exp.column(column).is_(exp.null()).not_())
        .limit(MAX_VALUES_PER_COLUMN + 1)
    )
    return query.sql(dialect="databricks" if dialect == "databricks" else dialect)


async def read_known_values(
    dictionary: DataDictionary | None = None, settings: Settings | None = None
) -> KnownValues:
    """Read every categorical column's distinct values (a column that fails is left out)."""
    from command_center.warehouse.factory import warehouse_for

    dictionary = dictionary or load_dictionary()
    settings = settings or get_settings()
    values: KnownValues = {}
    for table, info in dictionary.tables.items():
        columns = [c for c in dictionary.columns_of(table).values() if c.categorical]
        if not columns or info.backend not in ("postgres", "databricks"):
            continue
        try:
            warehouse = warehouse_for(info.backend, settings)  # type: ignore[arg-type]
        except Exception as exc:  # backend not configured: nothing to read there
            log.warning("known values: no %s warehouse (%s)", info.backend, exc)
            continue
        for column in columns:
            sql = distinct_sql(table, column.column, warehouse.dialect)
            try:
                result = await warehouse.query(sql)
            except Exception as exc:
                log.warning("known values: %s.%s unreadable (%s)", table, column.column, exc)
                continue
            found = sorted({str(row[column.column]) for row in result.rows if row})
            if len(found) <= MAX_VALUES_PER_COLUMN:  # a high-cardinality column is no filter list
                values[(table, column.column)] = found
    return values


class ValueStore:
    """The process's known values, refreshed in the background when stale."""

    def __init__(
        self,
        reader: Callable[[], KnownValues] | None = None,
        refresh_seconds: float | None = None,
    ) -> None:
        self._reader = reader or (lambda: asyncio.run(read_known_values()))
        self._refresh = (
            refresh_seconds
            if refresh_seconds is not None
            else float(get_settings().semantic_refresh_seconds)
        )
        self._values: KnownValues | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()
        self._refreshing = False
        self.version = 0

    def set(self, values: KnownValues) -> None:
        """Replace the snapshot (tests, or a refresh)."""
        with self._lock:
            self._values = dict(values)
            self._loaded_at = time.monotonic()
            self.version += 1

    def load(self) -> KnownValues:
        """Read now (blocking) and keep the result."""
        try:
            values = self._reader()
        except Exception as exc:  # a backend outage must not stop the builder
            log.warning("known values: refresh failed (%s)", exc)
            values = self._values or {}
        self.set(values)
        return values

    def get(self) -> KnownValues:
        """The snapshot; the first call loads it, a stale one is refreshed in the background."""
        if self._values is None:
            return self.load()
        with self._lock:  # one refresh at a time, however many readers find it stale
            start = time.monotonic() - self._loaded_at > self._refresh and not self._refreshing
            self._refreshing = self._refreshing or start
        if start:

            def refresh() -> None:
                try:
                    self.load()
                finally:
                    self._refreshing = False

            threading.Thread(target=refresh, name="semantic-values", daemon=True).start()
        return self._values


_store: ValueStore | None = None


def value_store() -> ValueStore:
    """The process-wide value store."""
    global _store
    if _store is None:
        _store = ValueStore()
    return _store


def reset_value_store() -> None:
    """Forget the process-wide store (tests, settings changes)."""
    global _store
    _store = None
