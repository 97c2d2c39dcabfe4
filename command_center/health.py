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


_llm_checks: dict[tuple[str, ...], tuple[float, DependencyHealth]] = {}


async def check_llm(settings: Settings) -> DependencyHealth:
    """Offline: always up. Live: a one-token call to the fast-tier model, cached for
    HEALTH_LLM_TTL_SECONDS (so health polling costs at most one call a minute)."""
    mode = settings.builder_mode.value
    if mode != "live":
        return DependencyHealth(
            name="llm", mode=mode, status="ok", detail="deterministic offline builder"
        )
    key = (settings.bedrock_model_id, settings.bedrock_endpoint_url, settings.aws_region)
    cached = _llm_checks.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1].model_copy(update={"detail": f"{cached[1].detail} (cached)".strip()})

    async def probe() -> str:
        from command_center.llm.bedrock import BedrockLLM
        from command_center.llm.errors import BuilderModeError

        try:
            model = await asyncio.to_thread(BedrockLLM(settings).ping)
        except BuilderModeError as exc:
            raise RuntimeError(f"{exc.kind}: {exc.message}") from None
        return f"fast={model} answered; reasoning={settings.bedrock_reasoning_model_id}"

    result = await _timed("llm", mode, probe)
    if result.status == "down" and result.detail.startswith("throttled"):
        result.status = "degraded"  # it answers, it is only limiting us
    _llm_checks[key] = (time.monotonic() + settings.health_llm_ttl_seconds, result)
    return result


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
    """Off, or Langfuse: does its endpoint answer? Unreachable is "degraded" (users are not
    affected, only traces are lost), never "down"."""
    if settings.tracing_mode != "langfuse":
        return DependencyHealth(name="tracing", mode="off", status="off")
    host = (settings.langfuse_host or "https://cloud.langfuse.com").rstrip("/")

    async def probe() -> str:
        import httpx

        async with httpx.AsyncClient(timeout=3) as client:
            response = await client.get(f"{host}/api/public/health")
        if response.status_code >= 500:
            raise RuntimeError(f"{host} answered {response.status_code}")
        return f"{host} answered {response.status_code}"

    result = await _timed("tracing", "langfuse", probe)
    if result.status == "down":
        result.status = "degraded"
    return result


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
