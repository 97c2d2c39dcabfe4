"""Clarifier graph state (checkpointed) and the dependencies bound into its nodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

from command_center.metrics.definitions import MetricDefinition
from command_center.widgets.context import CatalogLoader, DataDictionary, default_catalog
from command_center.widgets.llm.base import BuilderContext, BuilderLLM


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer: later keys win (answers and asked questions accumulate across rounds)."""
    return {**(left or {}), **(right or {})}


class ClarifierState(TypedDict, total=False):
    """Everything the clarifier remembers about one conversation (one thread)."""

    raw_input: str
    catalog: list[dict[str, Any]]  # snapshot taken by contextLoader (stable across resumes)
    draft: dict[str, Any]  # IntentDraft as extracted, then edited by answers/updater
    metric_id: str | None
    candidates: list[str]
    resolved: dict[str, Any]  # IntentDraft resolved against the metric (synthesizer input)
    gaps: list[dict[str, Any]]  # {field, reason, options}
    questions: list[dict[str, Any]]  # open questions {id, field, text, options}
    asked: Annotated[dict[str, str], merge_dicts]  # question id -> field, all rounds
    answers: Annotated[dict[str, str], merge_dicts]  # question id -> operator's answer
    answers_pending: bool  # set by a resume; routes questionPrioritizer -> gapDetector
    applied: list[str]  # question ids whose answers were applied
    question_round: int
    spec: dict[str, Any] | None
    critic_ok: bool
    issues: list[dict[str, Any]]  # critic findings {code, message, value?}
    feedback: list[str]  # critic messages handed to the next synthesis
    revisions: int
    notes: list[str]  # non-blocking remarks (e.g. a filter the metric cannot apply)


@dataclass
class GraphDeps:
    """What the nodes need besides the state."""

    llm: BuilderLLM
    catalog_loader: CatalogLoader = default_catalog
    dictionary: DataDictionary = field(default_factory=DataDictionary)
    max_revisions: int = 2

    def context(self, state: ClarifierState) -> BuilderContext:
        """The LLM context for `state` (its catalog snapshot plus the dictionary)."""
        catalog = [MetricDefinition.model_validate(item) for item in state.get("catalog", [])]
        return BuilderContext(catalog=catalog, dictionary=self.dictionary)
