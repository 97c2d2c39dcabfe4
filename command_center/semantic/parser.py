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
from command_center.semantic import grammar, timeaxis, windows
from command_center.semantic.candidates import (
    candidates_for,
    joinable_values,
    joined_names,
    out_of_reach,
    wants_warehouse,
)
from command_center.semantic.checks import (
    dated_event_values,
    grouped_unknown,
    narrows,
    ranked_column,
    rows_counted,
    unknown_qualifier,
    unranked,
    values_only,
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
from command_center.semantic.scan import Scan, Span, count_totals, fuzzy, scan, splittable

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
    time_doubt: dict[str, Any] | None = None  # "by hour of day", "weekly and monthly": asked
    title: str | None = None
    custom_template: str | None = None
    ask: dict[str, Any] | None = None  # {field, reason, options}
    notes: list[str] = field(default_factory=list)


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
    if len(found.words) > grammar.MAX_WORDS:  # a paste or a keyword dump, not one widget
        out.ask = clarify(layer, found, f"{len(found.words)} words are more than one widget")
        return out
    if re.search(grammar.CODE_LIKE, raw[:2000], re.I):
        out.ask = clarify(layer, found, "the request looks like code or markup, not a widget")
        return out
    term = next((t.name for s in found.spans for t in s.of("term")), "")
    if term:  # "loss ratio": a known term whose inputs the data lacks; never a lookalike
        reason = f"{term} ({layer.terms[term]}) cannot be computed from this data"
        out.ask = metric_question(layer, found, reason)
        return out
    _shape(found, out)
    shapes = grammar.shape_conflict(found.unnamed_text())
    if shapes:  # "claims by region chart and table": one widget, which?
        reason = f"the request names {' and '.join(shapes)}"
        out.ask = {"field": "widget_type", "reason": reason, "options": shapes}
        return out
    doubt = windows.window_doubt(found.text)
    if re.search(grammar.VERSUS_PERIOD, found.text):  # "open claims vs last week"
        doubt = "a comparison with an earlier period"
    if doubt:  # "today vs yesterday", "last few days": never a silent default window
        out.ask = clarify(layer, found, f"which time window? ({doubt})")
        return out
    out.custom_template = _template(found)
    fuzzy(found, layer)
    roles = assign_roles(found, layer)
    roles.counting = count_totals(found, layer) or roles.counting  # "total customers"
    if roles.split_rate and not forbid:  # "% of claims denied": claims + denied, as a share
        return understand(raw, layer, splittable(found, layer))
    if dated_event_values(found, layer) and not forbid:  # "sessions opened per day"
        return understand(raw, layer, dated_event_values(found, layer))
    roles.over_time = out.over_time = out.over_time or roles.over_time  # "weekly" too
    out.limit, out.sort = roles.limit, roles.sort
    candidates = candidates_for(found, roles, layer)
    unknown = found.unaccounted() + roles.unused
    private = layer.sensitive_in(found.stems, grammar.FILLER)
    if private:  # names, e-mails, external ids: never grouped, filtered or listed
        reason = f"{private[0]} is personal or internal data the builder never shows"
        out.ask = clarify(layer, found, reason)
        return out
    absent = grouped_unknown(found, unknown)
    if absent and (not candidates or not any(s.tags for s in found.spans)):
        out.ask = clarify(layer, found, f"the data has no {absent} to group by")
        return out
    if not any(span.tags for span in found.spans) and not roles.measures:
        reason = "nothing in the request names data this product has"
        shaped = out.window_days or out.widget_type or out.chart_kind or roles.counting
        shaped = shaped or set(found.words) & grammar.VAGUE_MEASURES  # "show me performance"
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
    if not candidates and unknown_qualifier(found, unknown):  # "Huawei handsets"
        reason = f"the data has no {unknown_qualifier(found, unknown)}"
        out.ask = clarify(layer, found, reason)
        return out
    if not candidates:
        reason = "no catalog metric or data-dictionary measure matches the request"
        if unknown:
            reason += f" (not understood: {', '.join(unknown[:5])})"
        reason += out_of_reach(roles, layer)  # "sessions by plan tier": two joins away
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
    if values_only(roles) and not unknown and not forbid and splittable(found, layer):
        return understand(raw, layer, splittable(found, layer))  # "claims approved yesterday"
    if values_only(roles) and not unknown:  # "the numbers for Mobile Protect": which?
        reason = "the request names only values, no measure of them"
        out.ask = metric_question(layer, found, reason)
        return out
    others = [
        span.words
        for span, tags in roles.metric_spans
        if best.metric.id not in {t.name for t in tags}
        and span.start not in roles.measure_starts | {best.span_start}
        and not rows_counted(best.metric, tags, layer, _after_of(found, span))
        and not narrows(best.metric, tags, layer, _beside(span, best.span_start, roles))
        and best.metric.source_table not in {t.table for t in span.of("table")}  # the table
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
    if foreign and ranked_column(found, roles, best.metric):  # "bottom 3 products by claims"
        foreign = False
    if foreign and not roles.qualified_tables:  # "customer churn" is not a device count
        names = ", ".join(t.split(".")[-1] for t in roles.named_tables)
        out.ask = metric_question(layer, found, f"{best.metric.label} is not about {names}")
        return out
    if unknown and best.score <= 8:  # a weak guess and words left over: ask, don't guess
        out.ask = metric_question(layer, found, f"not sure what {', '.join(unknown[:3])} means")
        return out
    if roles.rates and best.metric.unit != "ratio":  # "ratio of approved to denied claims"
        reason = f"the request asks for a share, and {best.metric.label} is not one"
        out.ask = metric_question(layer, found, reason)
        return out
    out.metric, out.composed = best.metric, best.composed
    if best.metric.unit == "ratio" and not re.search(grammar.EXPLICIT_PIE, found.text):
        _no_soft_pie(out, found)  # "share of denied claims": the share is the measure
    unknown = [  # a typo of the metric's own time column ("registerd") is that column; a
        w  # rate word beside a rate ("approval %") restates it
        for w in unknown
        if w in roles.value_slots  # "premium tier plans": a value the data lacks
        or (
            not timeaxis.names_time_column(found.corrected.get(w, w), best.metric, layer)
            and not (best.metric.unit == "ratio" and re.match(grammar.RATE_WORDS, w))
        )
    ]
    if not _resolve(out, roles, layer):
        return out
    timeaxis.settle_time_axis(out, roles, layer, found.words)
    if out.ask:
        return out
    if unranked(found, out.sort, out.limit, bool(out.dimensions or out.over_time)):
        reason = f"the most {out.metric.label.lower()} by what? Nothing to rank was named"
        out.ask = {"field": "dimension", "reason": reason, "options": list(out.metric.dimensions)}
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
    out.window_days, out.period = windows.window(text)
    _audience(found)
    for pattern in (
        grammar.TRAILING.pattern,
        grammar.SINCE_WEEKDAY.pattern,
        grammar.SHORT_DAYS.pattern,
        grammar.SHORT_DAYS_LEAD,
        windows.CALENDAR_YEAR.pattern,
        *(p for p, _d, _p in grammar.FIXED_WINDOWS),
        grammar.BACKEND_WORDS,
        grammar.COUNT_WORDS,
        grammar.DISTINCT_WORDS,
        grammar.NEGATIONS,
        grammar.GROUP_WORDS,
        r"\b(trend|distribution|split|breakdown|share|mix)\b",
        grammar.IMPERATIVE,
        r"\b(?:titled|called|named)\b|\breal[ -]?time\b",
        r"\b(?:in|as) (?:" + "|".join(grammar.ACCENTS) + r")\b",
    ):
        found.mark(pattern)


def _audience(found: Scan) -> None:
    """ "for the exec wallboard", "for my manager": who the widget is for says nothing about
    the data — its words are grammar, unless one of them names data ("for the West team")."""
    named = {i for s in found.spans for i in range(s.start, s.end)}
    for match in re.finditer(grammar.AUDIENCE, found.text):
        first = len(found.text[: match.start()].split())
        words = set(range(first, first + len(match.group(0).split())))
        if not words & named:
            found.grammar.update(words)


def _template(found: Scan) -> str | None:
    """The first custom widget a grammar word asks for ("gauge", "map"), never a word inside
    a metric phrase ("claims in progress" is the backlog, not a progress bar)."""
    in_metric = {i for s in found.spans if s.of("metric") for i in range(s.start, s.end)}
    template = None
    for name, pattern in ((t, p) for p, t in grammar.CUSTOM_TEMPLATES):
        for match in re.finditer(pattern, found.text):
            first = len(found.text[: match.start()].split())
            words = set(range(first, max(len(found.text[: match.end()].split()), first + 1)))
            if not words <= in_metric:
                found.grammar.update(words)
                template = template or name
    return template


def _no_soft_pie(out: Understanding, found: Scan) -> None:
    if out.chart_kind == "pie":
        out.chart_kind = None
        if out.widget_type == "chart" and not re.search(grammar.CHART_WORDS, found.text):
            out.widget_type = None


def _resolve(out: Understanding, roles: Roles, layer: SemanticLayer) -> bool:
    """Dimensions and filters as the chosen metric's columns; False when a question is due."""
    metric = out.metric
    assert metric is not None
    table = metric.source_table
    for span, _tags in roles.metric_spans:  # "claims by product": the metric's own grouping
        if re.search(grammar.GROUP_WORDS, span.words) and not out.dimensions:
            out.dimensions.extend(metric.default_dimensions)
    lone = [roles.dimensions[i] for i in roles.lone_dimensions if i < len(roles.dimensions)]
    grouped = [tags for tags in roles.dimensions if not any(tags is other for other in lone)]
    for tags in grouped + lone:  # "claim statuses per channel": rows by channel, then status
        if tags == TIME_DIMENSION:
            out.over_time = True
            continue
        own = [t.column for t in tags if t.table == table and t.column in metric.dimensions]
        names = own[:1] or joined_names(tags, metric, layer)  # else one declared join away
        if len(names) > 1:  # "sessions by region": the customer's or the claim's?
            reason = f"the grouping could be {' or '.join(names)} (one join each)"
            out.ask = {"field": "dimension", "reason": reason, "options": names}
            return False
        column = names[0]
        if column not in out.dimensions:
            out.dimensions.append(column)
    for target, groups in ((out.filters, roles.values), (out.exclude, roles.negated)):
        for tags in groups:
            on_table = [t for t in tags if t.table == table and t.column in metric.dimensions]
            columns = sorted({t.column for t in on_table})
            joinable = joinable_values(tags, table, roles)
            if not columns and joined_names(joinable, metric, layer):  # "enterprise customers"
                columns = joined_names(joinable, metric, layer)
                on_table = [t for t in joinable if f"{t.table}.{t.column}" in columns]
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
    for column in [c for c in out.filters if c in out.dimensions]:  # "active vs cancelled vs
        known = set(layer.values.get((table, column), []))  # none", every value: no filter
        if known and known <= set(out.filters[column]):
            del out.filters[column]
    return True


def _beside(span: Span, start: int | None, roles: Roles) -> bool:
    """Whether `span` touches the metric phrase that starts at `start`."""
    other = next((s for s, _t in roles.metric_spans if s.start == start), None)
    return other is not None and (span.end == other.start or other.end == span.start)


def _after_of(found: Scan, span: Span) -> bool:
    """Whether `span` follows "for", "on", "of" or "across" (the rows of a measure)."""
    return span.start > 0 and found.words[span.start - 1] in ("for", "on", "of", "across")
