"""The data dictionary (CSV files under `data-dictionary/`) used by SQL generation."""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data-dictionary"
_NUMERIC_TYPES = frozenset(
    {"integer", "int", "bigint", "smallint", "decimal", "numeric", "double", "float", "real"}
)


class ColumnInfo(BaseModel):
    """One column: its table, SQL type, description, synonyms and whether it is sensitive.

    A sensitive column (e-mail, names, external ids, free-text payloads) is never grouped,
    filtered, listed or aggregated by value; it may only be counted.
    """

    table: str
    column: str
    type: str
    description: str = ""
    synonyms: list[str] = Field(default_factory=list)
    sensitive: bool = False
    categorical: bool = False  # a dimension whose distinct values are read from the data

    @property
    def numeric(self) -> bool:
        """Whether the SQL type is a number (SUM/AVG/MIN/MAX make sense)."""
        return self.type.lower().split("(")[0] in _NUMERIC_TYPES

    @property
    def temporal(self) -> bool:
        """Whether the SQL type is a timestamp or a date (a possible time axis)."""
        return self.type.lower().startswith(("timestamp", "date"))


class TableInfo(BaseModel):
    """One table: its backend, description and synonyms."""

    table: str
    backend: str
    description: str = ""
    synonyms: list[str] = Field(default_factory=list)
    time_column: str = ""  # default time column of a metric composed on this table
    # default trailing window of a metric composed on this table; None for a table of things
    # that exist ("how many customers": all of them, not those created in the last 30 days)
    window_days: int | None = 30


class Join(BaseModel):
    """An allowed equi-join between two tables."""

    left_table: str
    left_column: str
    right_table: str
    right_column: str

    def on(self) -> str:
        """The join condition as SQL text."""
        return f"{self.left_table}.{self.left_column} = {self.right_table}.{self.right_column}"


class DataDictionary(BaseModel):
    """Tables, columns (with synonyms) and allowed joins."""

    tables: dict[str, TableInfo]
    columns: dict[str, dict[str, ColumnInfo]]
    joins: list[Join]

    def columns_of(self, table: str) -> dict[str, ColumnInfo]:
        """Columns of `table` keyed by name (KeyError when unknown)."""
        return self.columns[table.lower()]

    def sensitive_columns(self, table: str) -> set[str]:
        """Names of `table`'s columns flagged sensitive (empty for an unknown table)."""
        return {n for n, c in self.columns.get(table.lower(), {}).items() if c.sensitive}

    def has_column(self, table: str, column: str) -> bool:
        """Whether `table.column` is in the dictionary."""
        return column.lower() in self.columns.get(table.lower(), {})

    @property
    def synonyms(self) -> dict[str, list[str]]:
        """Lower-case synonym → ["table" or "table.column", …] it may refer to."""
        index: dict[str, list[str]] = defaultdict(list)
        for name, info in self.tables.items():
            for word in [name, *info.synonyms]:
                index[word.lower()].append(name)
        for table, cols in self.columns.items():
            for name, info in cols.items():
                for word in [name, *info.synonyms]:
                    index[word.lower()].append(f"{table}.{name}")
        return dict(index)

    def joins_for(self, table: str) -> list[Join]:
        """Declared joins touching `table`."""
        table = table.lower()
        return [j for j in self.joins if table in (j.left_table, j.right_table)]

    def allowed_tables_for(self, source_table: str) -> set[str]:
        """`source_table` plus every table directly joinable to it per joins.csv."""
        table = source_table.lower()
        allowed = {table}
        for join in self.joins_for(table):
            allowed.add(join.right_table if join.left_table == table else join.left_table)
        return allowed


def _split(value: str | None) -> list[str]:
    return [s.strip() for s in (value or "").split(";") if s.strip()]


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"yes", "true", "1"}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_dictionary(path: str | Path | None = None) -> DataDictionary:
    """Load `tables.csv`, `columns.csv` and `joins.csv` from `path` (default: the repo's)."""
    if path is None:
        return _load_default()
    return _load(Path(path))


@lru_cache(maxsize=1)
def _load_default() -> DataDictionary:
    return _load(DEFAULT_PATH)


def _window(text: str | None) -> int | None:
    """`window_days` of tables.csv: blank = 30, `all` = no default window, else days."""
    text = (text or "").strip().lower()
    return None if text == "all" else int(text) if text else 30


def _load(root: Path) -> DataDictionary:
    tables = {
        r["table"].lower(): TableInfo(
            table=r["table"].lower(),
            backend=r["backend"],
            description=r.get("description") or "",
            synonyms=_split(r.get("synonyms")),
            time_column=(r.get("time_column") or "").strip().lower(),
            window_days=_window(r.get("window_days")),
        )
        for r in _rows(root / "tables.csv")
    }
    columns: dict[str, dict[str, ColumnInfo]] = defaultdict(dict)
    for r in _rows(root / "columns.csv"):
        table = r["table"].lower()
        if table not in tables:
            raise ValueError(f"columns.csv: table {table!r} missing from tables.csv")
        columns[table][r["column"].lower()] = ColumnInfo(
            table=table,
            column=r["column"].lower(),
            type=r["type"],
            description=r.get("description") or "",
            synonyms=_split(r.get("synonyms")),
            sensitive=_flag(r.get("sensitive")),
            categorical=_flag(r.get("categorical")),
        )
    joins = [Join(**{k: v.lower() for k, v in r.items()}) for r in _rows(root / "joins.csv")]
    for join in joins:
        for table, column in (
            (join.left_table, join.left_column),
            (join.right_table, join.right_column),
        ):
            if column not in columns.get(table, {}):
                raise ValueError(f"joins.csv: unknown column {table}.{column}")
    return DataDictionary(tables=tables, columns=dict(columns), joins=joins)
