"""Offline understanding of a widget request over the semantic layer.

Every meaning-carrying word must be explained (a metric, table, column or value phrase, or
grammar); a metric candidate wins only with a clear margin over the next different one.
Otherwise the result carries one question (`ask`) with ranked options.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from command_center.metrics.definitions import MetricDefinition
from command_center.semantic import grammar, timeaxis
from command_center.semantic.compose import (
    base_constraints,
    catalog_measure,
    compatible,
    compose_metric,
    plain_counts,
    warehouse_twins,
)
from command_center.semantic.layer import TIME_DIMENSION, SemanticLayer
from command_center.semantic.questions import (
    clarify,
    closest_widgets,
    labels,
    metric_question,
    title_from,
)
from command_center.semantic.roles import Roles, assign_roles
from command_center.semantic.scan import Scan, distinctive, fuzzy, scan, splittable

MARGIN = 3.0


@dataclass
class Understanding:
    """What the request asks for; `ask` is set when the builder must ask instead."""

    metric: MetricDefinition | None = None
    composed: bool = False
    widget_type: str | None = None
    chart_kind: str | None = None
    dimensions: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    exclude: dict[str, list[str]] = field(default_factory=dict)
    window_days: int | None = None
    period: str | None = None
    limit: int | None = None
    sort: str | None = None
    over_time: bool = False
    grain: str = TIME_DIMENSION  # the series' bucket: hour | day | week | month
    time_column: str | None = None  # the dated event the axis/window use (None: the metric's)
    cyclic: str | None = None  # "by hour of day": a profile, asked about
    title: str | None = None
    custom_template: str | None = None
    ask: dict[str, Any] | None = None  # {field, reason, options}
    notes: list[str] = field(default_factory=list)


@dataclass
class _Candidate:
    metric: MetricDefinition
    score: float
    composed: bool = False
    why: str = ""
    span_start: int | None = None  # the metric phrase it was read from


def understand(
    raw: str, layer: SemanticLayer, forbid: frozenset[tuple[int, int]] = frozenset()
) -> Understanding:
    """Parse `raw` into an Understanding (deterministic); when no metric fits, once more with
    multi-word value phrases read word by word."""
    found = scan(raw[:2000], layer, forbid)
    out = Understanding(title=title_from(raw))
    if not found.words or not re.search(r"[a-z]", found.text):
        out.ask = clarify(layer, found, "the request has no words to go on")
        return out
    if re.search(grammar.CODE_LIKE, raw[:2000], re.I):
        out.ask = clarify(layer, found, "the request looks like code or markup, not a widget")
        return out
    _shape(found, out)
    shapes = grammar.shape_conflict(found.unnamed_text())
    if shapes:  # "claims by region chart and table": one widget, which?
        reason = f"the request names {' and '.join(shapes)}"
        out.ask = {"field": "widget_type", "reason": reason, "options": shapes}
        return out
    doubt = grammar.window_doubt(found.text)
    if re.search(grammar.VERSUS_PERIOD, found.text):  # "open claims vs last week"
        doubt = "a comparison with an earlier period"
    if doubt:  # "today vs yesterday", "last few days": never a silent default window
        out.ask = clarify(layer, found, f"which time window? ({doubt})")
        return out
    for name, pattern in ((t, p) for p, t in grammar.CUSTOM_TEMPLATES):
        if found.mark(pattern):
            out.custom_template = out.custom_template or name
    fuzzy(found, layer)
    roles = assign_roles(found, layer)
    roles.over_time = out.over_time = out.over_time or roles.over_time  # "weekly" too
    out.limit, out.sort = roles.limit, roles.sort
    candidates = _candidates(found, roles, layer)
    unknown = found.unaccounted() + roles.unused
    if not any(span.tags for span in found.spans) and not roles.measures:
        reason = "nothing in the request names data this product has"
        shaped = out.window_days or out.widget_type or out.chart_kind or roles.counting
        # a widget shape or window around an unknown measure ("revenue this quarter"): ask
        # which metric; nothing at all ("write me a haiku"): ask to rephrase
        out.ask = (metric_question if shaped else clarify)(layer, found, reason)
        return out
    if any(word in grammar.AGGREGATES for word in unknown):  # "average handling time"
        reason = f"no measure in the data matches {', '.join(unknown[:3])}"
        out.ask = metric_question(layer, found, reason)
        return out
    if out.custom_template:
        out.ask = {
            "field": "widget_type",
            "reason": f"no built-in widget draws a {out.custom_template} yet",
            "options": closest_widgets(candidates),
        }
        return out
    if not candidates and not forbid and splittable(found, layer):
        return understand(raw, layer, splittable(found, layer))
    if not candidates:
        reason = "no catalog metric or data-dictionary measure matches the request"
        if unknown:
            reason += f" (not understood: {', '.join(unknown[:5])})"
        out.ask = metric_question(layer, found, reason)
        return out
    best, rivals = candidates[0], candidates[1:]
    close = [c for c in rivals if best.score - c.score < MARGIN and c.metric.id != best.metric.id]
    if close and unknown:  # an unknown word ("Huawei", "province") is the real question
        out.ask = {
            "field": "clarify",
            "reason": f"I did not understand: {', '.join(unknown[:5])}",
            "options": labels([best, *close]),
        }
        return out
    if close:
        out.ask = {
            "field": "metric",
            "reason": "the request fits more than one metric",
            "options": labels([best, *close]),
        }
        return out
    others = [
        span.words
        for span, tags in roles.metric_spans
        if best.metric.id not in {t.name for t in tags}
        and span.start not in roles.measure_starts | {best.span_start}
    ]
    asked_for = {(agg, t.column) for agg, tags in roles.measures for t in tags}
    if len({agg for agg, _c in asked_for}) > 1:  # "average payout and total cost": two measures
        others.append(" and ".join(sorted({f"{a.lower()} {c}" for a, c in asked_for})))
    if others:  # "payout per claim by product": two metric phrases, one would be dropped
        out.ask = {
            "field": "metric",
            "reason": f"the request names {best.metric.label} and {', '.join(others[:2])}",
            "options": labels([best, *rivals]),
        }
        return out
    if wants_warehouse(found, layer) and best.metric.backend != "databricks":
        reason = f"the warehouse has no {best.metric.label.lower()} (it is an operational metric)"
        out.ask = metric_question(layer, found, reason)
        return out
    foreign = roles.named_tables and best.metric.source_table not in roles.tables
    if foreign and not roles.qualified_tables:  # "customer churn" is not a device count
        names = ", ".join(t.split(".")[-1] for t in roles.named_tables)
        out.ask = metric_question(layer, found, f"{best.metric.label} is not about {names}")
        return out
    if unknown and best.score <= 8:  # a weak guess and words left over: ask, don't guess
        out.ask = metric_question(layer, found, f"not sure what {', '.join(unknown[:3])} means")
        return out
    out.metric, out.composed = best.metric, best.composed
    unknown = [w for w in unknown if not timeaxis.names_time_column(w, best.metric, layer)]
    if not _resolve(out, roles, layer):
        return out
    timeaxis.settle_time_axis(out, roles, layer)
    if out.ask:
        return out
    if roles.by_metric and not (out.dimensions or out.over_time or unknown):  # "claims by payout"
        reason = f"{out.metric.label} by what? Nothing to group by was named"
        out.ask = {"field": "dimension", "reason": reason, "options": list(out.metric.dimensions)}
        return out
    compare = re.search(r"\b(compare|comparing|comparison)\b", found.text)
    if compare and not out.dimensions and not out.over_time and out.widget_type != "kpi":
        out.ask = {
            "field": "dimension",
            "reason": f"compare {out.metric.label} across what?",
            "options": list(out.metric.dimensions),
        }
        return out
    if unknown:
        out.ask = {
            "field": "clarify",
            "reason": f"I did not understand: {', '.join(unknown[:5])}",
            "options": [f"ignore {', '.join(unknown[:3])}", *(labels(candidates)[:3])],
        }
    return out


def _shape(found: Scan, out: Understanding) -> None:
    """Widget type, chart kind, window and time series from grammar words."""
    text = found.text
    for pattern, kind in grammar.CHART_KINDS:
        if found.mark(pattern, unnamed=True):
            out.chart_kind = out.chart_kind or kind
    if found.mark(grammar.KPI_WORDS):
        out.widget_type, out.chart_kind = "kpi", None
    elif found.mark(grammar.TABLE_WORDS):
        out.widget_type, out.chart_kind = "table", None
    elif out.chart_kind or found.mark(grammar.CHART_WORDS):
        out.widget_type = "chart"
    out.over_time = bool(found.mark(grammar.OVER_TIME))
    timeaxis.read_grain(found, out)
    soft_pie = found.mark(grammar.SOFT_PIE) and out.widget_type not in ("kpi", "table")
    if soft_pie and not out.chart_kind and not out.over_time:
        out.chart_kind = "pie"
    out.window_days, out.period = grammar.window(text)
    for pattern in (
        grammar.TRAILING.pattern,
        grammar.SINCE_WEEKDAY.pattern,
        grammar.SHORT_DAYS.pattern,
        grammar.SHORT_DAYS_LEAD,
        *(p for p, _d, _p in grammar.FIXED_WINDOWS),
        grammar.BACKEND_WORDS,
        grammar.COUNT_WORDS,
        grammar.DISTINCT_WORDS,
        grammar.NEGATIONS,
        grammar.GROUP_WORDS,
        r"\b(trend|distribution|split|breakdown|share|mix)\b",
        r"\b(?:titled|called|named)\b|\breal[ -]?time\b",
        r"\b(?:in|as) (?:" + "|".join(grammar.ACCENTS) + r")\b",
    ):
        found.mark(pattern)


def _candidates(found: Scan, roles: Roles, layer: SemanticLayer) -> list[_Candidate]:
    """Every metric the request could mean, best first (catalog, then composed)."""
    wants_wh = wants_warehouse(found, layer)
    out: dict[str, _Candidate] = {}

    def add(
        metric: MetricDefinition, score: float, composed: bool = False, start: int | None = None
    ) -> None:
        if wants_wh and metric.backend != "databricks":
            score -= 8
        elif wants_wh or (not composed and metric.backend != "databricks"):
            score += 2
        if metric.source_table in roles.named_tables:
            score += 2
        if not _fits(metric, roles, layer):
            return
        if metric.id not in out or out[metric.id].score < score:
            out[metric.id] = _Candidate(metric, score, composed, span_start=start)

    for span, tags in roles.metric_spans:
        for tag in tags:
            metric = layer.metric(tag.name)
            if metric is None:
                continue
            score = 10.0 * (span.end - span.start) + 1
            add(metric, score, start=span.start)
            for twin in warehouse_twins(layer, metric) if wants_wh else []:
                add(twin, score, twin.origin == "promoted", span.start)
    for aggregate, columns in roles.measures:
        for tag in columns:
            table = tag.table
            metric = catalog_measure(layer, table, _measure(aggregate, tag.column))
            composed = metric is None
            metric = metric or compose_metric(layer, table, aggregate, tag.column)
            if metric is not None:
                warehouse = layer.backend_of(table) == "databricks"
                add(
                    metric,
                    30.0 if not composed else 26.0 if warehouse == wants_wh else 22.0,
                    composed,
                )
    named = {t.name for _span, tags in roles.metric_spans for t in tags}
    if named and not out:
        return []  # the request names a metric that cannot do what it asks: ask, never swap
    if not out and (
        roles.counting
        or roles.values
        or roles.qualified_tables
        or (len(roles.named_tables) == 1 and (roles.dimensions or _over_time(found, roles)))
    ):
        for table in _count_tables(roles, layer, wants_wh):
            wanted = roles.value_columns(table)
            fits = [  # a base-filtered count ("active sessions") only when the request asks
                m  # for a value its base filter is about
                for m in plain_counts(layer, table)
                if compatible(m, wanted)
                and (not m.base_filter.strip() or set(base_constraints(m)) & set(wanted))
            ]
            if fits:
                add(fits[0], 8.0 + (2 if roles.counting else 0))
            else:
                metric = compose_metric(layer, table, "COUNT", None)
                if metric is not None:
                    add(metric, 7.0 + (2 if roles.counting else 0), True)
    if not out:
        for table in roles.named_tables:  # "sessions by topic": the table's catalog metrics
            for metric in layer.catalog:
                if metric.source_table == table:
                    add(metric, 6.0)
    if not out:
        for metric_id in distinctive(found, layer):
            metric = layer.metric(metric_id)
            if metric is not None:
                add(metric, 6.0)
    return sorted(out.values(), key=lambda c: -c.score)


def wants_warehouse(found: Scan, layer: SemanticLayer) -> bool:
    """The request points at the warehouse: a backend word ("in the warehouse") or a phrase
    naming a warehouse table ("claims history", "analytics": dictionary synonyms)."""
    if re.search(grammar.BACKEND_WORDS, found.text):
        return True
    return any(
        layer.backend_of(t.table) == "databricks"
        for span in found.spans
        if not span.of("value") and not span.of("metric")
        for t in span.of("table")
    )


def _over_time(found: Scan, roles: Roles) -> bool:
    return roles.over_time or bool(re.search(grammar.OVER_TIME, found.text))


def _measure(aggregate: str, column: str) -> str:
    return (
        f"COUNT(DISTINCT {column})" if aggregate == "COUNT_DISTINCT" else f"{aggregate}({column})"
    )


def _count_tables(roles: Roles, layer: SemanticLayer, wants_wh: bool) -> list[str]:
    tables = list(roles.tables)
    if not tables:
        tables = sorted({t.table for tags in roles.values for t in tags})
    if wants_wh:
        tables = [t for t in tables if layer.backend_of(t) == "databricks"] or [
            t for t in layer.dictionary.tables if layer.backend_of(t) == "databricks"
        ]
    return tables


def _fits(metric: MetricDefinition, roles: Roles, layer: SemanticLayer) -> bool:
    """Every dimension and value filter resolves on the metric's table and dimensions."""
    table = metric.source_table
    for tags in roles.dimensions:
        if tags == TIME_DIMENSION:
            continue
        if not any(t.table == table and t.column in metric.dimensions for t in tags):
            return False
    for tags in [*roles.values, *roles.negated]:
        on_table = any(t.table == table and t.column in metric.dimensions for t in tags)
        if not on_table and not roles.event_only(tags, table):
            return False
    if timeaxis.contradicts(metric, roles, layer):  # "open claims closed per week"
        return False
    return compatible(metric, roles.value_columns(table))


def _resolve(out: Understanding, roles: Roles, layer: SemanticLayer) -> bool:
    """Dimensions and filters as the chosen metric's columns; False when a question is due."""
    metric = out.metric
    assert metric is not None
    table = metric.source_table
    for span, _tags in roles.metric_spans:  # "claims by product": the metric's own grouping
        if re.search(grammar.GROUP_WORDS, span.words) and not out.dimensions:
            out.dimensions.extend(metric.default_dimensions)
    for tags in roles.dimensions:
        if tags == TIME_DIMENSION:
            out.over_time = True
            continue
        column = next(t.column for t in tags if t.table == table and t.column in metric.dimensions)
        if column not in out.dimensions:
            out.dimensions.append(column)
    for target, groups in ((out.filters, roles.values), (out.exclude, roles.negated)):
        for tags in groups:
            on_table = [t for t in tags if t.table == table and t.column in metric.dimensions]
            columns = sorted({t.column for t in on_table})
            if not columns:  # the event a value phrase also names ("claims resolved")
                continue
            if len(columns) > 1:
                out.ask = {
                    "field": "filter",
                    "reason": f"{on_table[0].name!r} could be {' or '.join(columns)}",
                    "options": [f"{c} = {on_table[0].name}" for c in columns],
                }
                return False
            values = target.setdefault(columns[0], [])
            for tag in on_table:
                if tag.name not in values:
                    values.append(tag.name)
    named = any(tags != TIME_DIMENSION for tags in roles.dimensions)
    if roles.compare_column and roles.compare_column.get(table) and not named:
        column = roles.compare_column[table]
        if column in metric.dimensions and column not in out.dimensions:
            out.dimensions.append(column)
    return True
