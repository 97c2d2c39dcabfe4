"""Metrics composed from parts: measure × base table × filters.

A catalog metric's base filter is read (sqlglot) so a request filter that the base filter
excludes ("denied" on open claims) never combines with it. When no catalog metric fits but
the dictionary does, `compose_metric` builds a one-off definition from the dictionary only
(one allowlisted aggregate over a non-sensitive dictionary column of a dictionary table).
"""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import exp

from command_center.metrics.definitions import MetricDefinition
from command_center.semantic.layer import SemanticLayer, metric_phrases
from command_center.semantic.text import display, normalize

AGGREGATE_LABELS = {
    "COUNT": "Count",
    "COUNT_DISTINCT": "Distinct count",
    "SUM": "Total",
    "AVG": "Average",
    "MIN": "Minimum",
    "MAX": "Maximum",
}


def base_constraints(metric: MetricDefinition) -> dict[str, set[str]]:
    """column → allowed values, from the `col IN (…)` / `col = '…'` conjuncts of the base filter."""
    return {column: set(values) for column, values in _constraints(metric.base_filter)}


@lru_cache(maxsize=512)
def _constraints(base_filter: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """`base_constraints` of one filter text, parsed once (the parser asks every turn)."""
    if not base_filter.strip():
        return ()
    try:
        tree = sqlglot.parse_one(base_filter, read="databricks")
    except sqlglot.errors.SqlglotError:
        return ()
    out: dict[str, frozenset[str]] = {}
    for part in tree.flatten() if isinstance(tree, exp.And) else [tree]:
        part = part.unnest()
        if isinstance(part, exp.In) and isinstance(part.this, exp.Column):
            found = {e.name for e in part.expressions if isinstance(e, exp.Literal)}
            out[part.this.name] = frozenset(found)
        elif (
            isinstance(part, exp.EQ)
            and isinstance(part.this, exp.Column)
            and isinstance(part.expression, exp.Literal)
        ):
            out[part.this.name] = frozenset({part.expression.name})
    return tuple(out.items())


def compatible(metric: MetricDefinition, filters: dict[str, list[str]]) -> bool:
    """Whether every filter value can pass the metric's base filter."""
    limits = base_constraints(metric)
    return all(set(values) <= limits[col] for col, values in filters.items() if col in limits)


def _time_anchored(metric: MetricDefinition) -> bool:
    """A base filter with its own clock ("today", "older than 48 h"): not a plain count."""
    return bool(re.search(r"current_(date|timestamp)", metric.base_filter, re.I))


def plain_counts(layer: SemanticLayer, table: str) -> list[MetricDefinition]:
    """Catalog COUNT metrics on `table` without a clock in their base filter; unfiltered
    first."""
    found = [
        m
        for m in layer.catalog
        if m.source_table == table
        and m.measure.upper().startswith("COUNT(")
        and not _time_anchored(m)
        and not re.search(r"\bis not null\b", m.base_filter, re.I)
    ]
    return sorted(found, key=lambda m: (bool(m.base_filter.strip()), layer.catalog.index(m)))


def catalog_measure(layer: SemanticLayer, table: str, measure: str) -> MetricDefinition | None:
    """A catalog metric on `table` whose measure is exactly `measure` (spacing/case aside)."""
    wanted = re.sub(r"\s+", "", measure).upper()
    for metric in layer.catalog:
        same = re.sub(r"\s+", "", metric.measure).upper() == wanted
        if metric.source_table == table and same and not _time_anchored(metric):
            return metric
    return None


def measure_sql(aggregate: str, column: str | None) -> str:
    """The SQL of an allowlisted aggregate ("COUNT" with no column = COUNT(*))."""
    if aggregate == "COUNT" or column is None:
        return "COUNT(*)"
    if aggregate == "COUNT_DISTINCT":
        return f"COUNT(DISTINCT {column})"
    return f"{aggregate}({column})"


def compose_metric(
    layer: SemanticLayer, table: str, aggregate: str, column: str | None
) -> MetricDefinition | None:
    """A one-off metric from the dictionary, or None when the dictionary cannot express it
    (unknown/sensitive column, non-numeric SUM/AVG). On a table without a time column
    (plans) the metric has none either: the current state, never windowed."""
    info = layer.dictionary.tables.get(table)
    if info is None:
        return None
    numeric_aggregate = aggregate not in ("COUNT", "COUNT_DISTINCT")
    if column is not None and numeric_aggregate and not layer.numeric(table, column):
        return None
    short = table.split(".")[-1]
    column_words = (column or "").replace("_", " ")
    what = column_words if column else short.replace("_", " ")
    label = f"{AGGREGATE_LABELS[aggregate]} {what}".strip()
    if aggregate == "COUNT":
        label = f"{short.replace('_', ' ').capitalize()} count"
    if info.backend == "databricks":
        label += " (warehouse)"
    metric_id = re.sub(r"[^a-z0-9_]", "_", f"{aggregate.lower()}_{column or 'rows'}_{short}")
    unit = "count"
    if aggregate in ("SUM", "AVG", "MIN", "MAX") and column:
        unit = "currency" if re.search(r"amount|payout|premium|deductible", column) else "count"
    return MetricDefinition(
        id=metric_id[:80],
        label=label[0].upper() + label[1:],
        description=(
            f"{AGGREGATE_LABELS[aggregate]} of {what} on {table} (composed from the data "
            "dictionary)."
        ),
        source_table=table,
        measure=measure_sql(aggregate, column),
        time_column=info.time_column,
        window_days=info.window_days,
        dimensions=layer.groupable(table),
        synonyms=[label.lower()],
        unit=unit,  # type: ignore[arg-type]
        backend=info.backend,  # type: ignore[arg-type]
        origin="promoted",
    )


def rate_measure(column: str, value: str) -> str:
    """The share of rows whose `column` is `value`: `AVG(CASE WHEN … THEN 1.0 ELSE 0.0 END)`
    (a float on every dialect, unlike COUNT / COUNT, which SQLite and PostgreSQL divide as
    integers)."""
    literal = value.replace("'", "''")
    return f"AVG(CASE WHEN {column} = '{literal}' THEN 1.0 ELSE 0.0 END)"


def compose_rate(
    layer: SemanticLayer, table: str, column: str, value: str
) -> MetricDefinition | None:
    """ "<value> rate": of the rows whose time column falls in the window, the share whose
    `column` is `value` now — a catalog metric with exactly that measure when there is one
    (it knows its base: "plan cancellation rate" is over enrolled devices), else a one-off
    metric; None when the value was not read from `table.column` or the table has no time
    column."""
    info = layer.dictionary.tables.get(table)
    if info is None or not info.time_column or not layer.has_value(table, column, value):
        return None
    if column not in layer.groupable(table):
        return None
    measure = rate_measure(column, value)
    found = catalog_measure(layer, table, measure)
    if found is not None:
        return found
    short = table.split(".")[-1]
    words = short.replace("_", " ")
    label = f"Share of {words} with {column.replace('_', ' ')} {display(value)}"
    if info.backend == "databricks":
        label += " (warehouse)"
    slug = re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_")
    return MetricDefinition(
        id=re.sub(r"[^a-z0-9_]", "_", f"rate_{column}_{slug}_{short}")[:80],
        label=label[:120],
        description=(
            f"Of the {words} whose {info.time_column} falls in the window, the share whose "
            f"{column} is {value!r} now (the others, whatever their {column}, count in the "
            "denominator). Composed from the data dictionary and the values in the data."
        )[:500],
        source_table=table,
        measure=measure,
        time_column=info.time_column,
        window_days=30,
        dimensions=layer.groupable(table),
        synonyms=[label.lower()[:120]],
        unit="ratio",
        backend=info.backend,  # type: ignore[arg-type]
        origin="promoted",
    )


def rival_rates(
    layer: SemanticLayer, table: str, column: str, value: str
) -> list[MetricDefinition]:
    """Catalog ratio metrics on the value's table named by a word sharing the value's stem
    ("Escalation rate", from escalated_at, beside the share of sessions whose status is
    escalated now): two readings of one request, so the builder asks."""
    root = normalize(value)[:6]
    return [
        m
        for m in layer.catalog
        if m.unit == "ratio"
        and m.source_table == table
        and len(root) >= 5
        and any(w.startswith(root) for p in metric_phrases(m) for w in p.split())
        and re.sub(r"\s+", "", m.measure) != re.sub(r"\s+", "", rate_measure(column, value))
    ]


_SIMPLE_MEASURE = re.compile(r"^(AVG|SUM|MIN|MAX)\((\w+)\)$")


def warehouse_twins(layer: SemanticLayer, metric: MetricDefinition) -> list[MetricDefinition]:
    """The same aggregate over the same column on each warehouse table that has it ("warehouse
    payouts" → AVG(payout_amount) on the warehouse claims), for a metric whose base filter only
    drops NULLs; a catalog metric when one matches, else a composed one."""
    found = _SIMPLE_MEASURE.match(re.sub(r"\s+", "", metric.measure).upper())
    rest = re.sub(r"\b\w+ IS NOT NULL\b", "", metric.base_filter or "", flags=re.I).strip()
    if found is None or rest:
        return []
    column = found.group(2).lower()
    twins = []
    for table, info in layer.dictionary.tables.items():
        if info.backend != "databricks" or not layer.numeric(table, column):
            continue
        twin = catalog_measure(layer, table, metric.measure)
        twin = twin or compose_metric(layer, table, found.group(1), column)
        if twin is not None:
            twins.append(twin)
    return twins
