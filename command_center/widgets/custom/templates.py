"""Offline custom-widget templates: parameterised TSX chosen from the request.

Which request picks which template, the data it reads and its parameters live in
`config/custom_templates.yaml`; the TSX in `tsx/<DisplayName>.tsx` with `__NAME__`
placeholders, filled with JSON literals (so no parameter can inject code).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from command_center.metrics.definitions import MetricDefinition
from command_center.settings import PROJECT_ROOT
from command_center.sql.dictionary import load_dictionary
from command_center.sql.intent import DataIntent
from command_center.sql.records import RecordsIntent
from command_center.widgets.spec import CustomWidgetSpec

TEMPLATES_PATH = PROJECT_ROOT / "config" / "custom_templates.yaml"
TSX_DIR = Path(__file__).resolve().parent / "tsx"
_PLACEHOLDER = re.compile(r"__([A-Z]+)__")
_VALUE_FORMATS = {"ratio": "percent", "currency": "currency", "hours": "hours"}


class Template(BaseModel):
    """One offline template (an entry of custom_templates.yaml)."""

    name: str
    display_name: str
    title: str
    phrases: list[str]
    data_intent: dict[str, Any] | None = None
    metric: str | None = None
    dimension: str | None = None
    limit: int | None = None
    target: float | None = None
    severity_colors: dict[str, str]
    fallback: str | None = None
    rules: Any = None
    icons: dict[str, str] = Field(default_factory=dict)
    style: str
    params: dict[str, Any] = Field(default_factory=dict)
    semantic_hooks: list[str] = Field(default_factory=list)

    @property
    def tsx_path(self) -> Path:
        """The template's TSX file."""
        return TSX_DIR / f"{self.display_name}.tsx"


@lru_cache(maxsize=1)
def load_templates(path: Path = TEMPLATES_PATH) -> tuple[Template, ...]:
    """The templates in file order."""
    document = yaml.safe_load(path.read_text()) or {}
    return tuple(
        Template(name=name, **entry) for name, entry in (document.get("templates") or {}).items()
    )


def template_named(name: str) -> Template:
    """The template called `name` (KeyError when unknown)."""
    for template in load_templates():
        if template.name == name:
            return template
    raise KeyError(name)


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9%.]+", " ", text.lower()).strip() + " "


def choose_template(
    request_text: str, semantic_matches: Sequence[str] | None = None
) -> Template | None:
    """The template whose longest phrase occurs in the request (ties: file order), or None.

    `semantic_matches` (the semantic layer's custom-template hook, metric ids, table names)
    break ties towards a template that reads one of them or serves that hook. A hook alone
    never picks a template: the request must name one (phrases in the YAML).
    """
    words = _words(request_text)
    matches = set(semantic_matches or ())
    best: tuple[int, int, int] | None = None
    chosen = None
    for order, template in enumerate(load_templates()):
        hits = [len(p) for p in template.phrases if _words(p) in words]
        if not hits:
            continue
        reads = {template.metric, (template.data_intent or {}).get("table")}
        reads |= set(template.semantic_hooks)
        score = (max(hits), int(bool(reads & matches)), -order)
        if best is None or score > best:
            best, chosen = score, template
    return chosen


def _target(request_text: str, default: float | None, metric: MetricDefinition | None) -> float:
    """A target from the request ("90% target", "target of 500"), else the template's."""
    percent = re.search(r"(\d+(?:\.\d+)?)\s*%", request_text)
    if percent:
        value = float(percent.group(1))
        return value / 100 if metric is None or metric.unit == "ratio" else value
    number = re.search(r"\btarget (?:of )?(\d+(?:\.\d+)?)", request_text.lower())
    if number:
        return float(number.group(1))
    return float(default or 1.0)


def named_dimension(
    request_text: str, metric: MetricDefinition, draft: dict[str, Any]
) -> str | None:
    """The leaderboard's grouping: the draft's, else a metric dimension named in the request
    (its column name or a dictionary synonym); None when neither says."""
    for dim in draft.get("dimensions") or []:
        if dim in metric.dimensions:
            return dim
    words = _words(request_text)
    dictionary = load_dictionary()
    table = metric.source_table.lower()
    for column in metric.dimensions:
        info = dictionary.columns.get(table, {}).get(column)
        names = [column.replace("_", " "), *(info.synonyms if info else [])]
        for name in names:
            for form in (name, name + "s", name + "es"):
                if _words(form) in words:
                    return column
    return None


def _dimension(request_text: str, metric: MetricDefinition, draft: dict[str, Any]) -> str:
    named = named_dimension(request_text, metric, draft)
    return named or (metric.dimensions[0] if metric.dimensions else "")


def render_tsx(template: Template, values: dict[str, Any]) -> str:
    """The template's TSX with every `__NAME__` replaced by the JSON literal of its value."""
    source = template.tsx_path.read_text()

    def fill(match: re.Match[str]) -> str:
        key = match.group(1).lower()
        if key not in values:
            raise KeyError(f"template {template.name}: no value for __{match.group(1)}__")
        return json.dumps(values[key])

    return _PLACEHOLDER.sub(fill, source)


def build_component(
    template: Template,
    request_text: str,
    *,
    metric: MetricDefinition | None = None,
    draft: dict[str, Any] | None = None,
    title: str | None = None,
) -> CustomWidgetSpec:
    """The custom widget spec for `template`, parameterised from the request.

    Aggregate templates (leaderboard, progress) read `metric` (the semantic layer's match)
    or the template's default metric, which the caller resolves into `metric`.
    """
    draft = draft or {}
    styles = {k: template.style.format(family=v) for k, v in template.severity_colors.items()}
    values: dict[str, Any] = {"styles": styles, "icons": template.icons}
    values["fallback"] = template.fallback
    values["rules"] = template.rules
    values["label"] = template.params.get("label")
    values["time"] = template.params.get("time")
    values["details"] = template.params.get("details")
    if template.data_intent is not None:
        intent: DataIntent | RecordsIntent = RecordsIntent.model_validate(template.data_intent)
    else:
        if metric is None:
            raise ValueError(f"template {template.name} needs a metric")
        fmt = _VALUE_FORMATS.get(metric.unit, "number")
        values["format"] = fmt
        if template.name == "progress_target":
            values["target"] = _target(request_text, template.target, metric)
            values["label"] = re.sub(r"\s*\(.*?\)", "", metric.label)
            intent = DataIntent(metric=metric.id, refresh_seconds=30)
        else:
            dimension = _dimension(request_text, metric, draft)
            values["label"] = dimension
            limit = draft.get("limit") or template.limit
            intent = DataIntent(
                metric=metric.id, dimensions=[dimension], limit=limit, refresh_seconds=60
            )
    source = render_tsx(template, values)
    return CustomWidgetSpec(
        title=title or draft.get("title") or _title(template, metric, intent),
        data_intent=intent,
        display_name=template.display_name,
        props_type=f"{template.display_name}Props",
        tsx_source=source,
        severity_colors=template.severity_colors,  # type: ignore[arg-type]
        description=f"offline template {template.name}",
    )


def _title(template: Template, metric: MetricDefinition | None, intent: Any) -> str:
    if metric is None:
        return template.title
    label = re.sub(r"\s*\(.*?\)", "", metric.label)
    if template.name == "leaderboard":
        return f"{label} leaderboard by {intent.dimensions[0].replace('_', ' ')}"
    return f"{label}: progress against target"
