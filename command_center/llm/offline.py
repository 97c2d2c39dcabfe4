"""Offline builder LLM: deterministic understanding over the semantic layer.

No network, no randomness: the same request always yields the same draft and spec. The
vocabulary comes from the catalog, the data dictionary and the data (`command_center.semantic`).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

from command_center.llm.base import BuilderContext, Critique, IntentDraft, MetricMatch
from command_center.metrics.definitions import MetricDefinition
from command_center.semantic.grammar import ACCENTS
from command_center.semantic.layer import TIME_DIMENSION, TIME_GRAINS
from command_center.semantic.parser import Understanding, understand
from command_center.semantic.timeaxis import GRAIN_WORDS
from command_center.sql.compiler import default_window, time_grain
from command_center.sql.intent import DataIntent
from command_center.sql.joins import column_home
from command_center.widgets.spec import (
    AnyWidgetSpec,
    ChartWidgetSpec,
    KpiWidgetSpec,
    TableWidgetSpec,
)


def draft_from(found: Understanding) -> IntentDraft:
    """The IntentDraft of an Understanding."""
    filters: dict[str, str | list[str]] = {
        c: v[0] if len(v) == 1 else list(v) for c, v in found.filters.items()
    }
    return IntentDraft(
        widget_type=found.widget_type,  # type: ignore[arg-type]
        chart_kind=found.chart_kind,  # type: ignore[arg-type]
        metric_id=found.metric.id if found.metric else None,
        metric_phrase=None,
        dimensions=[*([found.grain] if found.over_time else []), *found.dimensions],
        filters=filters,
        exclude=dict(found.exclude),
        window_days=found.window_days,
        period=found.period,
        limit=found.limit,
        sort=found.sort,  # type: ignore[arg-type]
        title=found.title,
        over_time=found.over_time,
        time_column=found.time_column,
        composed=found.metric.model_dump(mode="json") if found.composed and found.metric else None,
        custom_template=found.custom_template,
        ask=found.ask,
    )


class OfflineLLM:
    """Deterministic builder backend (BUILDER_MODE=offline)."""

    mode = "offline"

    def extract_intent(self, raw_input: str, context: BuilderContext) -> IntentDraft:
        """Understand the request over the semantic layer."""
        return draft_from(understand(raw_input, context.layer))

    def match_metric(
        self, raw_input: str, draft: IntentDraft, context: BuilderContext
    ) -> MetricMatch:
        """The parser already chose (or asked): echo its choice."""
        if draft.metric_id:
            return MetricMatch(metric_id=draft.metric_id, confidence=0.95)
        options = (draft.ask or {}).get("options") or []
        ids = [m.id for label in options for m in context.catalog if m.label == label]
        return MetricMatch(metric_id=None, confidence=0.0, candidates=ids)

    def synthesize_spec(
        self,
        raw_input: str,
        draft: IntentDraft,
        metric: MetricDefinition,
        context: BuilderContext,
        feedback: list[str] | None = None,
    ) -> AnyWidgetSpec:
        """Build the spec from a complete, resolved draft (deterministic mock data)."""
        return build_spec(raw_input, draft, metric, context)

    def critique(
        self,
        raw_input: str,
        spec: AnyWidgetSpec,
        metric: MetricDefinition | None,
        context: BuilderContext,
    ) -> Critique:
        """Check the spec against the data: filter values exist, the metric validates."""
        from command_center.widgets.nodes.critic import data_issues

        issues = data_issues(spec, metric, context)
        return Critique(ok=not issues, issues=issues)


# ---------------------------------------------------------------- spec building


def _accent(raw_input: str, metric: MetricDefinition) -> str:
    for word, accent in ACCENTS.items():
        if re.search(rf"\bin {word}\b|\b{word} (accent|colou?r)\b", raw_input.lower()):
            return accent
    return {"currency": "green", "ratio": "violet", "hours": "amber", "rate": "teal"}.get(
        metric.unit, "blue"
    )


def _value_format(metric: MetricDefinition) -> str:
    return {"ratio": "percent", "currency": "currency", "hours": "hours"}.get(metric.unit, "number")


def _dimension_label(column: str) -> str:
    return column if column in TIME_GRAINS else column.replace("_", " ")


def _label_names_grouping(label: str, groups: list[str]) -> bool:
    """True when the label already says the grouping ("Claims by product" + product_name)."""
    lowered = label.lower()
    if " by " not in lowered:
        return False
    return all(_dimension_label(d).split()[0].lower() in lowered for d in groups)


def default_title(draft: IntentDraft, metric: MetricDefinition) -> str:
    """A readable title: label, grouping, window."""
    label = re.sub(r"\s*\(.*?\)\s*", "", metric.label).strip() or metric.label
    parts = [label]
    groups = [d for d in draft.dimensions if d not in TIME_GRAINS]
    if groups and not _label_names_grouping(label, groups):
        parts.append("by " + " and ".join(_dimension_label(d) for d in groups))
    grain = time_grain(draft.dimensions)
    if grain:
        parts.append("over time" if grain == TIME_DIMENSION else GRAIN_WORDS[grain])
    if draft.time_column:
        parts.append(f"by {draft.time_column.removesuffix('_at').replace('_', ' ')} date")
    title = " ".join(parts)
    if draft.period:
        title += f" ({draft.period.replace('_', ' ')})"
    elif draft.window_days:
        title += f" (last {draft.window_days} days)" if draft.window_days > 1 else " (24 h)"
    return title


def _values_for(
    column: str, draft: IntentDraft, metric: MetricDefinition, context: BuilderContext | None
) -> list[str]:
    if column in TIME_GRAINS:
        return _time_buckets(column, draft.window_days or default_window(metric, column) or 14)
    home = column_home(metric, column, context.dictionary) if context else ("", column)
    known = context.values.get(home, []) if context else []
    return list(known[:12]) or [f"{column} {i}" for i in range(1, 5)]


def _time_buckets(grain: str, window_days: int) -> list[str]:
    """The last buckets of a `grain` series over `window_days` (at most 14), oldest first, as
    the compiler labels them ('YYYY-MM-DD', 'YYYY-MM-DD HH:00:00' for an hour)."""
    now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    today = now.date()
    if grain == "hour":
        hours = min(window_days * 24, 14)
        return [f"{now - timedelta(hours=h):%Y-%m-%d %H:%M:%S}" for h in range(hours - 1, -1, -1)]
    if grain == "week":
        monday = today - timedelta(days=today.weekday())
        count = min(max(1, window_days // 7), 14)
        return [(monday - timedelta(weeks=w)).isoformat() for w in range(count - 1, -1, -1)]
    if grain == "month":
        months, first = [], today.replace(day=1)
        for _ in range(min(max(1, window_days // 30), 14)):
            months.insert(0, first.isoformat())
            first = (first - timedelta(days=1)).replace(day=1)
        return months
    days = min(window_days, 14)
    return [(today - timedelta(days=offset)).isoformat() for offset in range(days - 1, -1, -1)]


def _mock_value(seed: str, metric: MetricDefinition) -> float:
    fraction = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if metric.unit == "ratio":
        return round(0.55 + 0.4 * fraction, 3)
    if metric.unit == "currency":
        return round(120 + 480 * fraction, 2)
    if metric.unit == "hours":
        return round(2 + 46 * fraction, 1)
    return float(int(20 + 380 * fraction))


def mock_rows(
    draft: IntentDraft, metric: MetricDefinition, context: BuilderContext | None = None
) -> list[dict[str, object]]:
    """Deterministic preview rows: one key per dimension plus `value`."""
    rows: list[dict[str, object]] = [{}]
    for column in draft.dimensions[:2]:
        values = _values_for(column, draft, metric, context)
        if isinstance(draft.filters.get(column), str):
            values = [str(draft.filters[column])]
        rows = [{**row, column: value} for row in rows for value in values][:40]
    limit = draft.limit or len(rows)
    out = []
    for row in rows[:limit]:
        seed = f"{metric.id}|{sorted(row.items())}|{sorted(draft.filters.items())}"
        out.append({**row, "value": _mock_value(seed, metric)})
    return out


def build_spec(
    raw_input: str,
    draft: IntentDraft,
    metric: MetricDefinition,
    context: BuilderContext | None = None,
) -> AnyWidgetSpec:
    """The deterministic spec for a resolved draft (also used as the offline synthesizer)."""
    intent = DataIntent(
        entity=metric.source_table,
        metric=metric.id,
        dimensions=list(draft.dimensions),
        filters=dict(draft.filters),
        exclude=dict(draft.exclude),
        period=draft.period,  # type: ignore[arg-type]
        sort=draft.sort,
        window_days=draft.window_days
        if draft.window_days is not None
        else default_window(metric, time_grain(draft.dimensions)),
        limit=draft.limit,
        time_column=draft.time_column,
    )
    common = {
        "title": draft.title or default_title(draft, metric),
        "data_intent": intent,
        "accent": _accent(raw_input, metric),
        "value_format": _value_format(metric),
        "description": metric.description,
        "mock_data": mock_rows(draft, metric, context),
    }
    if draft.widget_type == "kpi":
        return KpiWidgetSpec(**common)
    if draft.widget_type == "table":
        columns = [*draft.dimensions, "value"]
        return TableWidgetSpec(**common, columns=columns)
    return ChartWidgetSpec(**common, chart_kind=draft.chart_kind or "bar")


__all__ = ["OfflineLLM", "build_spec", "draft_from"]
