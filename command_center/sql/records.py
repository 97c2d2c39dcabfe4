"""The records intent: rows (not aggregates) from one dictionary table, for feeds and lists.

A records intent names a dictionary table, the columns to list, equality/IN filters, an
order and a limit. It is compiled here with sqlglot (no client SQL) and passes the same
safety gate as every generated query. Only dictionary tables and columns that are NOT
flagged sensitive may be listed, filtered or ordered by.
"""

from __future__ import annotations

from typing import Literal

import sqlglot
from pydantic import BaseModel, ConfigDict, Field
from sqlglot import exp

from command_center.sql.compiler import SOURCE_DIALECT, SqlBackend
from command_center.sql.dictionary import DataDictionary, load_dictionary
from command_center.sql.safety import SafetyError, SafetyResult, check_sql

IDENTIFIER = r"^[a-z_][a-z0-9_]{0,63}$"
TABLE_NAME = r"^[a-z_][a-z0-9_]{0,63}(\.[a-z_][a-z0-9_]{0,63})?$"
MAX_RECORDS = 200


class RecordsOrder(BaseModel):
    """One ORDER BY term: a dictionary column and a direction."""

    model_config = ConfigDict(extra="forbid")

    column: str = Field(pattern=IDENTIFIER, description="a listed, non-sensitive column")
    direction: Literal["asc", "desc"] = "desc"


class RecordsIntent(BaseModel):
    """Rows from one dictionary table: columns, filters, order, limit (feeds and lists)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["records"] = "records"
    table: str = Field(pattern=TABLE_NAME, max_length=130, description="a dictionary table")
    columns: list[str] = Field(
        min_length=1, max_length=20, description="non-sensitive dictionary columns to list"
    )
    filters: dict[str, str | list[str]] = Field(
        default_factory=dict, max_length=10, description="column -> value (=) or values (IN)"
    )
    order: list[RecordsOrder] = Field(default_factory=list, max_length=3)
    limit: int = Field(default=50, ge=1, le=MAX_RECORDS)
    refresh_seconds: int = Field(default=30, ge=1, le=86_400)


class RecordsError(ValueError):
    """A records intent that may not be compiled; `field` and `name` say what."""

    def __init__(self, message: str, *, field: str = "", name: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.name = name


def _checked_column(
    dictionary: DataDictionary, table: str, column: str, field: str, sensitive: set[str]
) -> str:
    if not isinstance(column, str) or not dictionary.has_column(table, column):
        raise RecordsError(f"{column!r} is not a column of {table}", field=field, name=column)
    if column.lower() in sensitive:
        raise RecordsError(
            f"{table}.{column} is sensitive and may not be listed, filtered or ordered by",
            field=field,
            name=column,
        )
    return column.lower()


def _literal(value: object, column: str) -> exp.Literal:
    if not isinstance(value, str) or len(value) > 200:
        raise RecordsError(f"filter {column!r}: values are strings ≤ 200 chars", field="filters")
    return exp.Literal.string(value)


def compile_records_expression(
    intent: RecordsIntent, dictionary: DataDictionary | None = None
) -> exp.Select:
    """The records query as a sqlglot tree; raises `RecordsError` for anything not allowed."""
    dictionary = dictionary or load_dictionary()
    table = intent.table.lower()
    if table not in dictionary.tables:
        raise RecordsError(f"table {table!r} is not in the data dictionary", field="table")
    sensitive = dictionary.sensitive_columns(table)
    columns = [_checked_column(dictionary, table, c, "columns", sensitive) for c in intent.columns]
    if len(set(columns)) != len(columns):
        raise RecordsError(f"duplicate column in {columns}", field="columns")
    query = exp.select(*(exp.column(c) for c in columns))
    query = query.from_(exp.to_table(table, dialect=SOURCE_DIALECT))
    conditions: list[exp.Expression] = []
    for column, value in sorted(intent.filters.items()):
        name = _checked_column(dictionary, table, column, "filters", sensitive)
        if isinstance(value, list):
            if not value or len(value) > 50:
                raise RecordsError(f"filter {column!r}: 1–50 values", field="filters")
            conditions.append(exp.column(name).isin(*(_literal(v, name) for v in value)))
        else:
            conditions.append(exp.column(name).eq(_literal(value, name)))
    if conditions:
        query = query.where(exp.and_(*conditions))
    for term in intent.order:
        name = _checked_column(dictionary, table, term.column, "order", sensitive)
        query = query.order_by(exp.Ordered(this=exp.column(name), desc=term.direction == "desc"))
    return query.limit(int(intent.limit))


class RecordsSql(BaseModel):
    """Gate-approved records SQL in the backend's dialect, with the verdict behind it."""

    sql: str
    dialect: SqlBackend
    safety: SafetyResult
    source_sql: str


def records_sql(
    intent: RecordsIntent,
    backend: SqlBackend,
    dictionary: DataDictionary | None = None,
) -> RecordsSql:
    """Compile `intent`, gate it (only its table allowed, columns checked against the
    dictionary) as the SQL `backend` will run.

    Raises `RecordsError` for a table/column outside the dictionary or a sensitive column,
    `SafetyError` when the gate rejects the compiled SQL.
    """
    dictionary = dictionary or load_dictionary()
    source_sql = compile_records_expression(intent, dictionary).sql(dialect=SOURCE_DIALECT)
    safety = check_sql(
        source_sql,
        {intent.table.lower()},
        dialect=SOURCE_DIALECT,
        limit=MAX_RECORDS,
        known_tables=dictionary.tables.keys(),
        dictionary=dictionary,
        target=backend,
    )
    if not safety.passed or not safety.sql:
        raise SafetyError(safety)
    _assert_no_sensitive(safety.sql, intent.table.lower(), dictionary, backend)
    return RecordsSql(
        sql=safety.sql,
        dialect=backend,
        safety=safety,
        source_sql=source_sql,
    )


def _assert_no_sensitive(sql: str, table: str, dictionary: DataDictionary, dialect: str) -> None:
    """Second line: no column of the gated SQL is sensitive or outside the dictionary."""
    sensitive = dictionary.sensitive_columns(table)
    for column in sqlglot.parse_one(sql, read=dialect).find_all(exp.Column):
        if column.name.lower() in sensitive or not dictionary.has_column(table, column.name):
            raise RecordsError(f"column {column.name!r} may not be read", field="columns")


def table_backend(intent: RecordsIntent, dictionary: DataDictionary | None = None) -> str:
    """The routing backend of the intent's table (postgres | databricks) per tables.csv."""
    dictionary = dictionary or load_dictionary()
    info = dictionary.tables.get(intent.table.lower())
    if info is None:
        raise RecordsError(f"table {intent.table!r} is not in the data dictionary", field="table")
    return info.backend
