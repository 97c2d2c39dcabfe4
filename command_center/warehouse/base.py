"""The warehouse interface, its result types, and JSON-safe row conversion."""

from __future__ import annotations

import abc
import asyncio
import base64
import datetime as dt
import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

WarehouseName = Literal["local", "databricks", "postgres", "sqlite"]
DEFAULT_MAX_ROWS = 10_000
T = TypeVar("T")


class QueryResult(BaseModel):
    """Rows of one query: column names in order, JSON-safe dict rows, timing and source."""

    columns: list[str]
    rows: list[dict[str, Any]]
    duration_ms: float
    backend: str = ""
    truncated: bool = Field(default=False, description="more rows existed than max_rows")
    as_of: str | None = Field(default=None, description="data time of a synced warehouse copy")
    data_version: str | None = Field(default=None, description="warehouse version read")

    @property
    def row_count(self) -> int:
        """Number of rows returned."""
        return len(self.rows)


class HealthResult(BaseModel):
    """Whether a warehouse answers: a small sampling query's outcome."""

    ok: bool
    backend: str
    rows_sampled: int = 0
    detail: str = ""
    latency_ms: float | None = None
    error_kind: str | None = None


class Warehouse(abc.ABC):
    """A SQL source the resolver can query: local DuckDB, Databricks, or the OLTP database.

    `name` identifies the backend for badges ("local" is never shown as "databricks");
    `dialect` is the sqlglot dialect SQL must be transpiled to before `query`.
    """

    name: str
    dialect: str

    @abc.abstractmethod
    async def query(self, sql: str, *, timeout: float | None = None) -> QueryResult:
        """Run one read-only statement; raise a typed `WarehouseError` on failure."""

    @abc.abstractmethod
    async def health(self) -> HealthResult:
        """Sample the warehouse; never raises (failures come back with ok=False)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections and threads; the instance must not be used afterwards."""


class ThreadedWarehouse(Warehouse):
    """Helper base: blocking driver calls run on a private thread pool of `workers` threads."""

    def __init__(self, workers: int, thread_name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=thread_name)

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        from command_center.warehouse.errors import WarehouseUnavailable

        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(self._executor, func, *args)
        except RuntimeError:  # executor shut down by close()
            raise WarehouseUnavailable(
                f"the {self.name} warehouse is closed", backend=self.name
            ) from None
        return await future

    def _shutdown_executor(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def json_safe(value: Any) -> Any:
    """Convert one driver value to a JSON-serialisable one.

    Decimal → float, datetime/date/time → ISO string, timedelta → seconds, UUID → str,
    bytes → base64, NaN/±inf → None; lists, tuples and dicts are converted recursively.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        try:
            return json_safe(item())
        except (TypeError, ValueError):
            pass
    tolist = getattr(value, "tolist", None)  # numpy / arrow arrays
    if callable(tolist):
        return json_safe(tolist())
    return str(value)


def rows_to_dicts(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
    """Zip raw driver rows with column names into JSON-safe dicts.

    Duplicate column names get a numeric suffix (``count``, ``count_2``) so no value is lost.
    """
    keys = unique_columns(columns)
    return [{key: json_safe(value) for key, value in zip(keys, row, strict=False)} for row in rows]


def unique_columns(columns: Sequence[str]) -> list[str]:
    """Column names made unique by suffixing repeats with _2, _3, …"""
    seen: dict[str, int] = {}
    out: list[str] = []
    for column in columns:
        name = str(column)
        if name in seen:
            seen[name] += 1
            candidate = f"{name}_{seen[name]}"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name}_{seen[name]}"
            seen[candidate] = 1
            out.append(candidate)
        else:
            seen[name] = 1
            out.append(name)
    return out


def first_line(text: str, limit: int = 300) -> str:
    """First line of `text`, bounded, for health details."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return line[:limit]


async def sample_health(
    warehouse: Warehouse, sql: str, *, timeout: float, detail: str
) -> HealthResult:
    """Run a one-row counting `sql` on `warehouse` and turn the outcome into a HealthResult.

    The first column of the first row is taken as the number of rows sampled. Never raises:
    a typed warehouse error comes back as ok=False with its kind and message.
    """
    import time

    from command_center.warehouse.errors import WarehouseError, classify_error

    started = time.perf_counter()
    try:
        result = await warehouse.query(sql, timeout=timeout)
    except Exception as exc:
        error = (
            exc if isinstance(exc, WarehouseError) else classify_error(exc, backend=warehouse.name)
        )
        return HealthResult(
            ok=False,
            backend=warehouse.name,
            detail=error.message,
            error_kind=error.kind,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
        )
    row = result.rows[0] if result.rows else {}
    first = next(iter(row.values()), 0)
    sampled = int(first) if isinstance(first, int | float) else 0
    return HealthResult(
        ok=True,
        backend=warehouse.name,
        rows_sampled=sampled,
        detail=detail if sampled else f"{detail}: sample returned no rows",
        latency_ms=round((time.perf_counter() - started) * 1000, 3),
    )
