"""intentExtractor (fast tier): request text → IntentDraft."""

from __future__ import annotations

from typing import Any

from command_center.widgets.state import ClarifierState, GraphDeps


def intent_extractor(state: ClarifierState, deps: GraphDeps) -> dict[str, Any]:
    """Ask the fast tier to parse the raw request."""
    draft = deps.llm.extract_intent(state["raw_input"], deps.context(state))
    return {"draft": draft.model_dump(mode="json")}
