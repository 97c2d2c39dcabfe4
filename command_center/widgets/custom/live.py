"""Live mode: the reasoning-tier model writes the component through a forced tool.

The tool input is a `ComponentDraft`; it is parsed into a CustomWidgetSpec (the data intent
is the one the clarifier resolved) and statically checked. Failures go back to the model for
one repair round (`BedrockLLM.structured`); a second failure is a typed `invalid_output`.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from command_center.widgets.custom.checks import DESIGN_FAMILIES, check_component
from command_center.widgets.spec import MAX_TSX_BYTES, ColourFamily, CustomWidgetSpec

COMPONENT_TOOL = "emit_component"
SCOPE_RULES = f"""Write ONE React component in TSX for a sandboxed dashboard widget.
Rules (checked statically; a failing component is rejected):
- declare `type <DisplayName>Props = {{ rows: Array<Record<string, string | number |
  boolean | null>>; columns: string[] }}` and `function <DisplayName>(props:
  <DisplayName>Props)`, and `export default` it;
- no import/require: only `React` (React.useState, …) and `Icon` (lucide names:
  `<Icon name="triangle-alert" size={{14}} />`) are in scope, plus JS built-ins;
- Tailwind classes only, colour families only from: {", ".join(DESIGN_FAMILIES)};
  no `style` prop; no `any`, no `@ts-ignore`;
- every key of severity_colors must be used in the code; at most {MAX_TSX_BYTES} bytes."""


class ComponentDraft(BaseModel):
    """What the model writes: the component and its presentation."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    display_name: str = Field(pattern=r"^[A-Z][A-Za-z0-9]{1,63}$")
    props_type: str = Field(pattern=r"^[A-Z][A-Za-z0-9]{1,63}$")
    tsx_source: str = Field(min_length=1, max_length=MAX_TSX_BYTES)
    severity_colors: dict[str, ColourFamily] = Field(default_factory=dict, max_length=12)


def component_prompt(raw_input: str, baseline: CustomWidgetSpec, sample: list[dict]) -> str:
    """The reasoning-tier prompt: the request, the data the component receives, the rules."""
    intent = baseline.data_intent.model_dump(mode="json")
    return (
        f"{SCOPE_RULES}\n\nOperator request: {raw_input!r}\n"
        f"The component receives props.rows from this data intent: {json.dumps(intent)}\n"
        f"Sample rows: {json.dumps(sample[:5], default=str)}\n"
        f"Suggested display_name {baseline.display_name!r} and severity_colors "
        f"{json.dumps(baseline.severity_colors)}. Call {COMPONENT_TOOL}."
    )


def parse_component(baseline: CustomWidgetSpec, tool_input: dict[str, Any]) -> CustomWidgetSpec:
    """Tool input → checked CustomWidgetSpec; ValueError lists the failed static checks."""
    draft = ComponentDraft.model_validate(tool_input)
    spec = baseline.model_copy(update={**draft.model_dump(), "description": "written by the model"})
    spec = CustomWidgetSpec.model_validate(spec.model_dump())
    report = check_component(spec)
    if not report.passed:
        raise ValueError(f"static checks failed: {report.summary()}")
    return spec


def write_component(
    llm: Any, raw_input: str, baseline: CustomWidgetSpec, sample: list[dict] | None = None
) -> CustomWidgetSpec:
    """Ask the reasoning tier (forced `emit_component`, one repair round) for the component."""
    return llm.structured(
        "reasoning",
        component_prompt(raw_input, baseline, sample or baseline.mock_data),
        COMPONENT_TOOL,
        ComponentDraft.model_json_schema(),
        lambda tool_input: parse_component(baseline, tool_input),
        description="Return the custom widget's TSX component.",
    )
