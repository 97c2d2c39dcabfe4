"""The questions the offline parser asks and the title it keeps (the operator's words)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rapidfuzz import fuzz

from command_center.metrics.definitions import MetricDefinition
from command_center.semantic.layer import SemanticLayer
from command_center.semantic.scan import Scan

if TYPE_CHECKING:
    from command_center.semantic.candidates import Candidate


def labels(candidates: list[Candidate]) -> list[str]:
    seen: list[str] = []
    for c in candidates:
        if c.metric.label not in seen:
            seen.append(c.metric.label)
    return seen[:5]


def closest_widgets(candidates: list[Candidate]) -> list[str]:
    if not candidates:
        return ["a table of recent records", "a KPI tile"]
    label = candidates[0].metric.label
    return [f"{label} as a table", f"{label} as a line chart", f"{label} as a KPI tile"]


def clarify(layer: SemanticLayer, found: Scan, reason: str) -> dict[str, Any]:
    """Ask the operator to rephrase (nothing usable understood); options are metrics."""
    return {**metric_question(layer, found, reason), "field": "clarify"}


def metric_question(layer: SemanticLayer, found: Scan, reason: str) -> dict[str, Any]:
    """Ask for the metric, options ranked by similarity to the request."""
    text = found.text

    def similarity(metric: MetricDefinition) -> float:
        phrases = [metric.label, metric.description, *metric.synonyms]
        return max(fuzz.token_set_ratio(text, p.lower()) for p in phrases) if text else 0.0

    ranked = sorted(layer.catalog, key=lambda m: (-similarity(m), layer.catalog.index(m)))
    return {"field": "metric", "reason": reason, "options": [m.label for m in ranked[:5]]}


_LEAD = re.compile(
    r"^(?:(?:please|can you|could you|i want|i need|i'd like|i would like|to see|see|show me|"
    r"show|give me|display|"
    r"add|create|build|make|a|an|the|new|me)\s+)+",
    re.I,
)


def title_from(raw: str) -> str | None:
    """The operator's own words, trimmed of request verbs ("show me a …")."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", raw)).strip(" ?.!:")
    text = _LEAD.sub("", text).strip()
    text = re.sub(
        r"^(?:(?:bar|line|pie|area|donut)\s+)?(?:chart|graph|table|kpi|tile)\s+of\s+",
        "",
        text,
        flags=re.I,
    )
    if not text or not re.search(r"[A-Za-z]", text):
        return None
    return (text[0].upper() + text[1:])[:120]
