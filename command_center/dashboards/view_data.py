"""A widget's data under the dashboard's time range and filters: the one service the
dashboard state and `POST /v1/widgets/{id}/data` call.

The choice is applied to the widget's data intent (`filters.apply_choice`), so the resolver's
cache key, its compiled (or gated LLM) SQL and its audit row all see the same intent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from command_center.dashboards.filters import ViewChoice, apply_choice
from command_center.metrics.definitions import MetricDefinition
from command_center.resolver import WidgetData, metric_definition, resolve_widget_data


@dataclass
class ViewData:
    """The resolved rows, the notes for what the widget ignores, and its metric (if any)."""

    data: WidgetData
    notes: list[str] = field(default_factory=list)
    metric: MetricDefinition | None = None


async def widget_data_in_view(
    widget_id: str, spec: dict[str, Any], choice: ViewChoice | None = None
) -> ViewData:
    """Rows for one widget under `choice` (none = the widget's own window and filters).

    Raises what `resolve_widget_data` raises."""
    metric = await metric_definition((spec.get("data_intent") or {}).get("metric"))
    applied, notes = apply_choice(spec, metric, choice or ViewChoice())
    data = await resolve_widget_data(widget_id, applied)
    return ViewData(data=data, notes=notes, metric=metric)
