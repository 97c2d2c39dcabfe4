"""The semantic layer: the one vocabulary of the builder and the SQL generator.

It joins the metrics catalog (labels, descriptions, synonyms), the data dictionary (tables,
columns, synonyms, flags), value synonyms (`data-dictionary/value_synonyms.csv`) and the
known values read from the data, and indexes every phrase that names one of them — and the
business terms the data cannot compute (`undefined_terms.csv`), so the builder asks for them.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from command_center.metrics.definitions import MetricDefinition
from command_center.semantic.text import key, normalize
from command_center.semantic.values import KnownValues
from command_center.sql.compiler import TIME_GRAINS
from command_center.sql.dictionary import DEFAULT_PATH, DataDictionary, load_dictionary

TIME_DIMENSION = "day"  # pseudo-dimension: the metric's time column by day
__all__ = [
    "TIME_DIMENSION",
    "TIME_GRAINS",
    "SemanticLayer",
    "Tag",
    "build_layer",
    "load_terms",
    "load_value_synonyms",
    "metric_phrases",
]


@dataclass(frozen=True)
class Tag:
    """What a phrase names: a metric, a table, a column or a column value."""

    kind: str  # metric | table | column | value
    name: str  # metric id, table, column or value
    table: str = ""
    column: str = ""


@dataclass
class SemanticLayer:
    """Catalog + dictionary + known values, and the phrase index over them."""

    catalog: list[MetricDefinition]
    dictionary: DataDictionary
    values: KnownValues = field(default_factory=dict)
    value_synonyms: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    lexicon: dict[tuple[str, ...], list[Tag]] = field(default_factory=dict)
    # phrases that name only a sensitive column ("customer name", "emails"): never indexed
    sensitive: dict[tuple[str, ...], str] = field(default_factory=dict)
    # business terms the data cannot compute ("loss ratio") → why (`undefined_terms.csv`)
    terms: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lexicon = {}
        self.sensitive = {}
        for metric in self.catalog:
            for phrase in metric_phrases(metric):
                self._add(phrase, Tag("metric", metric.id))
        for table, info in self.dictionary.tables.items():
            for phrase in [table.split(".")[-1], *info.synonyms]:
                self._add(phrase, Tag("table", table, table))
            for column, col in self.dictionary.columns_of(table).items():
                if col.sensitive:
                    for phrase in [column, *col.synonyms]:
                        self.sensitive.setdefault(key(phrase), f"{table}.{column}")
                    continue
                for phrase in [_own_name(column, col.synonyms), *col.synonyms]:
                    self._add(phrase, Tag("column", column, table, column))
        for term in self.terms:  # indexed so it outranks its words ("loss" is a loss type)
            self._add(term, Tag("term", term))
        for (table, column), values in self.values.items():
            for value in values:
                tag = Tag("value", value, table, column)
                self._add(value, tag)
                for phrase in self.value_synonyms.get((table, column, value), []):
                    self._add(phrase, tag)

    def sensitive_in(self, stems: list[str], filler: set[str]) -> list[str]:
        """Phrases of `stems` that name only a sensitive column (none of the layer's own
        phrases, not one filler word): "customer names", "emails", "claim number"."""
        found = []
        for size in range(4, 0, -1):
            for i in range(len(stems) - size + 1):
                phrase = tuple(stems[i : i + size])
                named = phrase in self.sensitive and phrase not in self.lexicon
                if named and (size > 1 or phrase[0] not in filler):
                    found.append(" ".join(phrase))
        return found

    def _add(self, phrase: str, tag: Tag) -> None:
        phrase_key = key(phrase)
        if not phrase_key:
            return
        bucket = self.lexicon.setdefault(phrase_key, [])
        if tag not in bucket:
            bucket.append(tag)

    # ---------------------------------------------------------------- lookups

    def metric(self, metric_id: str | None) -> MetricDefinition | None:
        """The catalog metric `metric_id`, or None."""
        return next((m for m in self.catalog if m.id == metric_id), None)

    def backend_of(self, table: str) -> str:
        """The backend the dictionary declares for `table`."""
        info = self.dictionary.tables.get(table)
        return info.backend if info else "postgres"

    def groupable(self, table: str) -> list[str]:
        """Non-sensitive categorical columns of `table` (what a composed metric may group by)."""
        columns = self.dictionary.columns.get(table, {})
        return [c for c, info in columns.items() if info.categorical and not info.sensitive]

    def has_value(self, table: str, column: str, value: str) -> bool:
        """Whether `value` was read from `table.column`."""
        return value in self.values.get((table, column), [])

    def value_tags(self, words: str) -> list[Tag]:
        """Value tags of a phrase (normalised both ways: case, `_`/space, plurals)."""
        return [t for t in self.lexicon.get(key(words), []) if t.kind == "value"]

    def numeric(self, table: str, column: str) -> bool:
        """Whether `table.column` is a non-sensitive numeric dictionary column that measures
        something (a join key of `joins.csv` — `devices.plan_id` — is no quantity to average)."""
        info = self.dictionary.columns.get(table, {}).get(column)
        keys = {(j.left_table, j.left_column) for j in self.dictionary.joins} | {
            (j.right_table, j.right_column) for j in self.dictionary.joins
        }
        return bool(info and info.numeric and not info.sensitive and (table, column) not in keys)

    def temporal(self, table: str, column: str) -> bool:
        """Whether `table.column` is a non-sensitive date/timestamp column (a time axis)."""
        info = self.dictionary.columns.get(table, {}).get(column)
        return bool(info and info.temporal and not info.sensitive)

    def max_phrase_len(self) -> int:
        """Length (in words) of the longest indexed phrase."""
        return max((len(k) for k in self.lexicon), default=1)


def _own_name(column: str, synonyms: list[str]) -> str:
    """The column's name as a phrase; '' for a timestamp named '<synonym>_at' ("escalated at
    the moment" is the escalated status, not the `escalated_at` column plus "the moment")."""
    bare = column.removesuffix("_at").replace("_", " ")
    if column.endswith("_at") and bare in {normalize(s) for s in synonyms}:
        return ""
    return column


def metric_phrases(metric: MetricDefinition) -> list[str]:
    """Every phrase naming `metric`: id, label (with and without its qualifier), synonyms."""
    label = metric.label.lower()
    bare = re.sub(r"\s*\(.*?\)\s*", " ", label).strip()
    phrases = [metric.id.replace("_", " "), label, *(s.lower() for s in metric.synonyms)]
    if metric.backend != "databricks" or "warehouse" in label:
        phrases.append(bare)
    seen: list[str] = []
    for phrase in phrases:
        if phrase and phrase not in seen:
            seen.append(phrase)
    return seen


def load_value_synonyms(path: Path | None = None) -> dict[tuple[str, str, str], list[str]]:
    """(table, column, value) → synonyms from `value_synonyms.csv` (empty when absent)."""
    path = path or DEFAULT_PATH / "value_synonyms.csv"
    if not path.is_file():
        return {}
    out: dict[tuple[str, str, str], list[str]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ident = (row["table"].strip().lower(), row["column"].strip().lower(), row["value"])
            words = [normalize(w) for w in (row.get("synonyms") or "").split(";") if w.strip()]
            out.setdefault(ident, []).extend(words)
    return out


def load_terms(path: Path | None = None) -> dict[str, str]:
    """term → why the data cannot compute it, from `undefined_terms.csv` (empty when absent)."""
    path = path or DEFAULT_PATH / "undefined_terms.csv"
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        return {normalize(r["term"]): r["definition"].strip() for r in csv.DictReader(handle)}


def build_layer(
    catalog: list[MetricDefinition],
    values: KnownValues | None = None,
    dictionary: DataDictionary | None = None,
) -> SemanticLayer:
    """The layer for `catalog` over the repo's dictionary and `values`."""
    return SemanticLayer(
        catalog=list(catalog),
        dictionary=dictionary or load_dictionary(),
        values=dict(values or {}),
        value_synonyms=load_value_synonyms(),
        terms=load_terms(),
    )
