"""Clarifier graph state (checkpointed) and the dependencies bound into its nodes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

from command_center.llm.base import BuilderContext, BuilderLLM
from command_center.metrics.definitions import MetricDefinition
from command_center.semantic.layer import SemanticLayer, build_layer
from command_center.semantic.values import KnownValues
from command_center.widgets.context import (
    CatalogLoader,
    DataDictionary,
    default_catalog,
    load_dictionary,
)


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer: later keys win (answers and asked questions accumulate across rounds)."""
    return {**(left or {}), **(right or {})}


class ClarifierState(TypedDict, total=False):
    """Everything the clarifier remembers about one conversation (one thread)."""

    raw_input: str
    catalog: list[dict[str, Any]]  # snapshot taken by contextLoader (stable across resumes)
    composed: dict[str, Any] | None  # a one-off metric composed from the dictionary
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
    dictionary: DataDictionary = field(default_factory=load_dictionary)
    max_revisions: int = 2
    values: Callable[[], KnownValues] = dict
    # catalog snapshot -> (the values snapshot it was built on, its semantic layer)
    _layers: dict[tuple[str, ...], tuple[KnownValues, SemanticLayer]] = field(default_factory=dict)

    def context(self, state: ClarifierState) -> BuilderContext:
        """The LLM context for `state`: its catalog snapshot (plus a composed one-off metric),
        the dictionary and the known values, over one cached semantic layer per catalog —
        rebuilt when the value store hands out a new snapshot (compared by identity, the
        snapshot held so its id cannot be reused)."""
        items = list(state.get("catalog", []))
        if state.get("composed"):
            items.append(state["composed"])
        catalog = [MetricDefinition.model_validate(item) for item in items]
        values = self.values()
        cache_key = tuple(m.model_dump_json() for m in catalog)
        cached = self._layers.get(cache_key)
        if cached is None or cached[0] is not values:
            if len(self._layers) > 16:
                self._layers.clear()
            cached = (values, build_layer(catalog, values, self.dictionary))
            self._layers[cache_key] = cached
        context = BuilderContext(catalog=catalog, dictionary=self.dictionary, values=values)
        context._layer = cached[1]
        return context
