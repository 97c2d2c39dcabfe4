"""questionPrioritizer: turn gaps into the few questions worth asking, most important first."""

from __future__ import annotations

from typing import Any

from command_center.widgets.state import ClarifierState, GraphDeps

_PRIORITY = {
    "widget_type": 0,
    "metric": 1,
    "clarify": 2,
    "filter": 3,
    "dimension": 4,
    "chart_kind": 5,
    "window_days": 6,
    "time_column": 7,
}


def _text(gap: dict[str, Any]) -> str:
    field = gap["field"]
    if field == "metric":
        return f"Which metric should this widget show? ({gap['reason']})"
    if field == "dimension":
        return f"How should it be broken down? ({gap['reason']})"
    if field == "filter":
        return f"Which filter did you mean? ({gap['reason']})"
    if field == "clarify":
        return f"Could you rephrase that part? ({gap['reason']})"
    if field == "widget_type":
        return f"Which widget should show it? ({gap['reason']})"
    if field == "time_column":
        return f"Which date should it count by? ({gap['reason']})"
    return f"Please choose a value for {field}. ({gap['reason']})"


def question_prioritizer(state: ClarifierState, deps: GraphDeps) -> dict[str, Any]:
    """Ask about the most important gap only: one question at a time, its answer parsed as a
    full request (which may settle the other gaps)."""
    gaps = sorted(state.get("gaps") or [], key=lambda g: _PRIORITY.get(g["field"], 9))
    round_ = int(state.get("question_round") or 0) + 1
    questions = [
        {
            "id": f"q{round_}-{gap['field']}",
            "field": gap["field"],
            "text": _text(gap),
            "options": list(gap.get("options") or []),
        }
        for gap in gaps[:1]
    ]
    return {
        "questions": questions,
        "asked": {q["id"]: q["field"] for q in questions},
        "question_round": round_,
        "answers_pending": False,
    }


def after_questions(state: ClarifierState) -> str:
    """Route: a resume (answers written as this node) re-checks gaps; else pause at synthesis."""
    return "gapDetector" if state.get("answers_pending") else "specSynthesizer"
