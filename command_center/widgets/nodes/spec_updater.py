"""specUpdater: fold the critic's findings back into the draft, then re-check gaps."""

from __future__ import annotations

from typing import Any

from command_center.llm.base import IntentDraft
from command_center.widgets.state import ClarifierState, GraphDeps


def spec_updater(state: ClarifierState, deps: GraphDeps) -> dict[str, Any]:
    """Drop what the critic proved invalid from the draft and hand its messages to synthesis."""
    draft = IntentDraft.model_validate(state.get("draft") or {})
    issues = state.get("issues") or []
    bad_dims = {i["value"] for i in issues if i["code"] == "unknown_dimension"}
    bad_filters = {i["value"] for i in issues if i["code"] == "unknown_filter"}
    draft.dimensions = [d for d in draft.dimensions if d not in bad_dims]
    draft.filters = {k: v for k, v in draft.filters.items() if k not in bad_filters}
    return {
        "draft": draft.model_dump(mode="json"),
        "feedback": [i["message"] for i in issues],
        "revisions": int(state.get("revisions") or 0) + 1,
        "spec": None,
    }
