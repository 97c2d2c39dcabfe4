"""specSynthesizer (reasoning tier): resolved draft → WidgetSpec."""

from __future__ import annotations

from typing import Any

from command_center.llm.base import IntentDraft
from command_center.llm.offline import mock_rows
from command_center.widgets.state import ClarifierState, GraphDeps


def spec_synthesizer(state: ClarifierState, deps: GraphDeps) -> dict[str, Any]:
    """Ask the reasoning tier for the spec; fill preview rows when the model left none."""
    context = deps.context(state)
    metric = context.metric(state.get("metric_id"))
    if metric is None:  # unreachable through the graph's routing
        raise RuntimeError("specSynthesizer reached without a metric")
    draft = IntentDraft.model_validate(state["resolved"])
    spec = deps.llm.synthesize_spec(
        state["raw_input"], draft, metric, context, feedback=list(state.get("feedback") or [])
    )
    if not spec.mock_data:
        spec = spec.model_copy(update={"mock_data": mock_rows(draft, metric, context)})
    return {"spec": spec.model_dump(mode="json")}
