"""Pure reductions of the widget builder (event → stage list / chat messages / preview
facts / the critic's block); no Reflex here, unit-tested on their own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STAGE_LABELS: dict[str, str] = {
    "queued": "Waiting for a free worker",
    "contextLoader": "Load catalog",
    "intentExtractor": "Read request",
    "metricMatcher": "Match metric",
    "gapDetector": "Check gaps",
    "questionPrioritizer": "Ask",
    "specSynthesizer": "Draft spec",
    "critic": "Review",
    "specUpdater": "Revise",
}


def stage_step(stages: list[dict[str, str]], name: str) -> list[dict[str, str]]:
    """A `stage` event: the running stage is done, `name` starts running."""
    done = [{**s, "status": "done"} if s["status"] == "running" else s for s in stages]
    return [*done, {"name": name, "label": STAGE_LABELS.get(name, name), "status": "running"}]


def finish_stages(stages: list[dict[str, str]], *, failed: bool = False) -> list[dict[str, str]]:
    """End of a run: the running stage becomes `done` (or `failed` on an error)."""
    final = "failed" if failed else "done"
    return [{**s, "status": final} if s["status"] == "running" else s for s in stages]


def message(role: str, text: str) -> dict[str, Any]:
    """One chat line; `role` is user | assistant | warning."""
    return {"role": role, "text": text, "stages": []}


def trace(stages: list[dict[str, str]], *, failed: bool = False) -> dict[str, Any]:
    """A finished run's stage list, kept in the transcript (`role` trace)."""
    return {"role": "trace", "text": "", "stages": finish_stages(stages, failed=failed)}


def spec_facts(spec: Mapping[str, Any]) -> list[dict[str, str]]:
    """Short label/value pairs describing a spec (shown under the preview)."""
    intent = spec.get("data_intent") or {}
    kind = spec.get("type", "")
    if kind == "chart":
        kind = f"{spec.get('chart_kind', 'bar')} chart"
    facts = [
        {"label": "Type", "value": str(kind)},
        {"label": "Metric", "value": str(intent.get("metric", ""))},
        {"label": "Group by", "value": ", ".join(intent.get("dimensions") or []) or "—"},
    ]
    filters = intent.get("filters") or {}
    if filters:
        shown = [
            f"{key}={', '.join(map(str, v)) if isinstance(v, list) else v}"
            for key, v in filters.items()
        ]
        facts.append({"label": "Filters", "value": "; ".join(shown)})
    if intent.get("start") and intent.get("end"):  # an absolute range replaces the window
        facts.append({"label": "Range", "value": f"{intent['start']} – {intent['end']}"})
    elif intent.get("window_days"):
        facts.append({"label": "Window", "value": f"last {intent['window_days']} days"})
    if intent.get("refresh_seconds"):
        facts.append({"label": "Refresh", "value": f"every {intent['refresh_seconds']}s"})
    return facts


def question_items(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A `questions` event's questions as the chat shows them (id, field, text, options)."""
    return [
        {
            "id": str(q.get("id", "")),
            "field": str(q.get("field", "")),
            "text": str(q.get("text", "")),
            "options": [str(o) for o in q.get("options") or []],
        }
        for q in data.get("questions") or []
    ]


def result_messages(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Chat lines for a non-interrupted `result` event."""
    spec = data.get("spec")
    if not spec:
        return [message("warning", "The clarifier finished without a widget spec.")]
    kind = spec.get("type", "widget")
    if kind == "chart":
        kind = f"{spec.get('chart_kind', 'bar')} chart"
    lines = [
        message(
            "assistant",
            f"Here is a preview: “{spec.get('title', 'Widget')}” ({kind}). "
            "Refine it (“make it a pie”, “only the West”, “last 7 days instead”), add it to "
            "the dashboard, or Cancel to start over.",
        )
    ]
    if not data.get("critic_ok", True):
        lines.append(message("warning", "The reviewer could not fully validate this spec."))
    lines += [message("warning", str(w)) for w in data.get("warnings") or []]
    return lines


def blocked_reason(data: Mapping[str, Any]) -> str:
    """Why "Add to dashboard" is refused: the critic's verdict is binding ("" = allowed)."""
    if data.get("critic_ok", True):
        return ""
    issues = [str(i) for i in data.get("critic_issues") or data.get("warnings") or []]
    detail = "; ".join(issues[:3]) or "the reviewer rejected this spec"
    return f"Can't add: {detail}"[:300]


def error_text(data: Mapping[str, Any]) -> str:
    """The banner text of an `error` event: message, plus the builder mode when live."""
    text = str(data.get("message") or "unknown error")
    mode = data.get("builder_mode")
    return f"{text} (builder mode: {mode})" if mode else text


def promotion_candidate(
    metric_id: str, result: Mapping[str, Any], catalog: list[Mapping[str, Any]]
) -> Any:
    """The MetricDefinition to promote with the widget, if the clarifier supplied one.

    The result's own `promote_metric` wins; otherwise the thread's catalog snapshot entry for
    the metric. `add_widget_to_dashboard` writes it only when the metric is not in the catalog
    yet, in the same transaction as the widget (so a catalog metric is never duplicated).
    """
    from command_center.metrics.definitions import MetricDefinition

    raw = result.get("promote_metric")
    if not raw:
        raw = next((m for m in catalog if m.get("id") == metric_id), None)
    if not raw:
        return None
    definition = MetricDefinition.model_validate(raw)
    return definition if definition.id == metric_id else None


def short_error(exc: BaseException) -> str:
    """First line of an exception, for a banner."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
