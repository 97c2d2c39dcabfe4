"""WidgetSpec union, hashing and tool schema."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from command_center.sql.intent import DataIntent
from command_center.widgets.spec import (
    ChartWidgetSpec,
    KpiWidgetSpec,
    TableWidgetSpec,
    parse_spec,
    spec_hash,
    spec_tool_schema,
)


def _chart() -> ChartWidgetSpec:
    return ChartWidgetSpec(
        title="Claims by region",
        data_intent=DataIntent(metric="claims_filed", dimensions=["region"]),
        chart_kind="bar",
        accent="green",
        mock_data=[{"region": "West", "value": 3}],
    )


def test_discriminated_union_picks_the_variant() -> None:
    assert isinstance(parse_spec(_chart().model_dump()), ChartWidgetSpec)
    kpi = {"type": "kpi", "title": "x", "data_intent": {"metric": "approval_rate"}}
    assert isinstance(parse_spec(kpi), KpiWidgetSpec)
    table = {"type": "table", "title": "t", "data_intent": {"metric": "avg_payout"}}
    assert isinstance(parse_spec(table), TableWidgetSpec)
    with pytest.raises(ValidationError):
        parse_spec({"type": "gauge", "title": "x", "data_intent": {"metric": "m"}})
    with pytest.raises(ValidationError):  # chart kinds are the Recharts set
        parse_spec({**_chart().model_dump(), "chart_kind": "sunburst"})
    with pytest.raises(ValidationError):  # accents come from the design tokens
        parse_spec({**_chart().model_dump(), "accent": "#ff0000"})


def test_spec_hash_is_stable_and_sensitive() -> None:
    spec = _chart()
    reordered = dict(reversed(list(spec.model_dump(mode="json").items())))
    assert spec.spec_hash() == spec_hash(reordered) == spec_hash(parse_spec(reordered))
    assert len(spec.spec_hash()) == 64
    other = spec.model_copy(update={"accent": "blue"})
    assert other.spec_hash() != spec.spec_hash()


def test_tool_schema_is_an_object_holding_the_union() -> None:
    schema = spec_tool_schema()
    assert schema["type"] == "object" and schema["required"] == ["spec"]
    union = schema["properties"]["spec"]
    refs = {item["$ref"].rsplit("/", 1)[-1] for item in union["oneOf"]}
    assert refs == {"KpiWidgetSpec", "ChartWidgetSpec", "TableWidgetSpec", "CustomWidgetSpec"}
    assert union["discriminator"]["propertyName"] == "type"
    assert "DataIntent" in schema["$defs"]
