"""Dashboard state: mode badges and KPI tiles."""

from __future__ import annotations

import asyncio

import reflex as rx

from command_center.kpi_snapshot import basic_kpis, to_tiles
from command_center.settings import get_settings


class DashboardState(rx.State):
    """What the dashboard shows: modes, KPI tiles, load status."""

    modes: dict[str, str] = {}
    tiles: list[dict[str, str]] = []
    loading: bool = True
    error: str = ""

    @rx.event
    async def load(self) -> None:
        """Load the mode badges and the KPI snapshot."""
        settings = get_settings()
        self.modes = {
            "database": settings.database_mode,
            "cache": settings.cache_mode,
            "llm": settings.builder_mode.value,
            "warehouse": "local warehouse" if settings.warehouse_mode == "local" else "databricks",
        }
        try:
            kpis = await asyncio.to_thread(basic_kpis)
        except Exception as exc:  # shown to the operator, not swallowed
            self.error = f"could not load KPIs: {exc}"
            self.loading = False
            return
        self.tiles = [{k: str(v) for k, v in tile.model_dump().items()} for tile in to_tiles(kpis)]
        self.error = ""
        self.loading = False
