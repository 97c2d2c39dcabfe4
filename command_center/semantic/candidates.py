"""The metrics a request could mean, scored: catalog metrics named by a phrase, aggregates
over dictionary columns, "<value> rate" shares, counts of a named table; each must fit the
request's dimensions and filters."""

from __future__ import annotations

import re
from dataclasses import dataclass

from command_center.metrics.definitions import MetricDefinition
from command_center.semantic import grammar, timeaxis
from command_center.semantic.compose import (
    base_constraints,
    catalog_measure,
    compatible,
    compose_metric,
    compose_rate,
    measure_sql,
    plain_counts,
    rival_rates,
    warehouse_twins,
)
from command_center.semantic.layer import TIME_DIMENSION, SemanticLayer, Tag
from command_center.semantic.roles import Roles
from command_center.semantic.scan import Scan, Span, distinctive
from command_center.semantic.text import key
from command_center.sql.joins import joined_columns


@dataclass
class Candidate:
    """A metric the request could mean, with its score."""

    metric: MetricDefinition
    score: float
    composed: bool = False
    why: str = ""
    span_start: int | None = None  # the metric phrase it was read from


def candidates_for(found: Scan, roles: Roles, layer: SemanticLayer) -> list[Candidate]:
    """Every metric the request could mean, best first (catalog, then composed); a grouping
    or filter on a column one declared join away ("claims by customer segment") only when
    nothing fits on the tables' own columns."""
    return _scored(found, roles, layer, False) or _scored(found, roles, layer, True)


def joined_names(tags: list[Tag], metric: MetricDefinition, layer: SemanticLayer) -> list[str]:
    """The `table.column` names of `tags` reachable from the metric's table by one join."""
    joined = joined_columns(metric.source_table, layer.dictionary)
    return sorted({f"{t.table}.{t.column}" for t in tags} & set(joined))


def joinable_values(tags: list[Tag], table: str, roles: Roles) -> list[Tag]:
    """Value tags a metric on `table` may filter by: its own, and another table's only when
    that table is named ("claims for enterprise customers"; "active" alone is no device's
    plan status) or is the only table the value is found in and names a kind, not a state
    ("tablet claims": only devices have a tablet category; a status describes its own row)."""
    kinds = [t for t in tags if not t.column.endswith("status")]
    if len({t.table for t in tags}) == 1 and tags[0].table != table and kinds == tags:
        return list(tags)
    return [t for t in tags if t.table == table or t.table in roles.named_tables]


def out_of_reach(roles: Roles, layer: SemanticLayer) -> str:
    """Why a grouping fits no named table: its column is more than one declared join away
    ("sessions by plan tier": plans are reached through devices); "" otherwise."""
    for table in roles.named_tables:
        reach = {table, *(n.split(".")[0] for n in joined_columns(table, layer.dictionary))}
        for tags in roles.dimensions:
            if tags == TIME_DIMENSION or any(t.table in reach for t in tags):  # type: ignore[union-attr]
                continue
            far = sorted({f"{t.table}.{t.column}" for t in tags})  # type: ignore[union-attr]
            return f"; {' / '.join(far)}: not within one declared join of {table}"
    return ""


def _scored(found: Scan, roles: Roles, layer: SemanticLayer, joins: bool) -> list[Candidate]:
    wants_wh = wants_warehouse(found, layer)
    out: dict[str, Candidate] = {}

    def add(
        metric: MetricDefinition, score: float, composed: bool = False, start: int | None = None
    ) -> None:
        if wants_wh and metric.backend != "databricks":
            score -= 8
        elif wants_wh or (not composed and metric.backend != "databricks"):
            score += 2
        if metric.source_table in roles.named_tables:
            score += 2
        elif roles.named_tables and metric.source_table not in roles.tables:
            score -= 8  # "deductible on … claims": not the plans' deductible
        if _own_date_event(metric, roles):  # "Samsung phones registered": devices, by that date
            score += 4
        if not fits_request(metric, roles, layer, joins):
            return
        if metric.id not in out or out[metric.id].score < score:
            out[metric.id] = Candidate(metric, score, composed, span_start=start)

    for span, tags in roles.metric_spans:
        for tag in tags:
            metric = layer.metric(tag.name)
            if metric is None:
                continue
            score = 10.0 * (span.end - span.start) + 1
            if span.of("table") and (len(roles.metric_spans) > 1 or roles.rates):
                score -= 6  # "escalation rate of support sessions": here the sessions table
            rows = _event_rows(metric, span, roles, layer)
            if rows is not None:  # "support sessions opened last week": every one opened
                add(rows, score, rows.origin == "promoted", span.start)
                continue
            add(metric, score, start=span.start)
            for twin in warehouse_twins(layer, metric) if wants_wh else []:
                add(twin, score, twin.origin == "promoted", span.start)
            by_label = key(span.words) == key(re.sub(r"\(.*?\)", "", metric.label))
            for twin in [] if wants_wh or by_label else _operational_twins(layer, metric, roles):
                add(twin, score + 3, start=span.start)  # "number of claims": operational
    for aggregate, columns in roles.measures:
        for tag in columns:
            table = tag.table
            metric = catalog_measure(layer, table, measure_sql(aggregate, tag.column))
            composed = metric is None
            metric = metric or compose_metric(layer, table, aggregate, tag.column)
            if metric is not None:
                warehouse = layer.backend_of(table) == "databricks"
                add(
                    metric,
                    30.0 if not composed else 26.0 if warehouse == wants_wh else 22.0,
                    composed,
                )
    for tags in roles.rates:  # "denial rate": share of rows with that value
        for tag in tags:
            if roles.tables and tag.table not in roles.tables:
                continue
            if tag.column in roles.value_columns(tag.table):  # "share … filed … approved"
                continue  # a share of one value among rows filtered to another: ask
            metric = compose_rate(layer, tag.table, tag.column, tag.name)
            if metric is None:
                continue
            score = 26.0 if (layer.backend_of(tag.table) == "databricks") == wants_wh else 22.0
            add(metric, score, metric.origin == "promoted")
            for rival in rival_rates(layer, tag.table, tag.column, tag.name):
                add(rival, score)  # "rate of escalated sessions": two readings, ask
    named = {  # a phrase that is also a table ("support sessions") may count that table
        t.name for span, tags in roles.metric_spans if not span.of("table") for t in tags
    }
    if (named or roles.measures) and not out:
        # the request names a metric or a measure ("average monthly premium") that cannot do
        # what it asks: ask, never swap it for a count of something else
        return []
    if not out and (
        roles.counting
        or roles.values
        or (roles.negated and len(roles.named_tables) == 1)  # "claims not from retail"
        or roles.qualified_tables
        or (len(roles.named_tables) == 1 and (roles.dimensions or over_time(found, roles)))
        or (grouped_table(roles, layer, wants_wh) and re.search(_WHOLE, found.text))
        or _own_date_named(found, roles, layer)  # "customers signed up this month"
        or _event_of_named(roles)  # "claims decided last week": counted by that date
    ):
        counted: set[str] = set()  # entities an operational count already fits
        for table in sorted(
            count_tables(roles, layer, wants_wh), key=lambda t: layer.backend_of(t) == "databricks"
        ):
            if layer.backend_of(table) == "databricks" and _entity(table) in counted:
                continue  # "denial trend": the operational claims, not their warehouse twin
            before = len(out)
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
            if len(out) > before and not wants_wh:
                counted.add(_entity(table))
    if not out:
        for table in roles.named_tables:  # "sessions by topic": the table's catalog metrics
            for metric in layer.catalog:  # (a rate is never the guess for a bare table)
                if metric.source_table == table and metric.unit != "ratio":
                    add(metric, 6.0)
    if not out:
        for metric_id in distinctive(found, layer):
            metric = layer.metric(metric_id)
            if metric is not None:
                add(metric, 6.0)
    return sorted(out.values(), key=lambda c: -c.score)


def _entity(table: str) -> str:
    """The entity a table holds (`claims` and `l3_asurion.ev_claim`: claim)."""
    return table.split(".")[-1].split("_")[-1].rstrip("s")


def _event_of_named(roles: Roles) -> bool:
    """A date of exactly one named table (or of its same-entity twin) named as an event
    ("devices enrolled in a coverage plan": the devices' enrolment date)."""
    dated = {t.table for times in roles.events for t in times} & set(roles.tables)
    owners = {n for n in roles.named_tables for t in dated if t == n or _same_entity(t, n)}
    return len(owners) == 1


def _same_entity(one: str, other: str) -> bool:
    return one.split(".")[-1].split("_")[-1].rstrip("s") == other.split(".")[-1].split("_")[
        -1
    ].rstrip("s")


def _event_rows(
    metric: MetricDefinition, span: Span, roles: Roles, layer: SemanticLayer
) -> MetricDefinition | None:
    """A state-filtered count named by its table's own name ("support sessions": the active
    ones) beside the word for the dated event that is its time column ("support sessions
    opened last week"): every row that event dates, whatever its state now — the table's
    unfiltered count. None when that reading does not apply (a value names the state)."""
    table, limits = metric.source_table, base_constraints(metric)
    if not limits or not metric.measure.upper().startswith("COUNT("):
        return None
    if table not in {t.table for t in span.of("table")}:
        return None
    dated = {(t.table, t.column) for times in roles.events for t in times}
    if (table, metric.time_column) not in dated or set(limits) & set(roles.value_columns(table)):
        return None
    plain = [m for m in plain_counts(layer, table) if not m.base_filter.strip()]
    return plain[0] if plain else compose_metric(layer, table, "COUNT", None)


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


def over_time(found: Scan, roles: Roles) -> bool:
    return roles.over_time or bool(re.search(grammar.OVER_TIME, found.text))


def count_tables(roles: Roles, layer: SemanticLayer, wants_wh: bool) -> list[str]:
    tables = list(roles.tables)
    heads = [t for t in roles.named_tables if t not in roles.described]
    joined = {n.split(".")[0] for t in heads for n in joined_columns(t, layer.dictionary)}
    if heads and set(roles.described) <= joined:  # "claims for enterprise customers": claims
        tables = [t for t in tables if t not in roles.described]
    if not tables:
        tables = sorted({t.table for tags in roles.values for t in tags})
    if not tables:
        tables = [grouped_table(roles, layer, wants_wh)]
    if wants_wh:
        tables = [t for t in tables if layer.backend_of(t) == "databricks"] or [
            t for t in layer.dictionary.tables if layer.backend_of(t) == "databricks"
        ]
    return tables


# a part-of-whole word: "mix of event types", "loss type breakdown", "most common loss type"
# (a bare "by make" asks)
_WHOLE = (
    r"\b(breakdown|break down|mix|split|distribution|spread|composition|"
    r"most common|most frequent)\b"
)


def grouped_table(roles: Roles, layer: SemanticLayer, wants_wh: bool) -> str:
    """With no table, metric, measure or value named, the one table the groupings' columns
    belong to (the warehouse's only when the request points there): "mix of event types" are
    events, "loss type breakdown" claims; "" when none or more than one."""
    if roles.named_tables or roles.metric_spans or roles.measures or roles.values or roles.rates:
        return ""
    groups = [tags for tags in roles.dimensions if tags != TIME_DIMENSION]
    tables = {t.table for tags in groups for t in tags}  # type: ignore[union-attr]
    tables = {  # a table with no date (plans) is a list of products, not a mix to count
        t
        for t in tables
        if (layer.backend_of(t) == "databricks") == wants_wh
        and getattr(layer.dictionary.tables.get(t), "time_column", "")
    }
    if len(tables) != 1 or not groups:
        return ""
    table = next(iter(tables))
    every = all(any(t.table == table for t in tags) for tags in groups)  # type: ignore[union-attr]
    return table if every else ""


def fits_request(
    metric: MetricDefinition, roles: Roles, layer: SemanticLayer, joins: bool = False
) -> bool:
    """Every dimension and value filter resolves on the metric's table and dimensions (with
    `joins`, or on a column one declared join away)."""
    table = metric.source_table

    def fits(tags: list[Tag]) -> bool:
        own = any(t.table == table and t.column in metric.dimensions for t in tags)
        return own or (joins and bool(joined_names(tags, metric, layer)))

    for tags in roles.dimensions:
        if tags == TIME_DIMENSION:
            continue
        if not fits(tags):  # type: ignore[arg-type]
            return False
    for tags in [*roles.values, *roles.negated]:
        if not fits(joinable_values(tags, table, roles)) and not roles.event_only(tags, table):
            return False
    if timeaxis.contradicts(metric, roles, layer):  # "open claims closed per week"
        return False
    return compatible(metric, roles.value_columns(table))


def _own_date_named(found: Scan, roles: Roles, layer: SemanticLayer) -> bool:
    """One named table and a phrase naming its own date column (the dictionary's time column
    of the table: "signed up" for customers): a count of its rows by that date."""
    if len(roles.named_tables) != 1:
        return False
    table = roles.named_tables[0]
    info = layer.dictionary.tables.get(table)
    own = info.time_column if info else ""
    fresh = any(  # "new customers", "new enterprise customers": those its own date counts
        found.words[s.start - 1] == "new"
        or (
            found.words[s.start - 2 : s.start - 1] == ["new"]
            and s.start - 1 in {v.start for v in found.spans if v.of("value")}
        )
        for s in found.spans
        if s.start > 0 and table in {t.table for t in s.of("table")}
    )
    return bool(own) and (
        fresh
        or any(t.table == table and t.column == own for s in found.spans for t in s.of("column"))
    )


def _own_date_event(metric: MetricDefinition, roles: Roles) -> bool:
    """The request names the metric's own time column as an event ("registered" for
    registered_at): the rows it counts are the ones that happened."""
    return any(
        t.table == metric.source_table and t.column == metric.time_column
        for tags in roles.events
        for t in tags
    )


def _operational_twins(
    layer: SemanticLayer, metric: MetricDefinition, roles: Roles
) -> list[MetricDefinition]:
    """A warehouse row count named without a warehouse word ("number of claims", "claim
    count"): the operational catalog count of the same entity, preferred whenever it can do
    the request (the warehouse one stays for its own columns — makes, models — and for a
    request naming another table: "claim count by product")."""
    measure = re.sub(r"\s+", "", metric.measure).upper()
    if metric.backend != "databricks" or metric.base_filter.strip():
        return []
    if metric.default_dimensions:  # "product mix", "status mix": the grouping is the metric
        return []
    if not re.fullmatch(r"COUNT\((\*|DISTINCT\w+ID)\)", measure):
        return []
    entity = metric.source_table.split(".")[-1].split("_")[-1].rstrip("s")
    tables = [
        t
        for t, info in layer.dictionary.tables.items()
        if info.backend != "databricks" and t.split("_")[-1].rstrip("s") == entity
    ]
    if set(roles.named_tables) - {*tables, metric.source_table}:
        return []
    return [counts[0] for t in tables if (counts := plain_counts(layer, t))]
