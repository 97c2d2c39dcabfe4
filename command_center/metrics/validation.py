"""Validate a metric definition against the data dictionary before it is stored or run.

A client (the builder UI, `/v1/widgets`) may propose a one-off metric to promote into the
catalog. Nothing it sends may widen what SQL can read, so a definition is accepted only when:

- its `source_table` is a dictionary table, on the backend the dictionary declares for it;
- its `measure` is one allowlisted aggregate (COUNT, COUNT DISTINCT, SUM, AVG, MIN, MAX) or a
  ratio of two, over dictionary columns of that table, built only from column references,
  literals, arithmetic, comparisons and CASE — no subquery, no other function;
- sensitive columns (e-mail, names, external ids, payloads) appear only as the bare argument
  of COUNT / COUNT DISTINCT (never compared inside it: that is a value oracle);
- SUM/AVG read numeric columns (or a CASE/arithmetic expression), never text;
- `base_filter` uses the same small expression language with non-sensitive columns only;
- `time_column`, `dimensions` and `default_dimensions` are non-sensitive dictionary columns,
  never named like a time grain (`hour`, `day`, `week`, `month` are the series); only a
  table the dictionary gives no time column (plans) may have none, and then no window;
- `window_days` is within 1 day .. 5 years (the model itself enforces the bounds).

The rules read the dictionary (data), never the client's claims about it.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from command_center.metrics.definitions import MetricDefinition
from command_center.sql.compiler import TIME_GRAINS
from command_center.sql.dictionary import DataDictionary, load_dictionary

MAX_EXPRESSION_CHARS = 1000
_AGGREGATES: tuple[type[exp.Expression], ...] = (exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max)
_NUMERIC_AGGREGATES: tuple[type[exp.Expression], ...] = (exp.Sum, exp.Avg)
# Everything a measure or filter may contain besides aggregates and column references.
_SCALAR_NODES: tuple[type[exp.Expression], ...] = (
    exp.Identifier,
    exp.Literal,
    exp.Null,
    exp.Boolean,
    exp.Paren,
    exp.Case,
    exp.If,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.In,
    exp.Is,
    exp.Not,
    exp.And,
    exp.Or,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Neg,
    exp.Tuple,
    # time anchors and durations (the KPI metrics: "today", "older than 48 h", "time to X")
    exp.CurrentDate,
    exp.CurrentTimestamp,
    exp.Interval,
    exp.Var,
    exp.TimestampDiff,
)


# A bare word (`exp.Var`) is only a time unit: `INTERVAL 2 DAY`, `TIMESTAMPDIFF(HOUR, a, b)`
# (any other word there — `TIMESTAMPDIFF(email, a, b)` — is a column name in disguise).
_UNIT_PARENTS = (exp.Interval, exp.TimestampDiff)
_UNITS = frozenset(
    f"{unit}{plural}"
    for unit in (
        [
            "microsecond",
            "millisecond",
            "second",
            "minute",
            "hour",
            "day",
            "week",
            "month",
            "quarter",
            "year",
        ]
    )
    for plural in ("", "s")
)


class MetricValidationError(ValueError):
    """The definition would read something the dictionary does not allow; `field` says where."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _parse(text: str, field: str) -> exp.Expression:
    if len(text) > MAX_EXPRESSION_CHARS:
        raise MetricValidationError(f"longer than {MAX_EXPRESSION_CHARS} characters", field=field)
    try:
        tree = sqlglot.parse_one(text, read="databricks")
    except (sqlglot.errors.SqlglotError, RecursionError) as exc:
        raise MetricValidationError(f"does not parse: {str(exc)[:200]}", field=field) from None
    if tree is None:
        raise MetricValidationError("is empty", field=field)
    return tree


class _Rules:
    """Column and node checks for one table of the dictionary."""

    def __init__(self, dictionary: DataDictionary, table: str) -> None:
        self.table = table
        self.columns = dictionary.columns_of(table)

    def column(self, name: str, field: str, *, countable_only: bool = False) -> None:
        info = self.columns.get(name.lower())
        if info is None:
            raise MetricValidationError(
                f"{name!r} is not a column of {self.table} in the data dictionary", field=field
            )
        if info.sensitive and not countable_only:
            raise MetricValidationError(
                f"{self.table}.{info.column} is sensitive: it may only be counted", field=field
            )

    def column_ref(self, node: exp.Column, field: str, *, countable_only: bool = False) -> None:
        if node.table and node.table.lower() != self.table.split(".")[-1]:
            raise MetricValidationError(
                f"column {node.sql()} names another table than {self.table}", field=field
            )
        self.column(node.name, field, countable_only=countable_only)

    def scalar(self, tree: exp.Expression, field: str, *, countable_only: bool = False) -> None:
        """Every node is an allowed scalar node or a permitted column reference."""
        for node in tree.walk():
            if isinstance(node, exp.Column):
                self.column_ref(node, field, countable_only=countable_only)
            elif isinstance(node, exp.Star) and countable_only and node is tree:
                continue
            elif not isinstance(node, _SCALAR_NODES) or (
                isinstance(node, exp.Var)
                and not (isinstance(node.parent, _UNIT_PARENTS) and node.name.lower() in _UNITS)
            ):
                raise MetricValidationError(
                    f"{type(node).__name__} ({node.sql(dialect='databricks')[:60]}) is not "
                    "allowed here: only columns, literals, arithmetic, comparisons and CASE",
                    field=field,
                )

    def aggregate(self, node: exp.Expression, field: str) -> None:
        if not isinstance(node, _AGGREGATES):
            raise MetricValidationError(
                f"{node.sql(dialect='databricks')[:60]} is not one of COUNT, COUNT DISTINCT, "
                "SUM, AVG, MIN, MAX",
                field=field,
            )
        argument = node.this
        if isinstance(argument, exp.Distinct):
            if not isinstance(node, exp.Count) or len(argument.expressions) != 1:
                raise MetricValidationError("DISTINCT only as COUNT(DISTINCT column)", field=field)
            argument = argument.expressions[0]
        if argument is None:
            raise MetricValidationError("an aggregate needs an argument", field=field)
        # a sensitive column is counted only bare — COUNT(col), COUNT(DISTINCT col) — as the
        # gate requires: inside COUNT(CASE WHEN email < 'm' THEN 1 END) it is an oracle
        counting = isinstance(node, exp.Count) and isinstance(argument, (exp.Column, exp.Star))
        self.scalar(argument, field, countable_only=counting)
        if isinstance(node, _NUMERIC_AGGREGATES) and isinstance(argument, exp.Column):
            info = self.columns[argument.name.lower()]
            if not info.numeric:
                raise MetricValidationError(
                    f"{type(node).__name__.upper()} needs a numeric column; "
                    f"{info.column} is {info.type}",
                    field=field,
                )


def _unparen(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def validate_measure(measure: str, table: str, dictionary: DataDictionary | None = None) -> None:
    """Raise `MetricValidationError` unless `measure` is one allowlisted aggregate (or a ratio
    of two) over `table`'s dictionary columns."""
    dictionary = dictionary or load_dictionary()
    rules = _Rules(dictionary, table)
    tree = _unparen(_parse(measure, "measure"))
    if isinstance(tree, exp.Div) and isinstance(_unparen(tree.expression), exp.Literal):
        parts = [_unparen(tree.this)]  # a unit conversion ("/ 3600.0"), not a ratio
    elif isinstance(tree, exp.Div):
        parts = [_unparen(tree.this), _unparen(tree.expression)]
    else:
        parts = [tree]
    for part in parts:
        rules.aggregate(part, "measure")


def validate_metric_definition(
    definition: MetricDefinition, dictionary: DataDictionary | None = None
) -> MetricDefinition:
    """Return `definition` unchanged when the dictionary allows everything it reads.

    Raises `MetricValidationError` (with the offending `field`) otherwise.
    """
    dictionary = dictionary or load_dictionary()
    table = definition.source_table.lower()
    info = dictionary.tables.get(table)
    if info is None:  # ' claims ' too: the stored name is what the compiler uses
        raise MetricValidationError(
            f"{definition.source_table!r} is not a table of the data dictionary",
            field="source_table",
        )
    if info.backend != definition.backend:
        raise MetricValidationError(
            f"{table} lives on {info.backend}, not {definition.backend}", field="backend"
        )
    rules = _Rules(dictionary, table)
    validate_measure(definition.measure, table, dictionary)
    if definition.time_column or info.time_column:  # only a table with no date may omit it
        rules.column(definition.time_column, "time_column")
        if not dictionary.columns_of(table)[definition.time_column.lower()].type.startswith(
            ("timestamp", "date")
        ):
            raise MetricValidationError("must be a timestamp or date column", field="time_column")
    elif definition.window_days is not None:
        raise MetricValidationError(f"{table} has no date to window", field="window_days")
    if definition.base_filter.strip():
        rules.scalar(_parse(definition.base_filter, "base_filter"), "base_filter")
    for field in ("dimensions", "default_dimensions"):
        for name in getattr(definition, field):
            if name.lower() in TIME_GRAINS:  # `week` is the time series, never a column
                raise MetricValidationError(f"{name!r} is a time grain name", field=field)
            rules.column(name, field)
    extra = set(definition.default_dimensions) - set(definition.dimensions)
    if extra:
        raise MetricValidationError(
            f"{sorted(extra)} are not among the metric's dimensions", field="default_dimensions"
        )
    return definition
