"""Offline builder LLM: deterministic parsing against the catalog, dictionary and vocabulary.

No network, no randomness: the same request always yields the same draft and spec.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from datetime import date, timedelta

from command_center.metrics.definitions import MetricDefinition
from command_center.sql.intent import DataIntent
from command_center.widgets.context import (
    CONCEPT_PHRASES,
    DIMENSION_CONCEPTS,
    KNOWN_VALUES,
    TIME_DIMENSION,
    concept_of,
)
from command_center.widgets.llm.base import BuilderContext, Critique, IntentDraft, MetricMatch
from command_center.widgets.spec import (
    AnyWidgetSpec,
    ChartWidgetSpec,
    KpiWidgetSpec,
    TableWidgetSpec,
)

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "thirty": 30,
    "ninety": 90,
}
_UNIT_DAYS = {"hour": 1 / 24, "day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365}
_FIXED_WINDOWS: list[tuple[str, int]] = [
    (r"\b(today|so far today|last 24 hours|past 24 hours|24h)\b", 1),
    (r"\byesterday\b", 1),
    (r"\b(this|last|past|previous) week\b|\bweek to date\b|\bwtd\b", 7),
    (r"\b(this|last|past|previous) month\b|\bmonth to date\b|\bmtd\b", 30),
    (r"\b(this|last|past|previous) quarter\b|\bqtd\b", 90),
    (r"\b(this|last|past|previous) year\b|\byear to date\b|\bytd\b", 365),
]
_KPI_WORDS = r"\b(kpi|tile|single number|big number|number card|scorecard|headline number|stat card|counter|card|single value|one number)\b"  # noqa: E501
_TABLE_WORDS = r"\b(table|list|listing|grid|rows|tabular|spreadsheet)\b"
_CHART_KINDS: list[tuple[str, str]] = [
    (r"\b(pie|donut|doughnut|share|proportion|composition|mix)\b", "pie"),
    (r"\b(scatter|correlation)\b", "scatter"),
    (r"\b(area chart|stacked area|area graph)\b", "area"),
    (r"\b(radar|spider)\b", "radar"),
    (r"\b(line|lines|trend|trends|trending|over time|time series|timeline|sparkline)\b", "line"),
    (r"\b(bar|bars|column chart|histogram|compare|comparison|ranking|ranked)\b", "bar"),
]
_CHART_WORDS = r"\b(chart|graph|plot|visuali[sz]e|visuali[sz]ation)\b"
_OVER_TIME = r"\b(trend|trends|trending|over time|time series|timeline|daily|by day|per day|by date|day by day|each day|history|sparkline|week over week)\b"  # noqa: E501
_BY_SEGMENT = re.compile(
    r"\b(?:by|per|across|for each|for every|each|grouped by|group by|broken down by|split by|"
    r"segmented by)\s+(.*?)(?=\b(?:for|in|over|during|last|past|this|as|with|from|via|on|"
    r"today|since|where|that|showing|top)\b|$)"
)
_ACCENT_WORDS = {
    "blue": "blue",
    "green": "green",
    "amber": "amber",
    "orange": "amber",
    "yellow": "amber",
    "red": "red",
    "violet": "violet",
    "purple": "violet",
    "grey": "slate",
    "gray": "slate",
    "slate": "slate",
    "teal": "teal",
    "pink": "pink",
}
_GENERIC_TOKENS = {
    "new",
    "number",
    "of",
    "rate",
    "count",
    "average",
    "avg",
    "total",
    "active",
    "open",
    "ratio",
    "by",
    "per",
    "mix",
    "the",
    "in",
    "warehouse",
    "l3",
    "asurion",
    "mean",
    "claim",
}
_PRODUCT_VALUES = [
    "Mobile Protect",
    "Mobile Protect Plus",
    "Home Tech",
    "Laptop Care",
    "Tablet Shield",
]


def normalize(text: str) -> str:
    """Lower-case, punctuation to spaces, single spaces."""
    text = text.lower().replace("_", " ").replace("-", " ")
    text = re.sub(r"[^a-z0-9%$ ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def stem_text(text: str) -> str:
    """Normalise then stem every word (plural-insensitive matching)."""
    return " ".join(_stem(word) for word in normalize(text).split())


def _find(pattern: str, text: str) -> re.Match[str] | None:
    return re.search(pattern, text)


def _phrase_pattern(phrase: str) -> str:
    return r"\b" + re.escape(stem_text(phrase)) + r"\b"


@dataclass
class _PhraseHit:
    metric_id: str
    phrase: str
    start: int
    end: int
    core_tokens: int


def _dimension_tokens() -> set[str]:
    """Words that name a grouping (not a metric): they do not count towards a metric match."""
    tokens: set[str] = {"by", "per", "across"}
    for phrases in CONCEPT_PHRASES.values():
        for phrase in phrases:
            tokens.update(stem_text(phrase).split())
    return tokens - {"device", "claim", "plan", "coverage", "issue", "intake"}


_DIM_TOKENS = _dimension_tokens()


def metric_phrases(metric: MetricDefinition) -> list[str]:
    """Every phrase that names `metric`: id, label (with/without qualifier), synonyms."""
    label = metric.label.lower()
    phrases = [metric.id.replace("_", " "), label, re.sub(r"\s*\(.*?\)\s*", " ", label).strip()]
    phrases += [synonym.lower() for synonym in metric.synonyms]
    seen: list[str] = []
    for phrase in phrases:
        if phrase and phrase not in seen:
            seen.append(phrase)
    return seen


def match_catalog(text: str, catalog: list[MetricDefinition]) -> tuple[MetricMatch, str | None]:
    """Recognise a catalog metric in `text` by id/label/synonym; fall back to distinctive words.

    Returns the match and the matched phrase (None for the fallback). Among overlapping
    phrases the one with more metric-specific words wins ("open claims by status" is open
    claims, not the status mix); ties go to the longer phrase, then to catalog order.
    """
    stemmed = stem_text(text)
    hits: list[_PhraseHit] = []
    for metric in catalog:
        for phrase in metric_phrases(metric):
            for found in re.finditer(_phrase_pattern(phrase), stemmed):
                core = [t for t in stem_text(phrase).split() if t not in _DIM_TOKENS]
                hits.append(_PhraseHit(metric.id, phrase, found.start(), found.end(), len(core)))
    wants_warehouse = bool(_find(r"\b(warehouse|databrick|l3|ev claim|lakehouse)\b", stemmed))
    by_id = {metric.id: metric for metric in catalog}
    if hits:

        def rank(hit: _PhraseHit) -> tuple[int, int, int, int]:
            warehouse = by_id[hit.metric_id].backend == "databricks"
            bonus = 1 if warehouse == wants_warehouse else 0
            return (
                hit.core_tokens,
                bonus,
                hit.end - hit.start,
                -catalog.index(by_id[hit.metric_id]),
            )

        best = max(hits, key=rank)
        runner_up = sorted({h.metric_id for h in hits if h.metric_id != best.metric_id})
        return MetricMatch(
            metric_id=best.metric_id, confidence=0.95, candidates=runner_up
        ), best.phrase
    return _fuzzy_match(stemmed, catalog, wants_warehouse), None


def _fuzzy_match(stemmed: str, catalog: list[MetricDefinition], warehouse: bool) -> MetricMatch:
    words = set(stemmed.split())
    token_sets: dict[str, set[str]] = {}
    for metric in catalog:
        tokens: set[str] = set()
        for phrase in metric_phrases(metric):
            tokens.update(stem_text(phrase).split())
        token_sets[metric.id] = tokens - _GENERIC_TOKENS - _DIM_TOKENS
    frequency: dict[str, int] = {}
    for tokens in token_sets.values():
        for token in tokens:
            frequency[token] = frequency.get(token, 0) + 1
    scores: dict[str, float] = {}
    for metric in catalog:
        score = sum(1.0 / frequency[t] for t in token_sets[metric.id] & words)
        # near-spellings ("enrolment", "payouts") count half
        for word in words - token_sets[metric.id]:
            if len(word) > 4 and difflib.get_close_matches(word, token_sets[metric.id], 1, 0.85):
                score += 0.5
        if "claim" in words and any("claim" in p for p in metric_phrases(metric)):
            score += 0.1
        if warehouse and metric.backend == "databricks":
            score += 0.05
        scores[metric.id] = score
    ranked = sorted(catalog, key=lambda m: (-scores[m.id], catalog.index(m)))
    top = ranked[0]
    second = scores[ranked[1].id] if len(ranked) > 1 else 0.0
    candidates = [m.id for m in ranked if scores[m.id] > 0][:4] or [m.id for m in ranked[:4]]
    if scores[top.id] >= 1.0 and scores[top.id] > second:
        return MetricMatch(metric_id=top.id, confidence=0.6, candidates=candidates[1:])
    return MetricMatch(metric_id=None, confidence=0.0, candidates=candidates)


def _window_days(text: str) -> int | None:
    found = _find(
        r"\b(?:last|past|previous|trailing|over the last|in the last)\s+(\d+|[a-z]+)\s+"
        r"(hour|day|week|month|quarter|year)s?\b",
        text,
    )
    if found:
        amount = found.group(1)
        number = int(amount) if amount.isdigit() else _NUMBER_WORDS.get(amount)
        if number:
            return max(1, round(number * _UNIT_DAYS[found.group(2)]))
    found = _find(r"\b(\d+)\s*(d|day|days)\b", text)
    if found:
        return int(found.group(1))
    for pattern, days in _FIXED_WINDOWS:
        if _find(pattern, text):
            return days
    return None


def extract_dimensions(text: str, phrases: dict[str, list[str]]) -> tuple[list[str], bool]:
    """Dimension names after by/per/across/top N… (in text order) and whether time was asked.

    Within a segment, overlapping phrase hits keep the longest ("plan status" over "status").
    """
    over_time = bool(_find(_OVER_TIME, text))
    segments = [(m.start(1), m.group(1)) for m in _BY_SEGMENT.finditer(text)]
    segments += [(m.start(), m.group(0)) for m in re.finditer(r"\btop \d+ [a-z ]+", text)]
    stemmed_text = stem_text(text)
    for names in phrases.values():
        for phrase in names:
            tail = r"\s+(breakdown|split|distribution|mix|share)\b"
            hit = re.search(_phrase_pattern(phrase) + tail, stemmed_text)
            if hit:
                segments.append((hit.start(), hit.group(0)))
    hits: list[tuple[int, int, str]] = []
    for offset, segment in segments:
        stemmed = stem_text(segment)
        if _find(r"\b(day|date|week|month|hour)\b", stemmed):
            over_time = True
        for name, names in phrases.items():
            for phrase in names:
                for found in re.finditer(_phrase_pattern(phrase), stemmed):
                    start = offset * 1000 + found.start()
                    hits.append((start, found.end() - found.start(), name, phrase))
    hits.sort(key=lambda h: (h[0], -h[1]))
    ordered: list[str] = []
    covered_until = -1
    for start, length, _name, phrase in hits:
        if start < covered_until:
            continue
        covered_until = start + length
        # the same words may name several concepts ("category" is a device category and,
        # on sessions, the topic): keep the phrase then, and resolve it per metric later
        names = {h[2] for h in hits if h[0] == start and h[1] == length}
        chosen = names.pop() if len(names) == 1 else phrase
        if chosen not in ordered:
            ordered.append(chosen)
    return ordered, over_time


def _filters(text: str, exclude: list[str]) -> dict[str, str | list[str]]:
    """Filters from known values ("for Samsung", "in the West", "via app")."""
    for phrase in exclude:
        text = re.sub(_phrase_pattern(phrase), " ", stem_text(text))
    text = stem_text(text)
    filters: dict[str, str | list[str]] = {}
    for concept, values in KNOWN_VALUES.items():
        matched: list[str] = []
        for value in values:
            if re.search(_phrase_pattern(value.replace("_", " ")), text):
                matched.append(value)
        if concept == "channel":
            # "phone"/"app"/"web" only count as a channel when introduced as one
            matched = [
                v
                for v in matched
                if re.search(rf"\b(via|through|on|from|in|by|over)( the)? {v}\b", text)
                or re.search(rf"\b{v} (channel|claim|session|intake)\b", text)
            ]
        if concept == "status":
            matched = [v for v in matched if not re.search(rf"\b(by|per) {v}\b", text)]
        if matched:
            filters[concept] = matched[0] if len(matched) == 1 else matched
    return filters


def _widget_kind(text: str, has_limit: bool) -> tuple[str | None, str | None]:
    chart_kind = None
    for pattern, kind in _CHART_KINDS:
        if _find(pattern, text):
            chart_kind = kind
            break
    if _find(_KPI_WORDS, text):
        return "kpi", None
    if _find(_TABLE_WORDS, text):
        return "table", None
    if chart_kind or _find(_CHART_WORDS, text):
        return "chart", chart_kind
    if has_limit:
        return "chart", "bar"
    return None, None


class OfflineLLM:
    """Deterministic builder backend (BUILDER_MODE=offline)."""

    mode = "offline"

    def extract_intent(self, raw_input: str, context: BuilderContext) -> IntentDraft:
        """Parse metric, widget type, chart kind, dimensions, window, filters and limit."""
        text = normalize(raw_input)
        match, phrase = match_catalog(text, context.catalog)
        limit_hit = _find(r"\btop (\d+)\b", text)
        limit = int(limit_hit.group(1)) if limit_hit else None
        widget_type, chart_kind = _widget_kind(text, limit is not None)
        phrases = context.dictionary.dimension_phrases(context.catalog)
        dimensions, over_time = extract_dimensions(text, phrases)
        filters = _filters(text, [phrase] if phrase else [])
        title_hit = re.search(r"(?:titled|called|named)\s+[\"']([^\"']+)[\"']", raw_input)
        return IntentDraft(
            widget_type=widget_type,  # type: ignore[arg-type]
            chart_kind=chart_kind,  # type: ignore[arg-type]
            metric_id=match.metric_id,
            metric_phrase=phrase,
            dimensions=dimensions,
            filters=filters,
            window_days=_window_days(text),
            limit=limit,
            title=title_hit.group(1) if title_hit else None,
            over_time=over_time,
        )

    def match_metric(
        self, raw_input: str, draft: IntentDraft, context: BuilderContext
    ) -> MetricMatch:
        """Match the request against catalog ids, labels and synonyms."""
        if draft.metric_id and context.metric(draft.metric_id):
            match, _ = match_catalog(raw_input, context.catalog)
            return MetricMatch(
                metric_id=draft.metric_id,
                confidence=max(match.confidence, 0.9),
                candidates=match.candidates,
            )
        match, _ = match_catalog(raw_input, context.catalog)
        return match

    def synthesize_spec(
        self,
        raw_input: str,
        draft: IntentDraft,
        metric: MetricDefinition,
        context: BuilderContext,
        feedback: list[str] | None = None,
    ) -> AnyWidgetSpec:
        """Build the spec from a complete, resolved draft (deterministic mock data)."""
        return build_spec(raw_input, draft, metric)

    def critique(
        self,
        raw_input: str,
        spec: AnyWidgetSpec,
        metric: MetricDefinition | None,
        context: BuilderContext,
    ) -> Critique:
        """Offline critique adds nothing beyond the rule checks the critic node runs."""
        return Critique(ok=True)


# ---------------------------------------------------------------- spec building


def _accent(raw_input: str, metric: MetricDefinition) -> str:
    for word, accent in _ACCENT_WORDS.items():
        if re.search(rf"\bin {word}\b|\b{word} (accent|colou?r)\b", raw_input.lower()):
            return accent
    return {"currency": "green", "ratio": "violet", "hours": "amber", "rate": "teal"}.get(
        metric.unit, "blue"
    )


def _value_format(metric: MetricDefinition) -> str:
    return {"ratio": "percent", "currency": "currency", "hours": "hours"}.get(metric.unit, "number")


def _dimension_label(column: str) -> str:
    return "day" if column == TIME_DIMENSION else column.replace("_", " ")


def _label_names_grouping(label: str, groups: list[str]) -> bool:
    """True when the label already says the grouping ("Claims by product" + product_name)."""
    lowered = label.lower()
    if " by " not in lowered:
        return False
    return all(_dimension_label(d).split()[0].lower() in lowered for d in groups)


def default_title(draft: IntentDraft, metric: MetricDefinition) -> str:
    """A readable title: label, grouping, window."""
    label = re.sub(r"\s*\(.*?\)\s*", "", metric.label).strip() or metric.label
    parts = [label]
    groups = [d for d in draft.dimensions if d != TIME_DIMENSION]
    if groups and not _label_names_grouping(label, groups):
        parts.append("by " + " and ".join(_dimension_label(d) for d in groups))
    if TIME_DIMENSION in draft.dimensions:
        parts.append("over time")
    title = " ".join(parts)
    if draft.window_days:
        title += f" (last {draft.window_days} days)" if draft.window_days > 1 else " (today)"
    return title


def _values_for(column: str, window_days: int | None) -> list[str]:
    if column == TIME_DIMENSION:
        days = min(window_days or 14, 14)
        today = date.today()
        return [(today - timedelta(days=offset)).isoformat() for offset in range(days - 1, -1, -1)]
    if column == "product_name":
        return list(_PRODUCT_VALUES)
    concept = concept_of(column)
    if concept == "status" and column == "plan_status":
        return ["none", "active", "cancelled"]
    if concept and concept in KNOWN_VALUES:
        return list(KNOWN_VALUES[concept])
    if concept == "category":
        return ["phone", "tablet", "laptop", "watch"]
    return [f"{column} {i}" for i in range(1, 5)]


def _mock_value(seed: str, metric: MetricDefinition) -> float:
    fraction = int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if metric.unit == "ratio":
        return round(0.55 + 0.4 * fraction, 3)
    if metric.unit == "currency":
        return round(120 + 480 * fraction, 2)
    if metric.unit == "hours":
        return round(2 + 46 * fraction, 1)
    return float(int(20 + 380 * fraction))


def mock_rows(draft: IntentDraft, metric: MetricDefinition) -> list[dict[str, object]]:
    """Deterministic preview rows: one key per dimension plus `value`."""
    rows: list[dict[str, object]] = [{}]
    for column in draft.dimensions[:2]:
        values = _values_for(column, draft.window_days)
        if isinstance(draft.filters.get(column), str):
            values = [str(draft.filters[column])]
        rows = [{**row, column: value} for row in rows for value in values][:40]
    limit = draft.limit or len(rows)
    out = []
    for row in rows[:limit]:
        seed = f"{metric.id}|{sorted(row.items())}|{sorted(draft.filters.items())}"
        out.append({**row, "value": _mock_value(seed, metric)})
    return out


def build_spec(raw_input: str, draft: IntentDraft, metric: MetricDefinition) -> AnyWidgetSpec:
    """The deterministic spec for a resolved draft (also used as the offline synthesizer)."""
    intent = DataIntent(
        entity=metric.source_table,
        metric=metric.id,
        dimensions=list(draft.dimensions),
        filters=dict(draft.filters),
        window_days=draft.window_days if draft.window_days is not None else metric.window_days,
        limit=draft.limit,
    )
    common = {
        "title": draft.title or default_title(draft, metric),
        "data_intent": intent,
        "accent": _accent(raw_input, metric),
        "value_format": _value_format(metric),
        "description": metric.description,
        "mock_data": mock_rows(draft, metric),
    }
    if draft.widget_type == "kpi":
        return KpiWidgetSpec(**common)
    if draft.widget_type == "table":
        columns = [*draft.dimensions, "value"]
        return TableWidgetSpec(**common, columns=columns)
    return ChartWidgetSpec(**common, chart_kind=draft.chart_kind or "bar")


__all__ = ["DIMENSION_CONCEPTS", "OfflineLLM", "build_spec", "match_catalog", "normalize"]
