"""Widget data resolution: cache → SQL (compiled, gated) → warehouse, one path for UI and API."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from command_center.metrics.catalog import get_metric
from command_center.metrics.routing import load_routing
from command_center.realtime.widget_cache import (
    InProcessBackend,
    RedisBackend,
    WidgetDataCache,
)
from command_center.settings import Settings, get_settings
from command_center.sql.intent import DataIntent

SOURCE_LABELS = {
    "local": "local warehouse",
    "databricks": "databricks",
    "postgres": "postgres",
    "sqlite": "sqlite",
}


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
    sql: str = ""
    duration_ms: float = 0.0


def canonical_hash(document: Any) -> str:
    """sha256 (first 16 hex chars) of the canonical JSON form of `document`."""
    encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:16]


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


_background_tasks: set[asyncio.Task] = set()


def _in_background(coroutine: Any) -> None:
    """Run the audit write off the response path, keeping a reference until it is done."""
    task = asyncio.ensure_future(coroutine)
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)


async def drain_background() -> None:
    """Wait for pending audit writes (tests, shutdown)."""
    while _background_tasks:
        await asyncio.gather(*list(_background_tasks), return_exceptions=True)


@lru_cache(maxsize=1)
def _routing():  # type: ignore[no-untyped-def]
    return load_routing()


async def resolve_widget_data(
    widget_id: str, spec: dict[str, Any], *, settings: Settings | None = None
) -> WidgetData:
    """Rows for one widget: from cache when fresh, otherwise one gated query per key.

    Raises `UnknownMetric`, `CompileError`, `SafetyError` or a typed `WarehouseError`.
    """
    from command_center.warehouse.factory import warehouse_for

    settings = settings or get_settings()
    intent = DataIntent.model_validate(spec.get("data_intent") or {})
    metric = await asyncio.to_thread(get_metric, intent.metric)
    route = _routing().route_for(metric.id, metric.backend)
    warehouse = warehouse_for(route.backend, settings)
    key = cache_key(widget_id, spec)

    async def compute() -> bytes:
        return await _run_query(metric, intent, warehouse)

    payload, cached = await widget_cache(settings).get_or_compute(key, route.ttl_seconds, compute)
    document = json.loads(payload)
    source = "cached" if cached else document["source"]
    return WidgetData(
        widget_id=widget_id,
        metric_id=metric.id,
        cache_key=key,
        cached=cached,
        **{**document, "source": source},
    )


async def _run_query(metric, intent: DataIntent, warehouse) -> bytes:  # type: ignore[no-untyped-def]
    from command_center.db.session import session_scope
    from command_center.sql.generation_log import log_generation
    from command_center.sql.generator import generate_sql

    started = time.perf_counter()
    generated = await asyncio.to_thread(generate_sql, metric, intent, warehouse.dialect)
    error = None
    result = None
    try:
        result = await warehouse.query(generated.sql)
    except Exception as exc:
        error = str(exc)
        raise
    finally:
        elapsed = (time.perf_counter() - started) * 1000

        def _log() -> None:
            with session_scope() as session:
                log_generation(
                    session,
                    metric_id=metric.id,
                    generator=generated.generator,
                    input=intent.model_dump(mode="json"),
                    sql=generated.sql,
                    safety=generated.safety,
                    backend=warehouse.name,
                    duration_ms=elapsed,
                    row_count=result.row_count if result else None,
                    error=error,
                )

        _in_background(asyncio.to_thread(_log))
    document = {
        "columns": result.columns,
        "rows": result.rows,
        "source": SOURCE_LABELS.get(warehouse.name, warehouse.name),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sql": generated.sql,
        "duration_ms": round(elapsed, 2),
    }
    return json.dumps(document, separators=(",", ":")).encode()
