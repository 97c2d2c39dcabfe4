"""gapDetector: apply the operator's answers, resolve the draft against the metric, list gaps."""

from __future__ import annotations

import re
from typing import Any

from command_center.metrics.definitions import MetricDefinition
from command_center.widgets.context import TIME_DIMENSION, DataDictionary, resolve_dimension
from command_center.widgets.llm.base import BuilderContext, IntentDraft
from command_center.widgets.llm.offline import extract_dimensions, match_catalog, normalize
from command_center.widgets.state import ClarifierState, GraphDeps

NO_BREAKDOWN = "none (single number)"
_FIELD_ORDER = {"metric": 0, "dimension": 1}


def _metric_from_answer(answer: str, context: BuilderContext) -> str | None:
    wanted = normalize(answer)
    for metric in context.catalog:
        if wanted in {normalize(metric.id), normalize(metric.label)}:
            return metric.id
    match, _ = match_catalog(answer, context.catalog)
    return match.metric_id


def _dimension_from_answer(
    answer: str, metric: MetricDefinition, dictionary: DataDictionary
) -> str | None:
    wanted = re.sub(
        r"^(group by|grouped by|broken down by|split by|by|per|across)\s+", "", normalize(answer)
    )
    for column in metric.dimensions:
        if wanted == normalize(column):
            return column
    found = resolve_dimension(wanted, metric, dictionary)
    if found:
        return found
    names, _ = extract_dimensions(f"by {wanted}", dictionary.dimension_phrases([metric]))
    for name in names:
        column = resolve_dimension(name, metric, dictionary)
        if column:
            return column
    return None


def apply_answers(
    state: ClarifierState, context: BuilderContext
) -> tuple[IntentDraft, str | None, list[str], list[str]]:
    """Fold unapplied answers into the draft; returns (draft, metric_id, applied, rejected)."""
    draft = IntentDraft.model_validate(state.get("draft") or {})
    metric_id = state.get("metric_id")
    applied = list(state.get("applied") or [])
    asked = state.get("asked") or {}
    rejected: list[str] = []
    pending = [(qid, a) for qid, a in (state.get("answers") or {}).items() if qid not in applied]
    pending.sort(key=lambda item: _FIELD_ORDER.get(asked.get(item[0], item[0]), 9))
    for question_id, answer in pending:
        applied.append(question_id)
        field = asked.get(question_id, question_id)
        if field == "metric":
            found = _metric_from_answer(answer, context)
            if found:
                metric_id = found
                draft.metric_id = found
            else:
                rejected.append(f"metric {answer!r} is not in the catalog")
        elif field == "dimension":
            metric = context.metric(metric_id)
            if normalize(answer) in {normalize(NO_BREAKDOWN), "none", "no breakdown"}:
                draft.dimensions, draft.widget_type, draft.chart_kind = [], "kpi", None
                continue
            column = _dimension_from_answer(answer, metric, context.dictionary) if metric else None
            if column is None:
                rejected.append(f"cannot group by {answer!r}")
                continue
            keep = [
                d
                for d in draft.dimensions
                if metric and resolve_dimension(d, metric, context.dictionary)
            ]
            draft.dimensions = [*keep, column] if column not in keep else keep
        elif field == "window_days":
            digits = re.search(r"\d+", answer)
            if digits:
                draft.window_days = int(digits.group())
    return draft, metric_id, applied, rejected


def resolve_draft(
    draft: IntentDraft, metric: MetricDefinition, dictionary: DataDictionary
) -> tuple[IntentDraft, list[dict[str, Any]], list[str]]:
    """Resolve dimensions/filters to the metric's columns and settle type and chart kind.

    Returns (resolved draft, gaps, notes). A gap is something only the operator can decide.
    """
    gaps: list[dict[str, Any]] = []
    notes: list[str] = []
    columns: list[str] = []
    for name in draft.dimensions:
        column = resolve_dimension(name, metric, dictionary)
        if column is None:
            gaps.append(
                {
                    "field": "dimension",
                    "reason": f"{metric.label} cannot be grouped by {name!r}",
                    "options": list(metric.dimensions),
                }
            )
        elif column not in columns:
            columns.append(column)
    filters: dict[str, str | list[str]] = {}
    for name, value in draft.filters.items():
        column = resolve_dimension(name, metric, dictionary)
        if column is None or column == TIME_DIMENSION:
            notes.append(f"ignored filter {name}={value!r}: {metric.id} has no such dimension")
        else:
            filters[column] = value
    widget_type, chart_kind = draft.widget_type, draft.chart_kind
    over_time = draft.over_time or chart_kind in ("line", "area")
    groups = [c for c in columns if c != TIME_DIMENSION]
    if widget_type is None:
        if chart_kind or over_time or groups or metric.default_dimensions:
            widget_type = "chart"
        else:
            widget_type = "kpi"
    if widget_type == "kpi":
        columns, chart_kind, over_time = [], None, False
    elif widget_type == "table":
        chart_kind = None
        if not columns and not over_time:
            columns = list(metric.default_dimensions)
    else:
        if chart_kind is None:
            chart_kind = "line" if over_time else "bar"
        if chart_kind == "pie":
            over_time = False
            groups = groups or list(metric.default_dimensions)
            columns = groups[:1]
            if len(groups) > 1:
                notes.append(f"a pie shows one dimension; using {groups[0]}")
        elif not groups and not over_time and not gaps:
            if metric.default_dimensions:
                columns = list(metric.default_dimensions)
            elif chart_kind in ("bar", "radar", "radial_bar", "scatter", "composed"):
                gaps.append(
                    {
                        "field": "dimension",
                        "reason": f"a {chart_kind} chart of {metric.label} needs a dimension",
                        "options": [*metric.dimensions, NO_BREAKDOWN],
                    }
                )
    if widget_type in ("chart", "table") and over_time and TIME_DIMENSION not in columns:
        columns = [TIME_DIMENSION, *columns]
    resolved = draft.model_copy(
        update={
            "widget_type": widget_type,
            "chart_kind": chart_kind,
            "metric_id": metric.id,
            "dimensions": columns,
            "filters": filters,
            "over_time": over_time,
        }
    )
    return resolved, gaps, notes


def gap_detector(state: ClarifierState, deps: GraphDeps) -> dict[str, Any]:
    """Apply answers, then report what is still missing (metric first, then dimension)."""
    context = deps.context(state)
    draft, metric_id, applied, rejected = apply_answers(state, context)
    update: dict[str, Any] = {
        "draft": draft.model_dump(mode="json"),
        "metric_id": metric_id,
        "applied": applied,
        "answers_pending": False,
        "questions": [],
    }
    metric = context.metric(metric_id)
    if metric is None:
        options = [m.label for c in state.get("candidates") or [] if (m := context.metric(c))]
        reason = "no catalog metric matches the request"
        if rejected:
            reason += f" ({'; '.join(rejected)})"
        gap = {"field": "metric", "reason": reason, "options": options[:4]}
        return {**update, "gaps": [gap], "resolved": {}}
    resolved, gaps, notes = resolve_draft(draft, metric, context.dictionary)
    for gap in gaps:
        if rejected:
            gap["reason"] += f" ({'; '.join(rejected)})"
    return {
        **update,
        "gaps": gaps,
        "resolved": resolved.model_dump(mode="json"),
        "notes": notes,
    }
