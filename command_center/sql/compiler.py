"""Deterministic metric → SQL compiler (Databricks dialect) and dialect transpilation."""

from __future__ import annotations

from typing import Literal

import sqlglot
from sqlglot import exp

from command_center.metrics.definitions import MetricDefinition
from command_center.sql.intent import DataIntentLike

SqlBackend = Literal["databricks", "duckdb", "postgres", "sqlite"]
SOURCE_DIALECT = "databricks"
TIME_DIMENSION = "day"  # pseudo-dimension: the metric's time column truncated to the day


class CompileError(ValueError):
    """A metric/intent combination that cannot be compiled; `field` and `name` say what."""

    def __init__(self, message: str, *, field: str = "", name: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.name = name


def _parse(sql: str, what: str, metric: MetricDefinition) -> exp.Expression:
    try:
        return sqlglot.parse_one(sql, read=SOURCE_DIALECT)
    except sqlglot.errors.SqlglotError as exc:
        raise CompileError(f"metric {metric.id}: bad {what} {sql!r}: {exc}", field=what) from exc


def _literal(value: object) -> exp.Literal:
    if not isinstance(value, str):
        raise CompileError(f"filter values must be strings, got {type(value).__name__}")
    return exp.Literal.string(value)


def _window(column: str, days: int) -> exp.Expression:
    interval = exp.Interval(this=exp.Literal.string(str(int(days))), unit=exp.Var(this="DAY"))
    return exp.GTE(
        this=exp.column(column),
        expression=exp.Sub(this=exp.CurrentTimestamp(), expression=interval),
    )


def _day_of(metric: MetricDefinition) -> exp.Expression:
    return exp.Cast(this=exp.column(metric.time_column), to=exp.DataType.build("DATE"))


def _dimension(name: str, metric: MetricDefinition) -> exp.Expression:
    if name == TIME_DIMENSION:
        return exp.alias_(_day_of(metric), TIME_DIMENSION)
    return exp.column(name)


def _group_key(name: str, metric: MetricDefinition) -> exp.Expression:
    return _day_of(metric) if name == TIME_DIMENSION else exp.column(name)


def compile_metric_expression(metric: MetricDefinition, intent: DataIntentLike) -> exp.Select:
    """The compiled query as a sqlglot tree (see `compile_metric_sql`)."""
    if intent.metric and intent.metric != metric.id:
        raise CompileError(
            f"intent is for metric {intent.metric!r}, not {metric.id!r}",
            field="metric",
            name=intent.metric,
        )
    allowed = set(metric.dimensions)
    dimensions = list(intent.dimensions) or list(metric.default_dimensions)
    allowed_dims = allowed | {TIME_DIMENSION}
    for dim in dimensions:
        if dim not in allowed_dims:
            raise CompileError(
                f"unknown dimension {dim!r} for metric {metric.id} (allowed: {sorted(allowed)})",
                field="dimensions",
                name=dim,
            )
    if len(set(dimensions)) != len(dimensions):
        raise CompileError(f"duplicate dimension in {dimensions}", field="dimensions")

    query = exp.select(*(_dimension(d, metric) for d in dimensions))
    query = query.select(exp.alias_(_parse(metric.measure, "measure", metric), "value"))
    query = query.from_(exp.to_table(metric.source_table, dialect=SOURCE_DIALECT))

    conditions: list[exp.Expression] = []
    window_days = intent.window_days or metric.window_days
    if window_days:
        conditions.append(_window(metric.time_column, window_days))
    if metric.base_filter.strip():
        conditions.append(exp.paren(_parse(metric.base_filter, "base_filter", metric)))
    for column, value in sorted(intent.filters.items()):
        if column not in allowed:
            raise CompileError(
                f"unknown filter column {column!r} for metric {metric.id} "
                f"(allowed: {sorted(allowed)})",
                field="filters",
                name=column,
            )
        if isinstance(value, list):
            if not value:
                raise CompileError(f"empty value list for filter {column!r}", field="filters")
            conditions.append(exp.column(column).isin(*(_literal(v) for v in value)))
        else:
            conditions.append(exp.column(column).eq(_literal(value)))
    if conditions:
        query = query.where(exp.and_(*conditions))

    if dimensions:
        query = query.group_by(*(_group_key(d, metric) for d in dimensions))
        if TIME_DIMENSION in dimensions:
            query = query.order_by(exp.Ordered(this=exp.column(TIME_DIMENSION), desc=False))
        else:
            query = query.order_by(exp.Ordered(this=exp.column("value"), desc=True))
    if intent.limit is not None:
        query = query.limit(int(intent.limit))
    return query


def compile_metric_sql(metric: MetricDefinition, intent: DataIntentLike) -> str:
    """Compile `metric` + `intent` to one Databricks-dialect SELECT.

    SELECT the dimensions (intent's, else the metric's defaults) and ``measure AS value``
    FROM the source table, WHERE the time window (intent's, else the metric's; none = all
    time), the base filter and the intent's equality/IN filters (quoted literals), GROUP BY
    the dimensions, ORDER BY value DESC when grouped, LIMIT when the intent sets one.
    Raises `CompileError` for an unknown dimension or filter column.
    """
    return compile_metric_expression(metric, intent).sql(dialect=SOURCE_DIALECT)


def transpile_for(sql: str, backend: SqlBackend) -> str:
    """Transpile Databricks-dialect `sql` to `backend`'s dialect.

    SQLite (the embedded OLTP database) has no interval arithmetic or DATE type:
    `CURRENT_TIMESTAMP - INTERVAL 'n' DAY` becomes `datetime('now', '-n days')` (which
    compares correctly with the 'YYYY-MM-DD HH:MM:SS' UTC strings SQLAlchemy stores) and
    `CAST(x AS DATE)` becomes `date(x)`.
    """
    if backend == SOURCE_DIALECT:
        return sql
    if backend == "sqlite":
        tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT).transform(_sqlite_compat)
        return tree.sql(dialect="sqlite")
    return sqlglot.transpile(sql, read=SOURCE_DIALECT, write=backend)[0]


def _sqlite_compat(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DATE):
        return exp.Anonymous(this="date", expressions=[node.this])
    if (
        isinstance(node, exp.Sub)
        and isinstance(node.this, exp.CurrentTimestamp)
        and isinstance(node.expression, exp.Interval)
        and node.expression.text("unit").upper() in {"DAY", "DAYS"}
    ):
        days = int(node.expression.this.name)
        return exp.Anonymous(
            this="datetime",
            expressions=[exp.Literal.string("now"), exp.Literal.string(f"-{days} days")],
        )
    return node
