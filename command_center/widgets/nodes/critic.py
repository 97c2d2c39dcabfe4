"""critic (reasoning tier + rules): does the spec faithfully and validly answer the request?"""

from __future__ import annotations

from typing import Any

from command_center.llm.base import BuilderContext, IntentDraft
from command_center.metrics.definitions import MetricDefinition
from command_center.sql.joins import column_home, dimensions_of
from command_center.widgets.context import TIME_GRAINS
from command_center.widgets.spec import AnyWidgetSpec, parse_spec
from command_center.widgets.state import ClarifierState, GraphDeps


def rule_issues(
    spec: AnyWidgetSpec, draft: IntentDraft, metric: MetricDefinition
) -> list[dict[str, Any]]:
    """Deterministic checks against the catalog and the resolved draft."""
    issues: list[dict[str, Any]] = []
    intent = spec.data_intent
    if intent.metric != metric.id:
        issues.append(
            {
                "code": "metric_mismatch",
                "value": intent.metric,
                "message": f"spec uses metric {intent.metric!r}, expected {metric.id!r}",
            }
        )
    for dim in intent.dimensions:
        if dim not in TIME_GRAINS and dim not in dimensions_of(metric):
            issues.append(
                {
                    "code": "unknown_dimension",
                    "value": dim,
                    "message": f"{metric.id} cannot be grouped by {dim!r}",
                }
            )
    grains = [d for d in intent.dimensions if d in TIME_GRAINS]
    if len(grains) > 1:
        issues.append(
            {
                "code": "two_time_grains",
                "value": grains,
                "message": f"a series has one time grain, not {grains}",
            }
        )
    windowed = intent.window_days or getattr(intent, "period", None) or grains
    if not metric.time_column and windowed:
        issues.append(
            {
                "code": "undated_window",
                "value": windowed,
                "message": f"{metric.id} has no date: no window, period or series",
            }
        )
    if draft.time_column and intent.time_column != draft.time_column:
        issues.append(
            {
                "code": "time_column_mismatch",
                "value": intent.time_column,
                "message": f"the request counts by {draft.time_column}, the spec by "
                f"{intent.time_column or metric.time_column}",
            }
        )
    for column in intent.filters:
        if column not in dimensions_of(metric):
            issues.append(
                {
                    "code": "unknown_filter",
                    "value": column,
                    "message": f"{metric.id} cannot be filtered by {column!r}",
                }
            )
    if draft.widget_type and spec.type != draft.widget_type:
        issues.append(
            {
                "code": "type_mismatch",
                "value": spec.type,
                "message": f"asked for a {draft.widget_type}, spec is a {spec.type}",
            }
        )
    if spec.type == "kpi" and intent.dimensions:
        issues.append(
            {
                "code": "kpi_has_dimensions",
                "value": intent.dimensions,
                "message": "a KPI tile shows one number; it cannot group",
            }
        )
    if spec.type == "chart":
        groups = [d for d in intent.dimensions if d not in TIME_GRAINS]
        if spec.chart_kind == "pie" and len(groups) != 1:
            issues.append(
                {
                    "code": "pie_needs_one_dimension",
                    "value": intent.dimensions,
                    "message": "a pie chart needs exactly one categorical dimension",
                }
            )
        if not intent.dimensions:
            issues.append(
                {
                    "code": "chart_needs_dimension",
                    "value": None,
                    "message": "a chart needs a dimension (or time) to plot",
                }
            )
    for row in spec.mock_data[:50]:
        missing = [k for k in [*intent.dimensions, "value"] if k not in row]
        if missing:
            issues.append(
                {
                    "code": "mock_data_shape",
                    "value": missing,
                    "message": f"preview rows lack {missing}",
                }
            )
            break
    return issues


def data_issues(
    spec: AnyWidgetSpec, metric: MetricDefinition | None, context: BuilderContext
) -> list[str]:
    """Checks against the data: the metric validates against the dictionary, no sensitive
    column is grouped or filtered, and every filter value exists in the data."""
    from command_center.metrics.validation import MetricValidationError, validate_metric_definition

    if metric is None:
        return ["the spec names no catalog metric"]
    problems: list[str] = []
    if metric.origin != "seed":
        try:
            validate_metric_definition(metric, context.dictionary)
        except MetricValidationError as exc:
            problems.append(f"metric {metric.id} fails validation: {exc}")
    intent = spec.data_intent
    for name in [*intent.dimensions, *intent.filters, *intent.exclude]:
        table, column = column_home(metric, name, context.dictionary)  # own, or joined
        if column in context.dictionary.sensitive_columns(table):
            problems.append(f"{table}.{column} is sensitive: it cannot be grouped or filtered")
    axis, own = intent.time_column, metric.source_table
    info = context.dictionary.columns_of(own).get(axis.lower()) if axis else None
    if axis and (info is None or info.sensitive or not info.temporal):
        problems.append(f"{axis} is not a date column of {own}")
    known = context.values
    for name, value in [*intent.filters.items(), *intent.exclude.items()]:
        values = [value] if isinstance(value, str) else list(value)
        table, column = column_home(metric, name, context.dictionary)
        present = known.get((table, column))
        if present is None:
            continue  # values not read for this column (backend down): nothing to check
        missing = [v for v in values if v not in present]
        if missing:
            problems.append(f"{column} value(s) {missing} do not occur in {table}")
    if not spec.title.strip():
        problems.append("the widget has no title")
    return problems


def critic(state: ClarifierState, deps: GraphDeps) -> dict[str, Any]:
    """Rule checks, then the reasoning tier's judgement; ok only when both pass."""
    context = deps.context(state)
    metric = context.metric(state.get("metric_id"))
    spec = parse_spec(state["spec"])
    draft = IntentDraft.model_validate(state.get("resolved") or {})
    issues = rule_issues(spec, draft, metric) if metric else []
    if not issues:
        verdict = deps.llm.critique(state["raw_input"], spec, metric, context)
        if not verdict.ok:
            issues = [{"code": "critique", "value": None, "message": m} for m in verdict.issues]
            issues = issues or [{"code": "critique", "value": None, "message": "rejected"}]
    return {"critic_ok": not issues, "issues": issues}


def after_critic(state: ClarifierState, max_revisions: int) -> str:
    """Route: pass → END; reject → specUpdater, unless the revision budget is spent."""
    if state.get("critic_ok"):
        return "end"
    if int(state.get("revisions") or 0) >= max_revisions:
        return "end"
    return "specUpdater"
