"""gapDetector: apply the operator's answers, resolve the draft against the metric, list gaps."""

from __future__ import annotations

import re
from typing import Any

from command_center.llm.base import BuilderContext, IntentDraft
from command_center.llm.offline import draft_from
from command_center.metrics.definitions import MetricDefinition
from command_center.semantic.layer import SemanticLayer
from command_center.semantic.parser import understand
from command_center.semantic.text import key, normalize
from command_center.semantic.timeaxis import (
    GRAIN_WORDS,
    current_state_option,
    date_columns,
    dates_named,
    time_axis_question,
    time_column_from_answer,
    undated_question,
)
from command_center.sql.joins import dimensions_of
from command_center.widgets.context import TIME_DIMENSION, TIME_GRAINS
from command_center.widgets.nodes.component import chosen_template, component_gaps
from command_center.widgets.state import ClarifierState, GraphDeps

NO_BREAKDOWN = "none (single number)"
_FIELD_ORDER = {"metric": 0, "dimension": 1}
_FOLLOW_UP = re.compile(
    r"^(?:(?:make|turn|change|switch|show|display|render) (?:it|this|that)"
    r"(?: into| to| as)?|instead,?|now|and)\s*"
)
_IGNORE = re.compile(r"^(ignore|drop|skip|never ?mind|without|no filter|leave it)\b")


def _dimension_from_answer(
    answer: str, metric: MetricDefinition, layer: SemanticLayer
) -> str | None:
    wanted = re.sub(
        r"^(group by|grouped by|broken down by|split by|by|per|across)\s+", "", normalize(answer)
    )
    if wanted in {"day", "date", "time", "over time", "daily"}:
        return TIME_DIMENSION
    for grain, word in GRAIN_WORDS.items():  # "weekly", "week", "by month"
        if wanted in {grain, word} or wanted.startswith(f"{word} "):
            return grain
    for column in dimensions_of(metric):  # own columns, then joined ones (customers.segment)
        if wanted == normalize(column):
            return column
    for tag in layer.lexicon.get(key(wanted), []):
        on_metric = tag.kind == "column" and tag.table == metric.source_table
        if on_metric and tag.column in metric.dimensions:
            return tag.column
    return None


def merge_answer(draft: IntentDraft, answer: str, context: BuilderContext) -> IntentDraft:
    """Parse an answer as a full request and merge what it says into the draft."""
    for metric in context.catalog:
        if normalize(answer) in {normalize(metric.id), normalize(metric.label)}:
            update = {"metric_id": metric.id, "composed": None, "ask": None, "title": None}
            return draft.model_copy(update=update)
    parsed = draft_from(understand(answer, context.layer))
    update: dict[str, Any] = {"ask": parsed.ask if not parsed.metric_id else None}
    if parsed.metric_id and time_axis_question(parsed.ask):  # which date / which series
        update["ask"] = parsed.ask
    if parsed.metric_id:
        update["metric_id"], update["composed"] = parsed.metric_id, parsed.composed
        update["title"] = parsed.title
    for name in ("widget_type", "chart_kind", "window_days", "period", "limit", "sort"):
        if getattr(parsed, name) is not None:
            update[name] = getattr(parsed, name)
    if parsed.window_days is not None:  # a new window replaces the calendar period too
        update["period"] = parsed.period
    if parsed.dimensions:
        update["dimensions"], update["over_time"] = parsed.dimensions, parsed.over_time
        if set(parsed.dimensions) <= set(TIME_GRAINS):  # "make it weekly": keep the groups
            groups = [d for d in draft.dimensions if d not in TIME_GRAINS]
            update["dimensions"] = [*parsed.dimensions, *groups]
    if parsed.time_column:
        update["time_column"] = parsed.time_column
    if parsed.filters:
        update["filters"] = {**draft.filters, **parsed.filters}
    if parsed.exclude:
        update["exclude"] = {**draft.exclude, **parsed.exclude}
    return draft.model_copy(update=update)


def refine_draft(
    draft: IntentDraft, text: str, metric: MetricDefinition | None, context: BuilderContext
) -> IntentDraft:
    """Merge a follow-up into the draft, read in the context of the current metric (so "only
    the West" is a filter on its table); the metric stays unless the follow-up names one."""
    lead = metric.label if metric is not None else ""
    text = _FOLLOW_UP.sub("", normalize(text))
    refined = merge_answer(draft, f"{lead} {text}".strip(), context)
    named = dates_named(text, metric, context.layer) if metric is not None else []
    if (refined.ask or {}).get("field") == "time_column" and len(named) == 1:
        # "by resolved date instead": the label read in front named its own date too
        refined = refined.model_copy(update={"time_column": named[0], "ask": None})
    if metric is not None and refined.metric_id in (None, metric.id):
        refined = refined.model_copy(update={"metric_id": metric.id, "ask": refined.ask})
    if (
        refined.chart_kind
        and refined.widget_type == "kpi"
        and refined.chart_kind != draft.chart_kind
    ):
        refined = refined.model_copy(update={"widget_type": "chart"})
    refined = refined.model_copy(update={"title": draft.title})  # the operator's words
    return refined


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
        metric = context.metric(metric_id)
        if field == "dimension" and metric is not None:
            if normalize(answer) in {normalize(NO_BREAKDOWN), "none", "no breakdown"}:
                draft.dimensions, draft.widget_type, draft.chart_kind = [], "kpi", None
                continue
            column = _dimension_from_answer(answer, metric, context.layer)
            if column is None:
                rejected.append(f"cannot group by {answer!r}")
                continue
            if column in TIME_GRAINS:  # one series grain: the answer replaces any other
                groups = [d for d in draft.dimensions if d not in TIME_GRAINS]
                draft.dimensions, draft.over_time, draft.ask = [column, *groups], True, None
            elif column not in draft.dimensions:
                draft.dimensions = [*draft.dimensions, column]
            if draft.ask and draft.ask.get("field") == "dimension":
                draft.ask = None  # the parser's dimension question is answered
            continue
        if field == "time_column" and metric is not None:
            chosen = time_column_from_answer(answer, metric, context.layer)
            if chosen is None:
                rejected.append(f"{answer!r} is not a date of {metric.label}")
                continue
            draft.time_column, draft.ask = chosen, None
            continue
        if field == "refine":  # a follow-up on a finished preview: change what it says
            draft = refine_draft(draft, answer, metric, context)
            continue
        if metric is not None and answer == current_state_option(metric):
            draft.window_days = draft.period = None  # an undated metric: its current state
            draft.over_time, draft.ask = False, None
            draft.dimensions = [d for d in draft.dimensions if d not in TIME_GRAINS]
            continue
        if field in ("filter", "clarify") and _IGNORE.match(normalize(answer)):
            draft.ask = None
            continue
        if field == "filter" and "=" in answer:
            column, _, value = (part.strip() for part in answer.partition("="))
            draft.filters = {**draft.filters, column: value}
            draft.ask = None
            continue
        if field == "window_days" and re.fullmatch(r"\d+", answer.strip()):
            draft.window_days = int(answer)
            continue
        merged = merge_answer(draft, answer, context)
        if field == "metric" and not merged.metric_id:
            rejected.append(f"metric {answer!r} is not in the catalog")
            continue
        draft = merged
        if draft.metric_id:
            metric_id = draft.metric_id
    return draft, metric_id, applied, rejected


def resolve_draft(
    draft: IntentDraft, metric: MetricDefinition
) -> tuple[IntentDraft, list[dict[str, Any]], list[str]]:
    """Resolve dimensions/filters to the metric's columns and settle type and chart kind.

    Returns (resolved draft, gaps, notes). A gap is something only the operator can decide.
    """
    gaps: list[dict[str, Any]] = []
    notes: list[str] = []
    columns: list[str] = []
    for name in draft.dimensions:
        if name not in TIME_GRAINS and name not in dimensions_of(metric):
            gaps.append(
                {
                    "field": "dimension",
                    "reason": f"{metric.label} cannot be grouped by {name!r}",
                    "options": list(metric.dimensions),
                }
            )
        elif name not in columns and not (
            name in TIME_GRAINS and set(columns).intersection(TIME_GRAINS)
        ):
            columns.append(name)
    dates = date_columns(metric.source_table)
    if draft.time_column and draft.time_column not in dates:  # a live draft's guess
        reason = f"{metric.label} has no date {draft.time_column!r}"
        gaps.append({"field": "time_column", "reason": reason, "options": dates})
    filters: dict[str, str | list[str]] = {}
    for name, value in draft.filters.items():
        if name not in dimensions_of(metric):
            gaps.append(
                {
                    "field": "filter",
                    "reason": f"{metric.label} cannot be filtered by {name} = {value!r}",
                    "options": [f"ignore the {name} filter"],
                }
            )
        else:
            filters[name] = value
    widget_type, chart_kind = draft.widget_type, draft.chart_kind
    over_time = (
        draft.over_time or chart_kind in ("line", "area") or any(c in TIME_GRAINS for c in columns)
    )
    groups = [c for c in columns if c not in TIME_GRAINS]
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
            if not groups and not gaps:  # a pie of one number: split by what?
                gaps.append(
                    {
                        "field": "dimension",
                        "reason": f"a pie of {metric.label} needs a dimension to split by",
                        "options": list(metric.dimensions),
                    }
                )
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
    if (
        widget_type in ("chart", "table")
        and over_time
        and not set(columns).intersection(TIME_GRAINS)
    ):
        columns = [TIME_DIMENSION, *columns]
    if not metric.time_column and (draft.window_days or draft.period or over_time):
        gaps.append(undated_question(metric))  # plans have no date: no window or series
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
    current = {**state, "draft": update["draft"], "metric_id": metric_id}
    template = chosen_template(current)
    if template is not None:  # a custom component fits: only its own questions
        gaps, read = component_gaps(template, current, deps)
        for gap in gaps:
            if rejected:
                gap["reason"] += f" ({'; '.join(rejected)})"
        return {**update, "metric_id": read or metric_id, "gaps": gaps, "resolved": {}}
    if draft.ask:
        gap = {**draft.ask, "options": list(draft.ask.get("options") or [])[:5]}
        if rejected:
            gap["reason"] += f" ({'; '.join(rejected)})"
        return {**update, "gaps": [gap], "resolved": {}}
    metric = context.metric(metric_id)
    if metric is None:
        options = [m.label for c in state.get("candidates") or [] if (m := context.metric(c))]
        reason = "no catalog metric matches the request"
        if rejected:
            reason += f" ({'; '.join(rejected)})"
        gap = {"field": "metric", "reason": reason, "options": options[:4]}
        return {**update, "gaps": [gap], "resolved": {}}
    resolved, gaps, notes = resolve_draft(draft, metric)
    for gap in gaps:
        if rejected:
            gap["reason"] += f" ({'; '.join(rejected)})"
    return {
        **update,
        "gaps": gaps,
        "resolved": resolved.model_dump(mode="json"),
        "notes": notes,
    }
