"""A widget's data under the dashboard's time range and filters: the one service the
dashboard state and `POST /v1/widgets/{id}/data` call.

The choice is applied to the widget's data intent (`filters.apply_choice`), so the resolver's
cache key, its compiled (or gated LLM) SQL and its audit row all see the same intent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from command_center.dashboards.filters import (
    ViewChoice,
    allowed_values,
    apply_choice,
    filter_options,
    load_config,
    parse_choice,
)
from command_center.metrics.definitions import MetricDefinition
from command_center.resolver import WidgetData, metric_definition, resolve_widget_data

log = logging.getLogger(__name__)


def filter_choices() -> list[dict[str, Any]]:
    """Blocking: each filter's key, label and known values (the semantic layer's snapshot,
    read from the data on first use). Unreadable values mean no choices, never an error."""
    from command_center.semantic.values import value_store

    try:
        known = value_store().get()
    except Exception as exc:  # no choices is better than no dashboard
        log.warning("filter values unavailable: %s", exc)
        known = {}
    return filter_options(known)


def checked_choice(params: Mapping[str, str]) -> ViewChoice:
    """Blocking: `parse_choice` with filter values limited to the known ones (read only when
    a filter is named). Raises `ChoiceError`."""
    named = any(params.get(key) for key in load_config().filters)
    return parse_choice(params, allowed_values(filter_choices()) if named else None)


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
