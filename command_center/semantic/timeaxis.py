"""The time axis of a request: its grain (hour/day/week/month) and which date it counts by.

The grain comes from grammar words ("weekly", "per month", "hour by hour"). The date comes
from the data dictionary: a phrase naming a date column of the metric's table ("resolved",
"closed", "cancelled", "ended" are synonyms of those columns), or, for a series filtered to
a value, the one date column whose description names that value ("fulfilled" → `resolved_at`,
"When the claim was fulfilled, denied or cancelled"). When the words allow two dates, or ask
for a cyclic profile ("by hour of day") instead of a series, or two grains ("weekly and
monthly"), one question is asked.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from command_center.metrics.definitions import MetricDefinition
from command_center.semantic import grammar, windows
from command_center.semantic.compose import base_constraints
from command_center.semantic.layer import SemanticLayer
from command_center.semantic.roles import Roles
from command_center.semantic.scan import Scan, scan
from command_center.semantic.text import display, key, normalize
from command_center.sql.dictionary import load_dictionary

if TYPE_CHECKING:
    from command_center.semantic.parser import Understanding

_CYCLE_GRAINS = {"hour": ["hour", "day"], "time": ["hour", "day"], "day": ["day", "week"]}
_CYCLE_GRAINS["weekday"] = ["day", "week"]
_CYCLE_GRAINS["month"] = ["month", "week"]
GRAIN_WORDS = {"hour": "hourly", "day": "daily", "week": "weekly", "month": "monthly"}


def read_grain(found: Scan, out: Understanding) -> None:
    """Set `out.grain` (and `over_time`) from grain words; a cyclic profile or two grains
    ("weekly and monthly") leave a question in `out.time_doubt`. Words inside a column
    phrase ("monthly premium") are not a grain."""
    cyclic = found.mark(grammar.CYCLIC, unnamed=True)
    taken = {found.index_at(m.start()) for m in cyclic}
    named: list[str] = []
    for pattern, grain in [(grammar.DAY_GRAIN, "day"), *grammar.GRAINS]:
        for match in found.mark(pattern, unnamed=True):
            if found.index_at(match.end() - 1) not in taken and grain not in named:
                named.append(grain)
    if cyclic:  # a time grouping all the same: the metric is read as for a series
        out.time_doubt, out.over_time = cyclic_question(cyclic[0].group(0)), True
    elif len(named) > 1:
        words = [GRAIN_WORDS[g] for g in named]
        reason = f"the request names more than one time grain ({', '.join(words)})"
        out.time_doubt = {"field": "dimension", "reason": reason, "options": words}
    elif named and named[0] != "day":
        out.grain, out.over_time = named[0], True


def cyclic_question(phrase: str) -> dict[str, Any]:
    """Ask which series a cyclic profile ("by hour of day") should become."""
    first = phrase.split()[0].rstrip("s")
    grains = _CYCLE_GRAINS.get(first, ["day", "week"])
    return {
        "field": "dimension",
        "reason": f"{phrase!r} pools every period together (a profile), which no widget "
        "computes yet; a series shows consecutive buckets instead",
        "options": [GRAIN_WORDS[g] for g in grains],
    }


def names_time_column(words: str, metric: MetricDefinition, layer: SemanticLayer) -> bool:
    """ "registered", "closed": a date column of the metric's table (its time axis), not a
    filter; "cost" beside "total payout": its own measure column."""
    tags = layer.lexicon.get(key(words), [])
    own = set(re.findall(r"\((?:DISTINCT )?(\w+)\)", metric.measure, re.I))
    return any(
        t.kind == "column"
        and t.table == metric.source_table
        and (t.column in own or layer.temporal(t.table, t.column))
        for t in tags
    )


def _records(layer: SemanticLayer, table: str, column: str, value: str) -> bool:
    """Whether the dictionary description of date `column` names `value` ("When the claim
    was fulfilled, denied or cancelled" records `fulfilled`)."""
    info = layer.dictionary.columns_of(table).get(column)
    text = f" {normalize(info.description)} " if info else ""
    return f" {normalize(display(value))} " in text


def contradicts(metric: MetricDefinition, roles: Roles, layer: SemanticLayer) -> bool:
    """An event date the metric's base filter rules out: "open claims closed per week" (the
    resolved date records fulfilled/denied/cancelled claims, none of them open)."""
    table = metric.source_table
    limits = base_constraints(metric)
    for times in roles.events:
        for tag in times:
            if tag.table != table or tag.column == metric.time_column:
                continue
            for column, allowed in limits.items():
                named = [
                    v for v in layer.values.get((table, column), [])
                    if _records(layer, table, tag.column, v)
                ]  # fmt: skip
                if named and not set(named) & allowed:
                    return True
    return False


def _named_dates(out: Understanding, roles: Roles, table: str, layer: SemanticLayer) -> list[str]:
    """Date columns of `table` the request names as events, in order (an event whose value
    became a grouping — "active vs cancelled devices" — is a value there, not a date)."""
    grouped = {
        id(times)
        for values, times in roles.event_values
        if any(v.table == table and v.column in out.dimensions for v in values)
    }
    found: list[str] = []
    for span, _tags in roles.metric_spans:  # "claims filed": the metric names its date
        for word in span.words.split():
            for tag in layer.lexicon.get(key(word), []):
                dated = tag.kind == "column" and layer.temporal(tag.table, tag.column)
                if dated and tag.table == table and tag.column not in found:
                    found.append(tag.column)
    for times in roles.events:
        for tag in times:
            if id(times) not in grouped and tag.table == table and tag.column not in found:
                found.append(tag.column)
    return found


def _described(out: Understanding, metric: MetricDefinition, layer: SemanticLayer) -> list[str]:
    """Date columns whose dictionary description names a filtered value ("fulfilled")."""
    table = metric.source_table
    values = [v for found in out.filters.values() for v in found]
    return [
        name
        for name in layer.dictionary.columns_of(table)
        if layer.temporal(table, name)
        and name != metric.time_column
        and any(_records(layer, table, name, v) for v in values)
    ]


def date_question(metric: MetricDefinition, columns: list[str], layer: SemanticLayer) -> dict:
    """Ask which date the axis counts by; options are the candidate columns, ranked."""
    info = layer.dictionary.columns_of(metric.source_table)
    options = [f"{c}: {info[c].description.rstrip('.')}" for c in columns if c in info]
    return {
        "field": "time_column",
        "reason": f"the request names more than one date for {metric.label}",
        "options": options[:5],
    }


def _window_bound(
    words: list[str], table: str, named: list[str], layer: SemanticLayer
) -> list[str]:
    """The named dates whose word the time window directly follows ("sessions opened last
    month that have since been resolved": the window is the opening date's), unless the
    word closes a list of dates ("opened and resolved last week")."""
    bound = []
    for i, word in enumerate(words):
        if i and words[i - 1] in ("and", "or"):
            continue
        after = " ".join(words[i + 1 : i + 6])
        days, period = windows.window(after)
        opens = re.match(r"(last|past|previous|this|over|in|during|yesterday|today)\b", after)
        if not (days or period) or not opens:
            continue
        for tag in layer.lexicon.get(key(word), []):
            dated = tag.kind == "column" and tag.table == table and tag.column in named
            if dated and tag.column not in bound:
                bound.append(tag.column)
    return bound


def settle_time_axis(
    out: Understanding, roles: Roles, layer: SemanticLayer, words: list[str] | None = None
) -> None:
    """Choose the date the axis and window use (`out.time_column`), or ask."""
    metric = out.metric
    if metric is None:
        return
    if out.time_doubt:
        out.ask = out.time_doubt
        return
    if not metric.time_column:  # plans: no date, so no window, period or series
        if out.window_days or out.period or out.over_time:
            out.ask = undated_question(metric)
        return
    named = _named_dates(out, roles, metric.source_table, layer)
    others = [c for c in named if c != metric.time_column]
    bound = _window_bound(words or [], metric.source_table, named, layer)
    if len(named) > 1 and len(bound) == 1:  # the window follows one date's word
        if bound[0] != metric.time_column:
            out.time_column = bound[0]
    elif len(named) > 1:  # "claims filed and resolved per week"
        out.ask = date_question(metric, named, layer)
    elif others:
        out.time_column = others[0]
    elif out.over_time and not named:
        described = _described(out, metric, layer)
        if len(described) == 1:  # "fulfilled claims per week": by the fulfilment date
            out.time_column = described[0]
        elif described:  # "denied claims per week": decided or resolved?
            out.ask = date_question(metric, [*described, metric.time_column], layer)


def undated_question(metric: MetricDefinition) -> dict[str, Any]:
    """The question for a window or series on a metric with no date (plans): its one option,
    `current_state_option`, drops them."""
    table = metric.source_table.split(".")[-1]
    reason = f"{table} have no date in the data: only their current state is known"
    return {"field": "clarify", "reason": reason, "options": [current_state_option(metric)]}


def current_state_option(metric: MetricDefinition) -> str:
    """The answer that keeps an undated metric and drops the window and series."""
    return f"{metric.label} now"


def date_columns(table: str) -> list[str]:
    """The non-sensitive date columns of `table` in the dictionary (possible time axes)."""
    columns = load_dictionary().columns_of(table)
    return [name for name, info in columns.items() if info.temporal and not info.sensitive]


def time_axis_question(ask: dict[str, Any] | None) -> bool:
    """Whether `ask` is about the time axis (which date; which series for a profile)."""
    if not ask:
        return False
    grains = set(GRAIN_WORDS.values())
    return ask.get("field") == "time_column" or set(ask.get("options") or ["-"]) <= grains


def dates_named(text: str, metric: MetricDefinition, layer: SemanticLayer) -> list[str]:
    """Date columns of the metric's table that `text` names ("by resolved date instead")."""
    table, found = metric.source_table, []
    for span in scan(text, layer).spans:
        for tag in span.of("column"):
            dated = tag.table == table and layer.temporal(table, tag.column)
            if dated and tag.column not in found:
                found.append(tag.column)
    return found


def time_column_from_answer(
    answer: str, metric: MetricDefinition, layer: SemanticLayer
) -> str | None:
    """The date column an answer to a `time_column` question names ("resolved_at: …",
    "resolved", "closed"), or None."""
    table = metric.source_table
    head = answer.split(":")[0].strip().lower()
    if layer.temporal(table, head):
        return head
    for tag in layer.lexicon.get(key(answer), []):
        if tag.kind == "column" and tag.table == table and layer.temporal(table, tag.column):
            return tag.column
    return None
