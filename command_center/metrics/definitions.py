"""Metric definitions: the typed shape, the seeded catalog entries (`config/metrics.yaml`) and
the KPI tiles' metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, Field

from command_center.settings import PROJECT_ROOT

Backend = Literal["postgres", "databricks"]
MAX_WINDOW_DAYS = 1826  # five years: the longest trailing window a metric or widget may ask for
Name = Annotated[str, Field(min_length=1, max_length=80)]
WAREHOUSE_TABLE = "l3_asurion.ev_claim"
METRICS_PATH = PROJECT_ROOT / "config" / "metrics.yaml"


class MetricDefinition(BaseModel):
    """A metric: what to measure, on which table, over which time column and dimensions.

    `measure` is a SQL aggregate expression in the Databricks dialect; `base_filter` is an
    optional boolean SQL expression always applied; `window_days` is the default trailing
    window (None = all time); `dimensions` are the columns a widget may group or filter by.
    An empty `time_column` is a table of things that exist with no date (plans): the metric
    is the current state, with no window, period or time series.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,79}$")
    label: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=500)
    source_table: str = Field(min_length=1, max_length=120)
    measure: str = Field(min_length=1, max_length=1000)
    time_column: str = Field(default="", max_length=80)
    window_days: int | None = Field(default=None, ge=1, le=MAX_WINDOW_DAYS)
    base_filter: str = Field(default="", max_length=1000)
    dimensions: list[Name] = Field(default_factory=list, max_length=30)
    default_dimensions: list[Name] = Field(default_factory=list, max_length=5)
    synonyms: list[Annotated[str, Field(max_length=120)]] = Field(
        default_factory=list, max_length=30
    )
    unit: Literal["count", "ratio", "currency", "hours", "rate"] = "count"
    backend: Backend = "postgres"
    origin: Literal["seed", "promoted"] = "seed"


def load_seeded_metrics(path: Path = METRICS_PATH) -> list[MetricDefinition]:
    """The seeded catalog entries of `config/metrics.yaml`, in file order (validated)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        MetricDefinition(id=metric_id, **entry)
        for metric_id, entry in (document.get("metrics") or {}).items()
    ]


SEEDED_METRICS: list[MetricDefinition] = load_seeded_metrics()


# Dashboard KPI tile -> (catalog metric, window_days): the tile shows that widget's number.
KPI_METRICS: dict[str, tuple[str, int | None]] = {
    "open_claims": ("open_claims", None),
    "claims_filed_today": ("claims_filed_today", None),
    "approval_rate_24h": ("approval_rate", 1),
    "mean_time_to_resolution_7d_hours": ("mean_time_to_resolution", 7),
    "sla_breaches": ("sla_breaches", None),
    "active_sessions": ("active_issue_sessions", None),
    "events_per_minute": ("events_per_minute", None),
}


def seeded_metric(metric_id: str) -> MetricDefinition:
    """Look up a seeded metric by id (KeyError when unknown)."""
    for metric in SEEDED_METRICS:
        if metric.id == metric_id:
            return metric
    raise KeyError(metric_id)
