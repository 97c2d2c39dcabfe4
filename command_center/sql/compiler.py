"""Deterministic metric → SQL compiler (Databricks dialect) and dialect transpilation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import sqlglot
from sqlglot import exp

from command_center.metrics.definitions import MetricDefinition
from command_center.sql.dictionary import load_dictionary
from command_center.sql.intent import DataIntentLike
from command_center.sql.joins import JoinedColumn, joined_columns, qualify_and_join

SqlBackend = Literal["databricks", "duckdb", "postgres", "sqlite"]
SOURCE_DIALECT = "databricks"
TIME_DIMENSION = "day"  # pseudo-dimension: the metric's time column truncated to the day
# The time-series pseudo-dimensions: the time axis (the metric's time column, or the intent's
# `time_column`) truncated to the hour, day, ISO week (Monday) or month.
TIME_GRAINS: tuple[str, ...] = ("hour", "day", "week", "month")
# The window a series at this grain gets when the intent names none (a monthly series over a
# metric's 30-day default would show one or two points); "day" keeps the metric's default.
GRAIN_WINDOW_DAYS = {"hour": 2, "week": 84, "month": 365}


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


def _interval(amount: int, unit: str) -> exp.Interval:
    return exp.Interval(this=exp.Literal.string(str(int(amount))), unit=exp.Var(this=unit))


def _truncated(unit: str) -> exp.Expression:
    return exp.DateTrunc(unit=exp.Literal.string(unit), this=exp.CurrentDate())


# period -> (start, end): UTC calendar bounds; end None = up to now.
def _period_bounds(period: str) -> tuple[exp.Expression, exp.Expression | None]:
    if period == "today":
        return exp.CurrentDate(), None
    if period == "yesterday":
        return exp.Sub(this=exp.CurrentDate(), expression=_interval(1, "DAY")), exp.CurrentDate()
    scope, _, unit = period.partition("_")
    start = _truncated(unit.upper())
    if scope == "this":
        return start, None
    step = {"week": (7, "DAY"), "month": (1, "MONTH"), "quarter": (3, "MONTH")}
    amount, step_unit = step.get(unit, (1, "YEAR"))
    return exp.Sub(this=start.copy(), expression=_interval(amount, step_unit)), start


def _period(column: str, period: str) -> list[exp.Expression]:
    start, end = _period_bounds(period)
    conditions: list[exp.Expression] = [exp.GTE(this=exp.column(column), expression=start)]
    if end is not None:
        conditions.append(exp.LT(this=exp.column(column), expression=end))
    return conditions


def _day(value: object) -> exp.Expression:
    """A validated calendar day as `CAST('YYYY-MM-DD' AS DATE)` (never text from a request)."""
    if not isinstance(value, date):
        raise CompileError(f"range dates must be dates, got {type(value).__name__}", field="start")
    day = exp.Literal.string(value.isoformat()[:10])
    return exp.Cast(this=day, to=exp.DataType.build("DATE"))


def _absolute(column: str, start: object, end: object) -> list[exp.Expression]:
    """`start <= column < end + 1 day`: both days inclusive, whatever the column's time."""
    if not isinstance(end, date):
        raise CompileError("an absolute range needs both a start and an end date", field="end")
    return [
        exp.GTE(this=exp.column(column), expression=_day(start)),
        exp.LT(this=exp.column(column), expression=_day(end + timedelta(days=1))),
    ]


def time_grain(dimensions: list[str]) -> str | None:
    """The time grain among `dimensions` (a time series), or None."""
    return next((d for d in dimensions if d in TIME_GRAINS), None)


def default_window(metric: MetricDefinition, grain: str | None) -> int | None:
    """The trailing window of an intent that names none: the metric's default, widened for a
    weekly/monthly series (when the metric has one) and short for an hourly one."""
    if grain == "hour":
        return GRAIN_WINDOW_DAYS["hour"]
    if grain in GRAIN_WINDOW_DAYS and metric.window_days:
        return max(metric.window_days, GRAIN_WINDOW_DAYS[grain])
    return metric.window_days


def axis_column(metric: MetricDefinition, intent: DataIntentLike) -> str:
    """The time column the axis and window use: the intent's `time_column` (a dated event of
    the metric's table, e.g. `resolved_at`) when set, else the metric's."""
    chosen = getattr(intent, "time_column", None)
    if not chosen or chosen == metric.time_column:
        return metric.time_column
    info = load_dictionary().columns_of(metric.source_table).get(chosen.lower())
    if info is None or info.sensitive or not info.temporal:
        raise CompileError(
            f"{chosen!r} is not a date column of {metric.source_table}",
            field="time_column",
            name=chosen,
        )
    return info.column


def _undated(metric: MetricDefinition, intent: DataIntentLike, grain: str | None) -> None:
    """A metric with no time column (plans) is the current state: no series or window."""
    asked = {
        "dimensions": grain,
        "window_days": intent.window_days,
        "period": getattr(intent, "period", None),
        "start": getattr(intent, "start", None) or getattr(intent, "end", None),
    }
    for field, value in asked.items():
        if value:
            raise CompileError(
                f"metric {metric.id} has no time column: no {field} {value!r}", field=field
            )


def _bucket(grain: str, column: str) -> exp.Expression:
    """`column` truncated to `grain`: a DATE for day/week/month, a timestamp for hour."""
    if grain == "day":
        return exp.Cast(this=exp.column(column), to=exp.DataType.build("DATE"))
    truncated = exp.TimestampTrunc(this=exp.column(column), unit=exp.Var(this=grain.upper()))
    if grain == "hour":
        return truncated
    return exp.Cast(this=truncated, to=exp.DataType.build("DATE"))


def bucket_sql(grain: str, column: str) -> str:
    """The Databricks SQL of `column` bucketed by `grain` (what the compiler selects)."""
    return _bucket(grain, column).sql(dialect=SOURCE_DIALECT)


def _dimension(name: str, column: str, joined: dict[str, JoinedColumn]) -> exp.Expression:
    if name in TIME_GRAINS:
        return exp.alias_(_bucket(name, column), name)
    if name in joined:  # `customers.segment AS "customers.segment"`: rows keyed by the name
        return exp.alias_(joined[name].ref(), name, quoted=True)
    return exp.column(name)


def _group_key(name: str, column: str, joined: dict[str, JoinedColumn]) -> exp.Expression:
    if name in joined:
        return joined[name].ref()
    return _bucket(name, column) if name in TIME_GRAINS else exp.column(name)


def _ref(name: str, joined: dict[str, JoinedColumn]) -> exp.Column:
    return joined[name].ref() if name in joined else exp.column(name)


def compile_metric_expression(metric: MetricDefinition, intent: DataIntentLike) -> exp.Select:
    """The compiled query as a sqlglot tree (see `compile_metric_sql`)."""
    if intent.metric and intent.metric != metric.id:
        raise CompileError(
            f"intent is for metric {intent.metric!r}, not {metric.id!r}",
            field="metric",
            name=intent.metric,
        )
    joined = joined_columns(metric.source_table)
    allowed = set(metric.dimensions) | set(joined)
    dimensions = list(intent.dimensions) or list(metric.default_dimensions)
    allowed_dims = allowed | set(TIME_GRAINS)
    for dim in dimensions:
        if dim not in allowed_dims:
            raise CompileError(
                f"unknown dimension {dim!r} for metric {metric.id} (allowed: {sorted(allowed)})",
                field="dimensions",
                name=dim,
            )
    if len(set(dimensions)) != len(dimensions):
        raise CompileError(f"duplicate dimension in {dimensions}", field="dimensions")
    if len(set(dimensions) & set(TIME_GRAINS)) > 1:
        raise CompileError(f"more than one time grain in {dimensions}", field="dimensions")
    grain = time_grain(dimensions)
    time_column = axis_column(metric, intent)
    if not time_column:
        _undated(metric, intent, grain)

    query = exp.select(*(_dimension(d, time_column, joined) for d in dimensions))
    query = query.select(exp.alias_(_parse(metric.measure, "measure", metric), "value"))
    query = query.from_(exp.to_table(metric.source_table, dialect=SOURCE_DIALECT))

    conditions: list[exp.Expression] = []
    period = getattr(intent, "period", None)
    start, end = getattr(intent, "start", None), getattr(intent, "end", None)
    window_days = intent.window_days or default_window(metric, grain)
    if start is not None or end is not None:  # an absolute range replaces period and window
        conditions.extend(_absolute(time_column, start, end))
    elif period:
        conditions.extend(_period(time_column, period))
    elif window_days:
        conditions.append(_window(time_column, window_days))
    if time_column != metric.time_column:  # counted by an event's date: it happened
        conditions.append(exp.column(time_column).is_(exp.null()).not_())
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
            conditions.append(_ref(column, joined).isin(*(_literal(v) for v in value)))
        else:
            conditions.append(_ref(column, joined).eq(_literal(value)))
    for column, values in sorted((getattr(intent, "exclude", None) or {}).items()):
        if column not in allowed:
            raise CompileError(
                f"unknown exclude column {column!r} for metric {metric.id}",
                field="exclude",
                name=column,
            )
        if values:
            inside = _ref(column, joined).isin(*(_literal(v) for v in values))
            conditions.append(exp.or_(exp.Not(this=inside), _ref(column, joined).is_(exp.null())))
    if conditions:
        query = query.where(exp.and_(*conditions))

    if dimensions:
        query = query.group_by(*(_group_key(d, time_column, joined) for d in dimensions))
    exclude = getattr(intent, "exclude", None) or {}
    used = [joined[n] for n in [*dimensions, *intent.filters, *exclude] if n in joined]
    if used:  # a dimension across a declared join: qualify the metric's columns, LEFT JOIN
        query = qualify_and_join(query, metric, used)
    if dimensions:
        if grain:
            query = query.order_by(exp.Ordered(this=exp.column(grain), desc=False))
        else:
            ascending = getattr(intent, "sort", None) == "asc"
            query = query.order_by(exp.Ordered(this=exp.column("value"), desc=not ascending))
    if intent.limit is not None:
        query = query.limit(int(intent.limit))
    return query


def compile_metric_sql(metric: MetricDefinition, intent: DataIntentLike) -> str:
    """Compile `metric` + `intent` to one Databricks-dialect SELECT.

    SELECT the dimensions (intent's, else the metric's defaults) and ``measure AS value``
    FROM the source table, WHERE the time window (the intent's absolute range, else its
    calendar period, else its trailing window, else the metric's; none = all time), the
    base filter and the intent's equality/IN filters (quoted literals), GROUP BY
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
    return transpile_expression(sqlglot.parse_one(sql, read=SOURCE_DIALECT), backend)


def transpile_expression(tree: exp.Expression, backend: str, *, comments: bool = True) -> str:
    """A parsed Databricks-dialect `tree` as SQL text in `backend`'s dialect (see
    `transpile_for`); the safety gate renders its checked tree with this."""
    if backend == "sqlite":
        return tree.transform(_sqlite_compat).sql(dialect="sqlite", comments=comments)
    if backend == "postgres":
        return tree.transform(_postgres_compat).sql(dialect="postgres", comments=comments)
    return tree.sql(dialect=backend, comments=comments)


_SQLITE_UNITS = {"SECOND": "seconds", "MINUTE": "minutes", "HOUR": "hours", "DAY": "days"}
_SQLITE_UNITS |= {"MONTH": "months", "YEAR": "years"}
_QUARTER_OFFSET = "'-' || ((CAST(strftime('%m', 'now') AS INTEGER) - 1) % 3) || ' months'"


def _sqlite_anchor(node: exp.Expression) -> exp.Expression:
    """`now`/today/period start as a SQLite date-function argument list head."""
    if isinstance(node, exp.CurrentTimestamp):
        return exp.Literal.string("now")
    return node.transform(_sqlite_compat)


def _sqlite_truncate(unit: str) -> exp.Expression:
    modifiers = {
        "WEEK": ["weekday 0", "-6 days"],
        "MONTH": ["start of month"],
        "YEAR": ["start of year"],
    }
    if unit == "QUARTER":
        offset = sqlglot.parse_one(_QUARTER_OFFSET, read="sqlite")
        args = [exp.Literal.string("now"), exp.Literal.string("start of month"), offset]
        return exp.Anonymous(this="date", expressions=args)
    if unit == "DAY":
        return exp.Anonymous(this="date", expressions=[exp.Literal.string("now")])
    args = [exp.Literal.string("now"), *(exp.Literal.string(m) for m in modifiers[unit])]
    return exp.Anonymous(this="date", expressions=args)


_SQLITE_BUCKETS = {"WEEK": ["weekday 0", "-6 days"], "MONTH": ["start of month"], "DAY": []}


def _sqlite_bucket(unit: str, value: exp.Expression) -> exp.Expression:
    """A column truncated to `unit` as SQLite text: 'YYYY-MM-DD HH:00:00' for an hour, the
    'YYYY-MM-DD' of the day, the week's Monday or the month's first day."""
    value = value.transform(_sqlite_compat)
    if unit == "HOUR":
        pattern = exp.Literal.string("%Y-%m-%d %H:00:00")
        return exp.Anonymous(this="strftime", expressions=[pattern, value])
    if unit not in _SQLITE_BUCKETS:
        raise CompileError(f"no SQLite bucket for {unit}", field="dimensions", name=unit.lower())
    modifiers = [exp.Literal.string(m) for m in _SQLITE_BUCKETS[unit]]
    return exp.Anonymous(this="date", expressions=[value, *modifiers])


def _sqlite_compat(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DATE):
        return exp.Anonymous(this="date", expressions=[node.this.transform(_sqlite_compat)])
    if isinstance(node, exp.CurrentDate):
        return exp.Anonymous(this="date", expressions=[exp.Literal.string("now")])
    if isinstance(node, exp.DateTrunc | exp.TimestampTrunc):
        if not isinstance(node.this, exp.CurrentDate | exp.CurrentTimestamp):
            return _sqlite_bucket(node.text("unit").upper(), node.this)
        return _sqlite_truncate(node.text("unit").upper())
    if isinstance(node, exp.TimestampDiff) and node.text("unit").upper() == "SECOND":
        node = node.copy()
        days = exp.Sub(
            this=exp.Anonymous(this="julianday", expressions=[node.this]),
            expression=exp.Anonymous(this="julianday", expressions=[node.expression]),
        )
        return exp.Mul(this=exp.paren(days), expression=exp.Literal.number(86400))
    if isinstance(node, exp.Sub) and isinstance(node.expression, exp.Interval):
        unit = node.expression.text("unit").upper().rstrip("S")
        if unit in _SQLITE_UNITS:
            amount = int(node.expression.this.name)
            modifier = exp.Literal.string(f"-{amount} {_SQLITE_UNITS[unit]}")
            return exp.Anonymous(this="datetime", expressions=[_sqlite_anchor(node.this), modifier])
    return node


def _postgres_compat(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.TimestampDiff) and node.text("unit").upper() == "SECOND":
        span = exp.paren(exp.Sub(this=node.this, expression=node.expression))
        return exp.Extract(this=exp.Var(this="EPOCH"), expression=span)
    return node
