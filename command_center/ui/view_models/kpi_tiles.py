"""KPI tiles view-model: tile metadata and formatted values."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from command_center.ui.view_models.formatting import format_value, humanize


class KpiTile(BaseModel):
    """One tile: id, label, raw value and the formatted text shown."""

    id: str
    label: str
    value: float | None
    display: str
    unit: str = "count"
    hint: str = ""


TILE_META: dict[str, tuple[str, str, str]] = {
    "open_claims": ("Open claims", "count", "filed, in review or approved"),
    "claims_filed_today": ("Claims filed today", "count", "since 00:00 UTC"),
    "approval_rate_24h": ("Approval rate 24 h", "ratio", "approved ÷ decided"),
    "mean_time_to_resolution_7d_hours": ("Mean time to resolution", "hours", "last 7 days"),
    "sla_breaches": ("SLA breaches", "count", "open claims older than 48 h"),
    "active_sessions": ("Active issue sessions", "count", "open or escalated"),
    "events_per_minute": ("Events per minute", "rate", "last 60 seconds"),
}


def to_tiles(kpis: dict[str, Any]) -> list[KpiTile]:
    """Turn a `{kpi_id: value}` mapping into display tiles, in a stable order."""
    tiles = []
    for kpi_id, value in kpis.items():
        label, unit, hint = TILE_META.get(kpi_id, (humanize(kpi_id), "count", ""))
        number = None if value is None else float(value)
        tiles.append(
            KpiTile(
                id=kpi_id,
                label=label,
                value=number,
                display=format_value(number, unit),
                unit=unit,
                hint=hint,
            )
        )
    order = list(TILE_META)
    return sorted(tiles, key=lambda t: order.index(t.id) if t.id in order else len(order))
