"""Widget card view-model: a widget spec plus its rows → the small dict a card renders.

Charts get `points` (one dict per category, one key per series, None for a gap) and
`series` (key, human name, colour): a second dimension becomes one series per value.
Tables get labelled columns, display text and sort keys per cell.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from command_center.sql.compiler import TIME_GRAINS
from command_center.ui.theme import ACCENTS
from command_center.ui.view_models.formatting import (
    MISSING,
    format_cell,
    format_value,
    humanize,
    number,
    time_label,
    unit_of,
)
from command_center.widgets.custom.compile import cached_js

MAX_POINTS = 50
MAX_SERIES = 8
MAX_TABLE_ROWS = 100
MAX_RECORDS = 200  # rows a custom widget receives (the records intent caps at 200)
LONG_LABEL = 14  # beyond this, category ticks are rotated
SINGLE_SERIES_KINDS = {"pie", "radial_bar"}
DRAWN_WITHOUT_TABLE = {"kpi", "chart", "custom"}  # the card's table is for every other type
PALETTE = list(ACCENTS.values())


def _dimensions(rows: list[dict[str, Any]], intent: dict[str, Any]) -> list[str]:
    names = list(rows[0].keys()) if rows else list(intent.get("dimensions") or [])
    return [name for name in names if name != "value"]


def _shown(row: dict[str, Any], dim: str) -> str:
    """One dimension's value as a label: a time bucket by its grain, else humanised."""
    value = row.get(dim)
    return time_label(dim, value) if dim in TIME_GRAINS else humanize(value)


def _label(row: dict[str, Any], dimensions: list[str]) -> str:
    parts = [_shown(row, dim) for dim in dimensions if row.get(dim) not in (None, "")]
    return " · ".join(parts) or "All"


def chart_data(
    rows: list[dict[str, Any]],
    dimensions: list[str],
    *,
    kind: str,
    accent: str,
    value_name: str,
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """(points, series): one series, or one per second-dimension value (pie: one). A time
    series keeps its latest MAX_POINTS buckets (rows come oldest first)."""
    color = ACCENTS.get(accent, PALETTE[0])
    if dimensions and dimensions[0] in TIME_GRAINS:
        buckets = list(dict.fromkeys(row.get(dimensions[0]) for row in rows))
        latest = set(buckets[-MAX_POINTS:])
        rows = [row for row in rows if row.get(dimensions[0]) in latest]
    if len(dimensions) < 2 or kind in SINGLE_SERIES_KINDS:
        points = [
            {"label": _label(row, dimensions), "value": number(row.get("value"))}
            for row in rows[:MAX_POINTS]
        ]
        return points, [{"key": "value", "name": value_name, "color": color}]
    first, second = dimensions[0], dimensions[1]
    names: list[str] = []
    by_label: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = _shown(row, second) or MISSING
        if name not in names:
            if len(names) >= MAX_SERIES:
                continue
            names.append(name)
        label = _shown(row, first) or MISSING
        if label not in by_label:
            if len(by_label) >= MAX_POINTS:
                continue
            by_label[label] = {"label": label}
        by_label[label][f"s{names.index(name)}"] = number(row.get("value"))
    keys = [f"s{i}" for i in range(len(names))]
    points = [{key: point.get(key) for key in keys} | point for point in by_label.values()]
    start = PALETTE.index(color) if color in PALETTE else 0
    series = [
        {"key": key, "name": name, "color": PALETTE[(start + i) % len(PALETTE)]}
        for i, (key, name) in enumerate(zip(keys, names, strict=True))
    ]
    return points, series


def table_data(
    rows: list[dict[str, Any]], columns: list[str], unit: str
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """(columns, rows): labelled columns (numeric ones right-aligned), cells with text and
    a sort key. The measure (`value`) is formatted in the widget's unit."""
    shown = rows[:MAX_TABLE_ROWS]
    heads = []
    for column in columns:
        values = [row.get(column) for row in shown if row.get(column) is not None]
        numeric = bool(values) and all(number(v) is not None for v in values)
        label = "Value" if column == "value" else humanize(column)
        heads.append({"key": column, "label": label, "numeric": numeric})
    cells = []
    for row in shown:
        line = []
        for head in heads:
            raw = row.get(head["key"])
            text = format_value(raw, unit) if head["key"] == "value" else format_cell(raw)
            amount = number(raw) if head["numeric"] else None
            sort = amount if amount is not None else str(raw if raw is not None else "")
            line.append({"text": text, "sort": sort})
        cells.append(line)
    return heads, cells


def freshness(generated_at: str, now: datetime | None = None) -> tuple[str, str]:
    """("42 s ago", "14:03:12") for an ISO timestamp; ("", "") when unreadable."""
    try:
        stamp = datetime.fromisoformat(generated_at)
    except (TypeError, ValueError):
        return "", ""
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    seconds = max(0, int(((now or datetime.now(UTC)) - stamp).total_seconds()))
    age = f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago"
    return age, stamp.astimezone(UTC).strftime("%H:%M:%S")


def widget_view(
    widget_id: str,
    spec: dict[str, Any],
    rows: list[dict[str, Any]] | None,
    *,
    source: str = "",
    cached: bool = False,
    generated_at: str = "",
    cached_at: str = "",
    as_of: str | None = None,
    status: str = "ok",
    error: str = "",
    value_name: str = "",
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """The render-ready view of one widget (`status`: loading | ok | error)."""
    intent = spec.get("data_intent") or {}
    rows = rows or []
    dimensions = _dimensions(rows, intent)
    unit = unit_of(spec)
    kind = str(spec.get("chart_kind") or "bar")
    accent = str(spec.get("accent") or "blue")
    first_value = number(rows[0].get("value")) if rows else None
    widget_type = spec.get("type", "table")
    # only the shape the card draws goes out (the views list is re-sent on every refresh)
    points, series = [], []
    if widget_type == "chart":
        points, series = chart_data(
            rows,
            dimensions,
            kind=kind,
            accent=accent,
            value_name=value_name or humanize(intent.get("metric") or "value"),
        )
    columns, cells = [], []
    if widget_type not in DRAWN_WITHOUT_TABLE:
        headings = list(spec.get("columns") or (rows[0] if rows else []))
        columns, cells = table_data(rows, headings, unit)
    age, updated = freshness(cached_at or generated_at)
    longest = max((len(str(p["label"])) for p in points), default=0)
    return {
        "id": widget_id,
        "type": widget_type,
        "title": spec.get("title", "Widget"),
        "chart_kind": kind,
        "accent": accent,
        "metric": intent.get("metric", ""),
        "unit": unit,
        "status": status,
        "error": error,
        "source": source,
        "cached": cached,
        "generated_at": generated_at,
        "cached_at": cached_at,
        "as_of": f"{freshness(as_of)[1]} UTC" if as_of else "",  # a synced warehouse's data time
        "age": age,
        "updated": updated,
        "display": format_value(first_value, unit),
        "points": points,
        "series": series,
        "rotate_labels": longest > LONG_LABEL or len(points) > 8,
        "columns": columns,
        "rows": cells,
        "notes": list(notes or []),
        "empty": not rows and widget_type != "custom",  # a component shows its own
        **_custom_fields(spec, rows),
    }


def _custom_fields(spec: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A custom widget's component and its rows as JSON values (sent into the sandbox)."""
    if spec.get("type") != "custom":
        return {"tsx_source": "", "compiled_js": "", "display_name": "", "records": [],
                "record_columns": []}  # fmt: skip
    records = [
        {str(k): v if v is None or isinstance(v, bool | int | float | str) else str(v)
         for k, v in row.items()}
        for row in rows[:MAX_RECORDS]
    ]  # fmt: skip
    return {
        "tsx_source": spec.get("tsx_source", ""),
        "compiled_js": cached_js(str(spec.get("tsx_source", ""))),
        "display_name": spec.get("display_name", ""),
        "records": records,
        "record_columns": list(rows[0].keys()) if rows else [],
    }
