"""WidgetSpec: a Pydantic discriminated union on `type` (kpi | chart | table | custom).

Its JSON schema (wrapped by `spec_tool_schema`) is the tool input the LLM is asked to fill.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from command_center import limits
from command_center.sql.intent import DataIntent
from command_center.sql.records import RecordsIntent

WidgetType = Literal["kpi", "chart", "table"]
ChartKind = Literal["bar", "line", "area", "pie", "scatter", "radar", "radial_bar", "composed"]
Accent = Literal["blue", "green", "amber", "red", "violet", "slate", "teal", "pink"]
ValueFormat = Literal["number", "percent", "currency", "hours"]

SPEC_TOOL_NAME = "emit_widget_spec"

# sizes come from command_center/limits.py; a preview cell is a scalar (bounded text, number,
# bool or null)
ColumnName = Annotated[str, StringConstraints(max_length=limits.COLUMN_NAME_MAX_CHARS)]
MockCell = (
    Annotated[str, StringConstraints(max_length=limits.MOCK_CELL_MAX_CHARS)]
    | int
    | float
    | bool
    | None
)
MockRow = Annotated[dict[ColumnName, MockCell], Field(max_length=limits.MOCK_ROW_KEYS_MAX)]


class _SpecBase(BaseModel):
    """Fields every widget has."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(
        min_length=1, max_length=limits.TITLE_MAX_CHARS, description="short operator-facing title"
    )
    data_intent: DataIntent = Field(description="what data the widget shows")
    accent: Accent = Field(default="blue", description="design-token accent colour")
    value_format: ValueFormat = Field(default="number", description="how values are shown")
    description: str = Field(default="", max_length=limits.DESCRIPTION_MAX_CHARS)
    mock_data: list[MockRow] = Field(
        default_factory=list,
        max_length=limits.MOCK_ROWS_MAX,
        description="preview rows: one key per dimension plus 'value'",
    )

    @model_validator(mode="after")
    def _bounded_total_size(self) -> Any:
        size = len(canonical_json(self).encode("utf-8"))
        if size > limits.SPEC_MAX_BYTES:
            raise PydanticCustomError(
                "spec_too_large",
                "the spec is {size} bytes as JSON; the limit is {limit}",
                {"size": size, "limit": limits.SPEC_MAX_BYTES},
            )
        return self

    def spec_hash(self) -> str:
        """sha256 of the canonical JSON of this spec (stable across runs and key order)."""
        return spec_hash(self)


class KpiWidgetSpec(_SpecBase):
    """A single-number tile."""

    type: Literal["kpi"] = "kpi"


class ChartWidgetSpec(_SpecBase):
    """A Recharts chart."""

    type: Literal["chart"] = "chart"
    chart_kind: ChartKind = Field(default="bar", description="Recharts chart kind")


class TableWidgetSpec(_SpecBase):
    """A table of rows."""

    type: Literal["table"] = "table"
    columns: list[ColumnName] = Field(
        default_factory=list,
        max_length=limits.COLUMNS_MAX,
        description="column order (empty = all)",
    )


MAX_TSX_BYTES = limits.TSX_SOURCE_MAX_BYTES
ColourFamily = Literal[
    "blue", "cyan", "green", "amber", "red", "violet", "slate", "teal", "pink", "gray"
]


class CustomWidgetSpec(_SpecBase):
    """A model-written (or templated) React component, run in the sandboxed iframe.

    `data_intent` is an aggregate (metric) intent or a records intent (rows of one
    dictionary table); `severity_colors` maps each severity key the component declares to a
    design-system colour family. The static checks run at persist (widgets/custom/checks).
    """

    type: Literal["custom"] = "custom"
    data_intent: DataIntent | RecordsIntent = Field(description="aggregate or records intent")
    display_name: str = Field(
        pattern=r"^[A-Z][A-Za-z0-9]{1,63}$", description="the component's name (PascalCase)"
    )
    props_type: str = Field(
        pattern=r"^[A-Z][A-Za-z0-9]{1,63}$", description="the declared props type's name"
    )
    tsx_source: str = Field(
        min_length=1, max_length=MAX_TSX_BYTES, description="TSX: one exported component"
    )
    severity_colors: dict[
        Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")], ColourFamily
    ] = Field(default_factory=dict, max_length=12, description="severity key -> colour family")

    @field_validator("tsx_source")
    @classmethod
    def _source_size(cls, value: str) -> str:
        if len(value.encode("utf-8")) > MAX_TSX_BYTES:
            raise ValueError(f"tsx_source is larger than {MAX_TSX_BYTES} bytes")
        return value


AnyWidgetSpec = KpiWidgetSpec | ChartWidgetSpec | TableWidgetSpec | CustomWidgetSpec
WidgetSpec = Annotated[AnyWidgetSpec, Field(discriminator="type")]
WIDGET_SPEC_ADAPTER: TypeAdapter[AnyWidgetSpec] = TypeAdapter(WidgetSpec)


def parse_spec(data: Any) -> AnyWidgetSpec:
    """Validate a dict (or JSON string) into the right WidgetSpec variant."""
    if isinstance(data, str | bytes):
        return WIDGET_SPEC_ADAPTER.validate_json(data)
    return WIDGET_SPEC_ADAPTER.validate_python(data)


def canonical_json(spec: AnyWidgetSpec | dict[str, Any]) -> str:
    """Sorted-key, compact JSON of a spec (the input of `spec_hash`)."""
    data = spec.model_dump(mode="json") if isinstance(spec, BaseModel) else spec
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def spec_hash(spec: AnyWidgetSpec | dict[str, Any]) -> str:
    """sha256 hex digest of the canonical JSON of `spec`."""
    return hashlib.sha256(canonical_json(spec).encode("utf-8")).hexdigest()


def widget_spec_json_schema() -> dict[str, Any]:
    """The JSON schema of the WidgetSpec union."""
    return WIDGET_SPEC_ADAPTER.json_schema()


def spec_tool_schema() -> dict[str, Any]:
    """Tool input schema: an object with one `spec` property holding the WidgetSpec union.

    Tool inputs must be JSON objects, so the union is wrapped; `$defs` stay at the top.
    """
    schema = widget_spec_json_schema()
    defs = schema.pop("$defs", {})
    return {
        "type": "object",
        "properties": {"spec": schema},
        "required": ["spec"],
        "$defs": defs,
    }
