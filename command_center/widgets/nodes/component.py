"""componentSynthesizer and componentCritic: the custom (TSX) widget branch of the clarifier.

Taken after gapDetector when a custom template fits the request (`wants_component`) and no
question is open: gapDetector asks what the template cannot decide by itself
(`component_gaps`: which dimension a leaderboard ranks by), and a request that first needed
an ordinary question (which metric?) comes back here once it is answered. Offline, the
template is filled from the request; live, the reasoning tier writes the component through
a forced tool, its static-check failures fed back for one repair round.
"""

from __future__ import annotations

from typing import Any

from command_center.metrics.definitions import MetricDefinition
from command_center.sql.records import RecordsError, RecordsIntent, records_sql
from command_center.sql.safety import SafetyError
from command_center.widgets.custom.checks import check_component
from command_center.widgets.custom.templates import (
    Template,
    build_component,
    choose_template,
    named_dimension,
)
from command_center.widgets.spec import CustomWidgetSpec, parse_spec
from command_center.widgets.state import ClarifierState, GraphDeps


def chosen_template(state: ClarifierState) -> Template | None:
    """The offline template the request asks for (None: an ordinary widget).

    The semantic layer's hook (`draft.custom_template`) and matched metrics are hints; a
    question the layer must ask about the data itself (not the widget type) wins.
    """
    draft = state.get("draft") or {}
    ask = draft.get("ask") or {}
    if ask and ask.get("field") != "widget_type":
        return None
    hints = [draft.get("custom_template"), state.get("metric_id"), *(state.get("candidates") or [])]
    return choose_template(state.get("raw_input") or "", [h for h in hints if h])


def wants_component(state: ClarifierState) -> bool:
    """Route after metricMatcher: a custom component, or the ordinary spec path."""
    return chosen_template(state) is not None


def _metric_for(
    template: Template, state: ClarifierState, deps: GraphDeps
) -> MetricDefinition | None:
    """The matched metric when the template reads one (else the template's default)."""
    if template.metric is None:
        return None
    context = deps.context(state)
    matched = context.metric(state.get("metric_id"))
    if matched is not None and (template.name != "leaderboard" or matched.dimensions):
        return matched
    return context.metric(template.metric)


def component_gaps(
    template: Template, state: ClarifierState, deps: GraphDeps
) -> tuple[list[dict[str, Any]], str | None]:
    """What only the operator can decide before `template` is filled, as gapDetector gaps,
    and the metric the template will read (None for a records template).

    A leaderboard whose request names no dimension of its metric asks which one to rank by
    (it used to take the metric's first dimension silently)."""
    metric = _metric_for(template, state, deps)
    if metric is None:
        return [], None
    draft = state.get("draft") or {}
    request = state.get("raw_input") or ""
    if (
        template.name == "leaderboard"
        and metric.dimensions
        and named_dimension(request, metric, draft) is None
    ):
        gap = {
            "field": "dimension",
            "reason": f"a leaderboard of {metric.label} ranks one dimension",
            "options": list(metric.dimensions),
        }
        return [gap], metric.id
    return [], metric.id


def component_synthesizer(state: ClarifierState, deps: GraphDeps) -> dict[str, Any]:
    """Write the component: the live model's (forced tool, one repair round) or the template."""
    template = chosen_template(state)
    if template is None:  # unreachable through the graph's routing
        raise RuntimeError("componentSynthesizer reached without a template")
    metric = _metric_for(template, state, deps)
    offline = build_component(template, state["raw_input"], metric=metric, draft=state.get("draft"))
    writer = getattr(deps.llm, "synthesize_component", None)
    if deps.llm.mode == "live" and writer is not None:
        spec = writer(state["raw_input"], offline, deps.context(state))
    else:
        spec = offline
    return {"spec": spec.model_dump(mode="json")}


def component_issues(spec: CustomWidgetSpec) -> list[dict[str, Any]]:
    """Static-check failures plus a records intent the SQL layer would refuse."""
    report = check_component(spec)
    issues = [
        {"code": f"static_check:{c.name}", "value": c.name, "message": c.detail}
        for c in report.failed
    ]
    if isinstance(spec.data_intent, RecordsIntent):
        try:
            records_sql(spec.data_intent, "postgres")
        except (RecordsError, SafetyError) as exc:
            issues.append({"code": "records_intent", "value": None, "message": str(exc)})
    return issues


def component_critic(state: ClarifierState, deps: GraphDeps) -> dict[str, Any]:
    """Static checks and the data intent; the component is ok only when both pass."""
    spec = parse_spec(state["spec"])
    if not isinstance(spec, CustomWidgetSpec):
        issues = [{"code": "type_mismatch", "value": spec.type, "message": "not a component"}]
    else:
        issues = component_issues(spec)
    return {"critic_ok": not issues, "issues": issues}
