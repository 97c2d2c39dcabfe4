"""KPI tiles view-model: tile metadata and thresholds (config/kpi_tiles.yaml), formatted values."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
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
    alert: str = ""  # e.g. "above 0": the value is past the tile's threshold


TILES_CONFIG = Path(__file__).resolve().parents[3] / "config" / "kpi_tiles.yaml"


@lru_cache(maxsize=1)
def tile_config(path: Path = TILES_CONFIG) -> dict[str, dict[str, Any]]:
    """Per-tile label, unit, hint and thresholds from `config/kpi_tiles.yaml`."""
    return dict((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("tiles") or {})


def alert_for(value: float | None, meta: dict[str, Any]) -> str:
    """Why the tile is red ("above 0", "below 50.0%"), or "" when within its thresholds."""
    if value is None:
        return ""
    unit = meta.get("unit", "count")
    above, below = meta.get("alert_above"), meta.get("alert_below")
    if above is not None and value > float(above):
        return f"above {format_value(above, unit)}"
    if below is not None and value < float(below):
        return f"below {format_value(below, unit)}"
    return ""


def to_tiles(kpis: dict[str, Any]) -> list[KpiTile]:
    """Turn a `{kpi_id: value}` mapping into display tiles, in a stable order."""
    config = tile_config()
    tiles = []
    for kpi_id, value in kpis.items():
        meta = config.get(kpi_id) or {"label": humanize(kpi_id)}
        unit = str(meta.get("unit", "count"))
        number = None if value is None else float(value)
        tiles.append(
            KpiTile(
                id=kpi_id,
                label=str(meta.get("label", kpi_id)),
                value=number,
                display=format_value(number, unit),
                unit=unit,
                hint=str(meta.get("hint", "")),
                alert=alert_for(number, meta),
            )
        )
    order = list(config)
    return sorted(tiles, key=lambda t: order.index(t.id) if t.id in order else len(order))
