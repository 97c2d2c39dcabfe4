"""Widget data resolution: cache → SQL (compiler or LLM, gated) → warehouse, one path for all."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from command_center.instruments import timed_query
from command_center.metrics.catalog import get_metric
from command_center.metrics.definitions import MetricDefinition
from command_center.metrics.routing import Route, Routing, load_routing
from command_center.metrics.validation import validate_metric_definition
from command_center.realtime.widget_cache import (
    InProcessBackend,
    RedisBackend,
    WidgetDataCache,
)
from command_center.settings import Settings, get_settings
from command_center.sql.intent import DataIntent
from command_center.sql.safety import SafetyResult
from command_center.sql.service import (  # noqa: F401  (drain_background re-exported)
    audit,
    drain_background,
    gated_sql,
    in_background,
    reset_sql_memo,
)
from command_center.telemetry import observe, sql_hash
from command_center.widgets.spec import spec_hash

SOURCE_LABELS = {
    "local": "local warehouse",
    "databricks": "Databricks",
    "postgres": "PostgreSQL",
    "sqlite": "SQLite",
}

_BACKENDS = {label: name for name, label in SOURCE_LABELS.items()}


class WidgetData(BaseModel):
    """What a widget shows: rows plus where they came from and when."""

    widget_id: str
    metric_id: str
    columns: list[str]
    rows: list[dict[str, Any]]
    source: str
    generated_at: str
    cached: bool
    cache_key: str
    cached_at: str = ""  # when the cached rows were computed ("" when computed now)
    sql: str = ""
    duration_ms: float = 0.0
    as_of: str | None = None
    warehouse_version: str | None = None


def canonical_hash(document: dict[str, Any]) -> str:
    """First 16 hex chars of the sha256 of `document`'s canonical JSON (as `spec_hash`)."""
    return spec_hash(document)[:16]


def cache_key(widget_id: str, spec: dict[str, Any]) -> str:
    """`widget:data:{widget_id}:{spec_hash}:{intent_hash}`: changes when spec or intent does."""
    intent = spec.get("data_intent") or {}
    return f"widget:data:{widget_id}:{canonical_hash(spec)}:{canonical_hash(intent)}"


@lru_cache(maxsize=4)
def _cache_for(redis_url: str, prefix: str) -> WidgetDataCache:
    backend = RedisBackend(redis_url, prefix) if redis_url else InProcessBackend()
    return WidgetDataCache(backend)


def widget_cache(settings: Settings | None = None) -> WidgetDataCache:
    """The process-wide widget-data cache for the configured backend."""
    settings = settings or get_settings()
    return _cache_for(settings.redis_url, settings.redis_key_prefix)


@lru_cache(maxsize=1)
def _routing() -> Routing:
    return load_routing()


def route_for(metric: MetricDefinition) -> Route:
    """The metric's route (backend + TTL); the routing file is read once per process."""
    return _routing().route_for(metric.id, metric.backend)


METRIC_TTL_SECONDS = 5.0
_metrics: dict[tuple[str, str], tuple[float, MetricDefinition]] = {}


def reset_caches() -> None:
    """Forget every process-level cache of this module (tests, settings changes)."""
    _cache_for.cache_clear()
    _routing.cache_clear()
    _metrics.clear()
    reset_sql_memo()


async def _metric(metric_id: str) -> MetricDefinition:
    """The catalog metric, re-read from the database at most every `METRIC_TTL_SECONDS`.

    Only found metrics are remembered, so a newly promoted metric is visible at once. A
    promoted metric is re-validated against the dictionary (`MetricValidationError`).
    """
    key = (get_settings().effective_database_url, metric_id)
    entry = _metrics.get(key)
    now = time.monotonic()
    if entry is not None and entry[0] > now:
        return entry[1]
    metric = await asyncio.to_thread(get_metric, metric_id)
    if metric.origin != "seed":
        validate_metric_definition(metric)  # a row stored before validation existed
    _metrics[key] = (now + METRIC_TTL_SECONDS, metric)
    return metric


async def metric_definition(metric_id: str | None) -> MetricDefinition | None:
    """The catalog metric (None when unknown), cached like `_metric`."""
    if not metric_id:
        return None
    try:
        return await _metric(metric_id)
    except Exception:  # a records intent, or a metric gone from the catalog
        return None


async def resolve_widget_data(
    widget_id: str,
    spec: dict[str, Any],
    *,
    settings: Settings | None = None,
    metric: MetricDefinition | None = None,
) -> WidgetData:
    """Rows for one widget: from cache when fresh, otherwise one gated query per key.

    A cache hit touches neither the catalog nor the warehouse. Raises pydantic's
    `ValidationError` for a malformed data intent, `UnknownMetric`, `MetricValidationError`,
    `CompileError`,
    `SafetyError`, a typed `WarehouseError`, or (LLM generator) a typed `BuilderModeError`.
    `metric` (a preview's one-off metric, not in the catalog yet) is validated against the
    dictionary and used instead of the catalog's.
    """
    settings = settings or get_settings()
    if (spec.get("data_intent") or {}).get("kind") == "records":
        return await _resolve_records(widget_id, spec, settings)
    intent = DataIntent.model_validate(spec.get("data_intent") or {})
    key = cache_key(widget_id, spec)
    ttl = [0]
    given = metric

    async def compute() -> bytes:
        from command_center.warehouse.factory import warehouse_for

        if given is not None:
            validate_metric_definition(given)
        metric = given if given is not None else await _metric(intent.metric)
        route = route_for(metric)
        ttl[0] = route.ttl_seconds
        warehouse = warehouse_for(route.backend, settings)
        return await _run_query(metric, intent, warehouse, settings=settings)

    with observe("warehouse.query") as span:
        started = time.perf_counter()
        cache = widget_cache(settings)
        payload, cached = await cache.get_or_compute(key, lambda: ttl[0], compute)
        document = json.loads(payload)
        if cached and _warehouse_advanced(document, settings):  # the sync published newer rows
            await cache.invalidate(key)
            payload, cached = await cache.get_or_compute(key, lambda: ttl[0], compute)
            document = json.loads(payload)
        _trace_query(span, document, cached, started)
    if cached:  # the source stays: where the rows came from, not how they got here
        document["cached_at"] = document.get("generated_at", "")
    return WidgetData.model_construct(
        widget_id=widget_id,
        metric_id=intent.metric,
        cache_key=key,
        cached=cached,
        **document,
    )


def _trace_query(span: Any, document: dict[str, Any], cached: bool, started: float) -> None:
    """Attributes of a `warehouse.query` span: backend, SQL hash, rows, duration, cache hit."""
    source = document.get("source", "")
    span.update(metadata={"backend": _BACKENDS.get(source, source), "cache_hit": cached,
                          "sql_hash": sql_hash(document.get("sql", "")),
                          "rows": len(document.get("rows", ())),
                          "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                          "query_ms": document.get("duration_ms")})  # fmt: skip


async def _resolve_records(widget_id: str, spec: dict[str, Any], settings: Settings) -> WidgetData:
    """Rows of a records intent (custom feeds and lists): compiled, gated, cached like metrics.

    Raises `ValidationError`, `RecordsError` (table/column outside the dictionary or
    sensitive), `SafetyError` or a typed `WarehouseError`.
    """
    from command_center.sql.records import RecordsIntent, records_sql, table_backend
    from command_center.warehouse.factory import warehouse_for

    intent = RecordsIntent.model_validate(spec["data_intent"])
    key = cache_key(widget_id, spec)
    label = f"records:{intent.table}"

    async def compute() -> bytes:
        started = time.perf_counter()
        warehouse = warehouse_for(table_backend(intent), settings)  # type: ignore[arg-type]
        generated = records_sql(intent, warehouse.dialect)
        audited = MetricDefinition.model_construct(id=label)
        result = await _audited_query(warehouse, generated.sql, generated.safety, audited,
                                      intent, started, generator="records")  # fmt: skip
        document = _document(result, warehouse, generated.sql, started)
        return json.dumps(document, separators=(",", ":"), default=str).encode()

    ttl = min(intent.refresh_seconds, 60)
    with observe("warehouse.query") as span:
        started = time.perf_counter()
        payload, cached = await widget_cache(settings).get_or_compute(key, lambda: ttl, compute)
        document = json.loads(payload)
        _trace_query(span, document, cached, started)
    if cached:  # the source stays: where the rows came from, not how they got here
        document["cached_at"] = document.get("generated_at", "")
    return WidgetData.model_construct(
        widget_id=widget_id, metric_id=label, cache_key=key, cached=cached, **document
    )


def _warehouse_advanced(document: dict[str, Any], settings: Settings) -> bool:
    """True when cached rows came from an older local-warehouse snapshot than the current one
    (one `stat` of the snapshot pointer; other backends carry no version)."""
    version = document.get("warehouse_version")
    if not version or settings.warehouse_mode != "local":
        return False
    from command_center.warehouse.factory import warehouse_for

    current = getattr(warehouse_for("databricks", settings), "data_version", lambda: None)()
    return current is not None and current != version


async def _run_query(
    metric: MetricDefinition,
    intent: DataIntent,
    warehouse: Any,
    *,
    settings: Settings | None = None,
) -> bytes:
    """Generate and gate the metric's SQL (the one SQL-generation service, as
    `/v1/sql/generate`), run it and audit it off the response path."""
    started = time.perf_counter()
    generated, _generator = await gated_sql(metric, intent, warehouse, settings=settings)
    result = await _audited_query(warehouse, generated.sql, generated.safety, metric, intent,
                                  started, generator=generated.generator)  # fmt: skip
    document = _document(result, warehouse, generated.sql, started)
    document.update(as_of=result.as_of, warehouse_version=result.data_version)
    return json.dumps(document, separators=(",", ":")).encode()


async def _audited_query(
    warehouse: Any,
    sql: str,
    safety: SafetyResult,
    metric: MetricDefinition,
    intent: BaseModel,
    started: float,
    *,
    generator: str,
) -> Any:
    """Run gate-approved `sql`; one `sql_generation_log` row (rows or error) is written in the
    background whatever the outcome (see `drain_background`)."""
    result, error = None, None
    try:
        result = await timed_query(warehouse, sql)
    except Exception as exc:
        error = str(exc)
        raise
    finally:
        rows = result.row_count if result else None
        in_background(audit(metric, intent, safety, sql, warehouse.name, started, rows, error,
                            generator=generator))  # fmt: skip
    return result


def _document(result: Any, warehouse: Any, sql: str, started: float) -> dict[str, Any]:
    """The cached document of a query result: rows, where and when they came from, the SQL."""
    return {
        "columns": result.columns,
        "rows": result.rows,
        "source": SOURCE_LABELS.get(warehouse.name, warehouse.name),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sql": sql,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    }
