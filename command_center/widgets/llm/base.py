"""The one LLM interface of the widget builder (two tiers, two backends)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from command_center.metrics.definitions import MetricDefinition
from command_center.widgets.context import DataDictionary
from command_center.widgets.spec import AnyWidgetSpec, ChartKind, WidgetType

Tier = Literal["fast", "reasoning"]


class IntentDraft(BaseModel):
    """What the operator asked for, before it is checked against the catalog."""

    widget_type: WidgetType | None = Field(default=None, description="kpi, chart or table")
    chart_kind: ChartKind | None = Field(default=None, description="for charts")
    metric_id: str | None = Field(default=None, description="catalog metric id when recognised")
    metric_phrase: str | None = Field(default=None, description="the words naming the metric")
    dimensions: list[str] = Field(default_factory=list, description="group-by columns/concepts")
    filters: dict[str, str | list[str]] = Field(default_factory=dict)
    window_days: int | None = Field(default=None, ge=1, le=3650)
    limit: int | None = Field(default=None, ge=1, le=10_000)
    title: str | None = None
    over_time: bool = Field(default=False, description="a time series was asked for")


class MetricMatch(BaseModel):
    """The catalog metric the request names (or the closest candidates)."""

    metric_id: str | None = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    candidates: list[str] = Field(default_factory=list, description="closest metric ids")


class Critique(BaseModel):
    """The critic's verdict on a spec."""

    ok: bool
    issues: list[str] = Field(default_factory=list)


@dataclass
class BuilderContext:
    """What every LLM call may consult: the catalog snapshot and the data dictionary."""

    catalog: list[MetricDefinition]
    dictionary: DataDictionary = field(default_factory=DataDictionary)

    def metric(self, metric_id: str | None) -> MetricDefinition | None:
        """The catalog entry `metric_id`, or None."""
        for metric in self.catalog:
            if metric.id == metric_id:
                return metric
        return None


@runtime_checkable
class BuilderLLM(Protocol):
    """Task-level LLM calls. fast: extract_intent, match_metric; reasoning: synthesize, critique."""

    mode: str

    def extract_intent(self, raw_input: str, context: BuilderContext) -> IntentDraft:
        """Fast tier: parse the request into an IntentDraft."""
        ...

    def match_metric(
        self, raw_input: str, draft: IntentDraft, context: BuilderContext
    ) -> MetricMatch:
        """Fast tier: which catalog metric the request names."""
        ...

    def synthesize_spec(
        self,
        raw_input: str,
        draft: IntentDraft,
        metric: MetricDefinition,
        context: BuilderContext,
        feedback: list[str] | None = None,
    ) -> AnyWidgetSpec:
        """Reasoning tier: build the WidgetSpec from a complete draft (and critic feedback)."""
        ...

    def critique(
        self,
        raw_input: str,
        spec: AnyWidgetSpec,
        metric: MetricDefinition | None,
        context: BuilderContext,
    ) -> Critique:
        """Reasoning tier: judge whether the spec answers the request."""
        ...
