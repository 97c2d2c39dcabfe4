"""Dimensions across one declared join: group or filter a metric by a column of another table.

`data-dictionary/joins.csv` declares `left_table.left_column = right_table.right_column`. From
a metric's table (the left side) one hop reaches the right table, whose row is unique (its
key), so the join never repeats a metric row: a LEFT JOIN keeps the totals of the ungrouped
metric (rows without a match group under NULL). Only the right table's allowlisted columns —
categorical and not sensitive in the dictionary — may be used, named `table.column`
(`customers.segment`). A table reached by two declared joins is left out: which path is meant
is the operator's question, never the compiler's guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from command_center.metrics.definitions import MetricDefinition
from command_center.sql.dictionary import DataDictionary, load_dictionary


@dataclass(frozen=True)
class JoinedColumn:
    """A column of a table one declared join away from a metric's table."""

    name: str  # table.column, the dimension/filter name
    table: str
    column: str
    left_column: str  # the metric table's key to `table`
    right_column: str  # `table`'s key

    def ref(self) -> exp.Column:
        """The qualified column reference (`customers.segment`)."""
        return exp.column(self.column, table=self.table)


def joined_columns(table: str, dictionary: DataDictionary | None = None) -> dict[str, JoinedColumn]:
    """`table.column` → the allowlisted columns reachable from `table` by one declared join."""
    dictionary = dictionary or load_dictionary()
    table = table.lower()
    joins = [j for j in dictionary.joins if j.left_table == table and j.right_table != table]
    reached = [j.right_table for j in joins]
    out: dict[str, JoinedColumn] = {}
    for join in joins:
        if reached.count(join.right_table) > 1:
            continue  # two paths to one table: ambiguous
        for name, info in dictionary.columns_of(join.right_table).items():
            if info.categorical and not info.sensitive:
                joined = f"{join.right_table}.{name}"
                out[joined] = JoinedColumn(
                    joined, join.right_table, name, join.left_column, join.right_column
                )
    return out


def dimensions_of(metric: MetricDefinition, dictionary: DataDictionary | None = None) -> list[str]:
    """What `metric` may be grouped or filtered by: its own dimensions, then joined columns."""
    return [*metric.dimensions, *joined_columns(metric.source_table, dictionary)]


def column_home(
    metric: MetricDefinition, name: str, dictionary: DataDictionary | None = None
) -> tuple[str, str]:
    """(table, column) a dimension/filter name of `metric` reads: its own table's column, or
    the joined table's for `table.column`."""
    joined = joined_columns(metric.source_table, dictionary).get(name)
    return (joined.table, joined.column) if joined else (metric.source_table, name)


def qualify_and_join(
    query: exp.Select, metric: MetricDefinition, used: list[JoinedColumn]
) -> exp.Select:
    """Qualify every bare column of `query` with the metric's table and LEFT JOIN the tables
    of `used` on their declared keys (before ORDER BY, whose names are output aliases)."""
    source = exp.to_table(metric.source_table, dialect="databricks")

    def qualify(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table:
            return exp.column(node.name, table=source.name, db=source.db or None)
        return node

    query = query.transform(qualify)  # type: ignore[assignment]
    for table, left, right in dict.fromkeys((c.table, c.left_column, c.right_column) for c in used):
        on = exp.column(left, table=source.name, db=source.db or None).eq(
            exp.column(right, table=table)
        )
        query = query.join(exp.to_table(table), on=on, join_type="left")
    return query
