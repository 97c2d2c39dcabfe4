"""Flatten a widget spec plus its rows into the small view dict the UI renders."""

from __future__ import annotations

import math
from typing import Any

from command_center.kpi_snapshot import format_value

VALUE_UNITS = {"number": "count", "percent": "ratio", "currency": "currency", "hours": "hours"}
MAX_POINTS = 50
MAX_TABLE_ROWS = 100


def _label(row: dict[str, Any], dimensions: list[str]) -> str:
    parts = [str(row.get(dim, "")) for dim in dimensions]
    return " · ".join(p for p in parts if p) or "all"


def _number(value: Any) -> float:
    numeric = _numeric(value)
    return 0.0 if numeric is None else numeric


def _numeric(value: Any) -> float | None:
    """`value` as a rounded finite float, or None when it is not a number."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, 4) if math.isfinite(number) else None


def widget_view(
    widget_id: str,
    spec: dict[str, Any],
    rows: list[dict[str, Any]] | None,
    *,
    source: str = "",
    cached: bool = False,
    generated_at: str = "",
    status: str = "ok",
    error: str = "",
) -> dict[str, Any]:
    """The render-ready view of one widget (`status`: loading | ok | error)."""
    intent = spec.get("data_intent") or {}
    dimensions = [
        c for c in (rows[0].keys() if rows else intent.get("dimensions", [])) if c != "value"
    ]
    unit = VALUE_UNITS.get(spec.get("value_format", "number"), "count")
    rows = rows or []
    first_value = _numeric(rows[0].get("value")) if rows else None
    columns = spec.get("columns") or (list(rows[0].keys()) if rows else [])
    return {
        "id": widget_id,
        "type": spec.get("type", "table"),
        "title": spec.get("title", "Widget"),
        "chart_kind": spec.get("chart_kind", "bar"),
        "accent": spec.get("accent", "blue"),
        "metric": intent.get("metric", ""),
        "status": status,
        "error": error,
        "source": source,
        "cached": cached,
        "generated_at": generated_at,
        "display": format_value(first_value, unit) if first_value is not None else "—",
        "points": [
            {"label": _label(row, dimensions), "value": _number(row.get("value"))}
            for row in rows[:MAX_POINTS]
        ],
        "columns": columns,
        "rows": [[_cell(row.get(c)) for c in columns] for row in rows[:MAX_TABLE_ROWS]],
        "empty": not rows,
    }


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)
