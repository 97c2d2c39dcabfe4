"""Health of the warehouses the app routes metrics to."""

from __future__ import annotations

import asyncio

from command_center.settings import Settings, get_settings
from command_center.warehouse.base import HealthResult
from command_center.warehouse.factory import warehouse_for


async def warehouse_health(settings: Settings | None = None) -> HealthResult:
    """Health of the analytics warehouse (Databricks when configured, else local DuckDB)."""
    return await warehouse_for("databricks", settings or get_settings()).health()


async def all_warehouse_health(settings: Settings | None = None) -> dict[str, HealthResult]:
    """Health of both routing targets, keyed by routing backend ("databricks", "postgres")."""
    settings = settings or get_settings()
    backends = ("databricks", "postgres")
    results = await asyncio.gather(*(warehouse_for(b, settings).health() for b in backends))
    return dict(zip(backends, results, strict=True))
