"""The one LLM interface of the widget builder (two tiers, two backends)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from command_center.metrics.definitions import MetricDefinition
from command_center.semantic.layer import SemanticLayer, build_layer
from command_center.semantic.values import KnownValues
from command_center.sql.dictionary import DataDictionary, load_dictionary
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
    exclude: dict[str, list[str]] = Field(default_factory=dict, description="NOT IN filters")
    window_days: int | None = Field(default=None, ge=1, le=1826)
    period: str | None = Field(default=None, description="calendar window, e.g. this_week")
    limit: int | None = Field(default=None, ge=1, le=10_000)
    sort: Literal["desc", "asc"] | None = None
    title: str | None = Field(default=None, max_length=200)
    over_time: bool = Field(default=False, description="a time series was asked for")
    time_column: str | None = Field(
        default=None,
        max_length=80,
        description="the date column of the dated event the time axis and window use "
        "(e.g. resolved_at for 'claims resolved per week'); None = the metric's own",
    )
    composed: dict[str, Any] | None = Field(
        default=None, description="a one-off MetricDefinition composed from the dictionary"
    )
    custom_template: str | None = Field(
        default=None, description="hook: a `custom` widget template the request needs"
    )
    ask: dict[str, Any] | None = Field(
        default=None, description="a question the parser must ask: {field, reason, options}"
    )


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
    """What every LLM call may consult: the semantic layer (catalog snapshot, data dictionary,
    known values)."""

    catalog: list[MetricDefinition]
    dictionary: DataDictionary = field(default_factory=load_dictionary)
    values: KnownValues = field(default_factory=dict)
    _layer: SemanticLayer | None = field(default=None, repr=False)

    @property
    def layer(self) -> SemanticLayer:
        """The semantic layer over this context (built once)."""
        if self._layer is None:
            self._layer = build_layer(self.catalog, self.values, self.dictionary)
        return self._layer

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
