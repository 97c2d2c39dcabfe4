"""metricMatcher (fast tier): close the metric gap when the request names a catalog metric."""

from __future__ import annotations

from typing import Any

from command_center.llm.base import IntentDraft
from command_center.widgets.state import ClarifierState, GraphDeps


def metric_matcher(state: ClarifierState, deps: GraphDeps) -> dict[str, Any]:
    """Match by id, label or synonym; keep the closest candidates for a question."""
    context = deps.context(state)
    draft = IntentDraft.model_validate(state["draft"])
    if draft.composed:  # a one-off metric: it joins this thread's catalog snapshot
        return {"metric_id": draft.composed["id"], "candidates": [], "composed": draft.composed}
    match = deps.llm.match_metric(state["raw_input"], draft, context)
    metric_id = match.metric_id if context.metric(match.metric_id) else None
    candidates = [c for c in match.candidates if context.metric(c) and c != metric_id]
    return {"metric_id": metric_id, "candidates": candidates, "composed": None}
