"""contextLoader: snapshot the metrics catalog into the thread's state."""

from __future__ import annotations

from typing import Any

from command_center.widgets.state import ClarifierState, GraphDeps


def context_loader(state: ClarifierState, deps: GraphDeps) -> dict[str, Any]:
    """Load the catalog (table or seeded fallback) and reset per-run fields."""
    catalog = [metric.model_dump(mode="json") for metric in deps.catalog_loader()]
    return {
        "catalog": catalog,
        "revisions": 0,
        "question_round": 0,
        "applied": [],
        "feedback": [],
        "notes": [],
        "spec": None,
        "questions": [],
    }
