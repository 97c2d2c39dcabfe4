"""Dependency health: each backend's mode and whether it answers."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text

from command_center.settings import Settings, get_settings


class DependencyHealth(BaseModel):
    """One dependency's mode ("sqlite", "redis", "offline", …) and status."""

    name: str
    mode: str
    status: str  # ok | degraded | down | off
    latency_ms: float | None = None
    detail: str = ""


class HealthReport(BaseModel):
    """All dependencies; `status` is ok only when none is down."""

    status: str
    dependencies: list[DependencyHealth]


async def _timed(name: str, mode: str, probe: Any) -> DependencyHealth:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(probe(), timeout=5)
    except Exception as exc:  # every failure becomes a "down" entry with its reason
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return DependencyHealth(name=name, mode=mode, status="down", detail=reason[:300])
    latency = round((time.perf_counter() - started) * 1000, 2)
    return DependencyHealth(
        name=name, mode=mode, status="ok", latency_ms=latency, detail=detail or ""
    )


async def check_database(settings: Settings) -> DependencyHealth:
    """Run `SELECT 1` on the OLTP database."""
    from command_center.db.session import get_engine

    def probe() -> str:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return ""

    return await _timed("database", settings.database_mode, lambda: asyncio.to_thread(probe))


async def check_cache(settings: Settings) -> DependencyHealth:
    """PING Redis when configured; the in-process cache is always up."""
    if not settings.redis_url:
        return DependencyHealth(name="cache", mode="in-process", status="ok")

    async def probe() -> str:
        import redis.asyncio as redis

        client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=2)
        try:
            await client.ping()
        finally:
            await client.aclose()
        return ""

    return await _timed("cache", "redis", probe)


async def check_llm(settings: Settings) -> DependencyHealth:
    """The builder's LLM mode; live mode reports its model ids (no paid call is made)."""
    mode = settings.builder_mode.value
    detail = (
        f"fast={settings.bedrock_model_id} reasoning={settings.bedrock_reasoning_model_id}"
        if mode == "live"
        else "deterministic offline builder"
    )
    return DependencyHealth(name="llm", mode=mode, status="ok", detail=detail)


async def check_warehouse(settings: Settings) -> DependencyHealth:
    """Sample the warehouse table through the configured warehouse."""
    from command_center.warehouse.health import warehouse_health

    async def probe() -> str:
        result = await warehouse_health(settings)
        if not result.ok:
            raise RuntimeError(result.detail or "warehouse unhealthy")
        return f"rows_sampled={result.rows_sampled}"

    return await _timed("warehouse", settings.warehouse_mode, probe)


async def check_tracing(settings: Settings) -> DependencyHealth:
    """Tracing is either Langfuse (configured) or off."""
    status = "ok" if settings.tracing_mode == "langfuse" else "off"
    return DependencyHealth(name="tracing", mode=settings.tracing_mode, status=status)


async def health_report(settings: Settings | None = None) -> HealthReport:
    """Check every dependency concurrently."""
    settings = settings or get_settings()
    checks = await asyncio.gather(
        check_database(settings),
        check_cache(settings),
        check_llm(settings),
        check_warehouse(settings),
        check_tracing(settings),
    )
    overall = "ok" if all(c.status != "down" for c in checks) else "degraded"
    return HealthReport(status=overall, dependencies=list(checks))
