"""Dashboard time range and filters: which widgets they apply to, and how.

`config/dashboard_filters.yaml` names the filters (region, product, make, channel), the
columns each one means and the range presets. A choice becomes part of each widget's data
intent (`window_days`, `filters`), so the widget-data cache key includes it; a widget whose
metric cannot honour a filter keeps its data and gets a note saying so; a filter narrows a
widget's own filter on the same column and never replaces it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from command_center.metrics.definitions import MetricDefinition
from command_center.sql.intent import DataIntent

CONFIG = Path(__file__).resolve().parents[2] / "config" / "dashboard_filters.yaml"
MAX_DAYS = next(  # the data intent's own limit on window_days
    int(m.le) for m in DataIntent.model_fields["window_days"].metadata if hasattr(m, "le")
)
MAX_VALUE = 120
CUSTOM_PREFIX = "custom:"  # "custom:14" = the last 14 days


@dataclass(frozen=True)
class FilterConfig:
    """The filters (key → label, columns) and range presets (id → label, days)."""

    filters: dict[str, dict[str, Any]]
    ranges: dict[str, dict[str, Any]]


@lru_cache(maxsize=1)
def load_config(path: Path = CONFIG) -> FilterConfig:
    """Read `config/dashboard_filters.yaml` (once per process)."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    ranges = {str(r["id"]): {"label": r["label"], "days": int(r["days"])} for r in raw["ranges"]}
    return FilterConfig(filters=dict(raw["filters"]), ranges=ranges)


@dataclass
class ViewChoice:
    """What the operator chose: a range (preset id or `custom:N`) and filter values."""

    range: str = ""
    filters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: dict[str, str]) -> ViewChoice:
        """From URL query parameters; unknown keys and unusable values are dropped."""
        config = load_config()
        choice = cls(range=params.get("range", ""))
        if range_days(choice.range) is None:
            choice.range = ""
        for key in config.filters:
            value = str(params.get(key) or "")[:MAX_VALUE]
            if value:
                choice.filters[key] = value
        return choice

    def params(self) -> dict[str, str]:
        """As URL query parameters (empty ones left out)."""
        return {k: v for k, v in {"range": self.range, **self.filters}.items() if v}

    @property
    def active(self) -> bool:
        """Whether anything is chosen."""
        return bool(self.range or self.filters)


def range_days(choice: str) -> int | None:
    """Days of a preset id or `custom:N`; None for "" or anything unusable."""
    if choice.startswith(CUSTOM_PREFIX):
        digits = choice[len(CUSTOM_PREFIX) :]
        return int(digits) if digits.isdigit() and 1 <= int(digits) <= MAX_DAYS else None
    preset = load_config().ranges.get(choice)
    return preset["days"] if preset else None


def filter_column(metric: MetricDefinition | None, key: str) -> str | None:
    """The metric's column that filter `key` means, or None when it cannot be honoured."""
    if metric is None:
        return None
    columns = load_config().filters.get(key, {}).get("columns", [])
    return next((c for c in columns if c in metric.dimensions), None)


def apply_choice(
    spec: dict[str, Any], metric: MetricDefinition | None, choice: ViewChoice
) -> tuple[dict[str, Any], list[str]]:
    """The spec the widget is resolved with under `choice`, and notes for what it ignores."""
    if not choice.active:
        return spec, []
    intent = spec.get("data_intent") or {}
    if "metric" not in intent or metric is None:
        return spec, ["Dashboard time range and filters do not apply to this widget"]
    applied = copy.deepcopy(spec)
    new_intent = applied["data_intent"]
    notes = []
    days = range_days(choice.range)
    if days is not None and metric.window_days is not None:
        new_intent["window_days"] = days
    elif days is not None:  # a point-in-time metric (open claims now): no window to set
        notes.append("Not limited by the time range")
    labels = load_config().filters
    for key, value in choice.filters.items():
        column = filter_column(metric, key)
        label = labels.get(key, {}).get("label", key).lower()
        if column is None:
            notes.append(f"Not filtered by {label}")
            continue
        own = new_intent.get("filters", {}).get(column)
        if own is not None and value not in ([own] if isinstance(own, str) else own):
            notes.append(f"Not filtered by {label}: the widget shows only its own")
            continue  # a dashboard filter narrows a widget's own filter, never replaces it
        new_intent.setdefault("filters", {})[column] = value
    return applied, notes


def filter_options(known: dict[tuple[str, str], list[str]]) -> list[dict[str, Any]]:
    """Each filter's key, label and choices: the known values of its columns, merged."""
    options = []
    for key, entry in load_config().filters.items():
        values: set[str] = set()
        for (_table, column), found in known.items():
            if column in entry["columns"]:
                values.update(found)
        options.append({"key": key, "label": entry["label"], "values": sorted(values)})
    return options


def range_options() -> list[dict[str, str]]:
    """The presets as (id, label)."""
    return [{"id": k, "label": v["label"]} for k, v in load_config().ranges.items()]
