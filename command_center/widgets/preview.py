"""Preview a spec on real data without persisting it: the resolver's own path (cache, SQL
safety gate, source badge); the spec's sample rows, labelled as such, only when the backend
is down. One service for the builder UI and `POST /v1/widgets/preview`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from command_center.metrics.definitions import MetricDefinition
from command_center.resolver import WidgetData, canonical_hash, resolve_widget_data
from command_center.settings import Settings
from command_center.warehouse.errors import WarehouseError

SAMPLE_SOURCE = "sample rows — backend unavailable"
_DOWN_KINDS = frozenset({"unavailable", "timeout"})


def preview_id(spec: dict[str, Any], metric: MetricDefinition | None = None) -> str:
    """The cache identity of a preview: one per spec and one-off metric definition (the same
    spec over another definition is other rows), never a dashboard widget's id."""
    if metric is None:
        return f"preview-{canonical_hash(spec)}"
    return f"preview-{canonical_hash(spec)}-{canonical_hash(metric.model_dump(mode='json'))}"


async def preview_data(
    spec: dict[str, Any],
    promote_metric: MetricDefinition | dict[str, Any] | None = None,
    *,
    settings: Settings | None = None,
) -> WidgetData:
    """Rows for an unsaved spec. A one-off metric (`promote_metric`) is validated and used
    as given. Raises what `resolve_widget_data` raises, except that a warehouse that is down
    (`unavailable`/`timeout`) yields the spec's `mock_data` with source `SAMPLE_SOURCE`."""
    metric = (
        MetricDefinition.model_validate(promote_metric)
        if isinstance(promote_metric, dict)
        else promote_metric
    )
    widget_id = preview_id(spec, metric)
    try:
        return await resolve_widget_data(widget_id, spec, settings=settings, metric=metric)
    except WarehouseError as exc:
        if exc.kind not in _DOWN_KINDS:
            raise
        rows = [dict(row) for row in spec.get("mock_data") or []]
        columns = sorted({key for row in rows for key in row})
        intent = spec.get("data_intent") or {}
        return WidgetData.model_construct(
            widget_id=widget_id,
            metric_id=str(intent.get("metric") or intent.get("table") or ""),
            columns=columns,
            rows=rows,
            source=SAMPLE_SOURCE,
            generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
            cached=False,
            cache_key="",
            sql="",
        )
