"""The clarifier StateGraph.

contextLoader → intentExtractor → metricMatcher → gapDetector → (questionPrioritizer →
pause) → specSynthesizer → critic → (specUpdater → gapDetector) → END; when a custom
(TSX) template fits the request and no question is open: gapDetector → componentSynthesizer
→ componentCritic → END (its questions, and the answers to them, take the same
questionPrioritizer → pause → gapDetector loop as every widget's).
Compiled with `interrupt_after=["questionPrioritizer"]`: a thread pauses (waiting before
specSynthesizer) only when questions are open; a request with no gap runs to the end in one
pass (one stream call, one checkpoint write).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from command_center.telemetry import traced_node
from command_center.widgets.nodes.component import (
    component_critic,
    component_synthesizer,
    wants_component,
)
from command_center.widgets.nodes.context_loader import context_loader
from command_center.widgets.nodes.critic import after_critic, critic
from command_center.widgets.nodes.gap_detector import gap_detector
from command_center.widgets.nodes.intent_extractor import intent_extractor
from command_center.widgets.nodes.metric_matcher import metric_matcher
from command_center.widgets.nodes.question_prioritizer import after_questions, question_prioritizer
from command_center.widgets.nodes.spec_synthesizer import spec_synthesizer
from command_center.widgets.nodes.spec_updater import spec_updater
from command_center.widgets.state import ClarifierState, GraphDeps

STAGES = (
    "contextLoader",
    "intentExtractor",
    "metricMatcher",
    "gapDetector",
    "questionPrioritizer",
    "specSynthesizer",
    "critic",
    "specUpdater",
    "componentSynthesizer",
    "componentCritic",
)
PAUSE_BEFORE = "specSynthesizer"  # where a thread with open questions waits
QUESTION_NODE = "questionPrioritizer"  # the pause comes after it; answers are written as it

NODE_FUNCTIONS = {
    "contextLoader": context_loader,
    "intentExtractor": intent_extractor,
    "metricMatcher": metric_matcher,
    "gapDetector": gap_detector,
    "questionPrioritizer": question_prioritizer,
    "specSynthesizer": spec_synthesizer,
    "critic": critic,
    "specUpdater": spec_updater,
    "componentSynthesizer": component_synthesizer,
    "componentCritic": component_critic,
}


def after_gaps(state: ClarifierState) -> str:
    """Route: gaps → questionPrioritizer; none → componentSynthesizer when a custom template
    fits the request, else specSynthesizer."""
    if state.get("gaps"):
        return "questionPrioritizer"
    return "componentSynthesizer" if wants_component(state) else "specSynthesizer"


def build_graph(
    deps: GraphDeps, checkpointer: Any = None, *, nodes: dict[str, Any] | None = None
) -> CompiledStateGraph:
    """Compile the clarifier with `checkpointer`; `nodes` may replace node functions (bench)."""
    functions = {**NODE_FUNCTIONS, **(nodes or {})}
    graph = StateGraph(ClarifierState)
    for name in STAGES:
        graph.add_node(name, partial(traced_node(name, functions[name]), deps=deps))
    graph.add_edge(START, "contextLoader")
    graph.add_edge("contextLoader", "intentExtractor")
    graph.add_edge("intentExtractor", "metricMatcher")
    graph.add_edge("metricMatcher", "gapDetector")
    graph.add_edge("componentSynthesizer", "componentCritic")
    graph.add_edge("componentCritic", END)
    graph.add_conditional_edges(
        "gapDetector",
        after_gaps,
        ["questionPrioritizer", "specSynthesizer", "componentSynthesizer"],
    )
    graph.add_conditional_edges(
        "questionPrioritizer", after_questions, ["gapDetector", "specSynthesizer"]
    )
    graph.add_edge("specSynthesizer", "critic")
    graph.add_conditional_edges(
        "critic",
        partial(after_critic, max_revisions=deps.max_revisions),
        {"specUpdater": "specUpdater", "end": END},
    )
    graph.add_edge("specUpdater", "gapDetector")
    return graph.compile(checkpointer=checkpointer, interrupt_after=[QUESTION_NODE])
