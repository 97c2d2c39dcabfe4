"""What the clarifier knows: the metrics catalog, the data dictionary and a value vocabulary."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from command_center.metrics.definitions import SEEDED_METRICS, MetricDefinition
from command_center.settings import PROJECT_ROOT

CatalogLoader = Callable[[], list[MetricDefinition]]
DICTIONARY_DIR = PROJECT_ROOT / "data-dictionary"

# Pseudo-dimension for time series: "bucket the metric's time column by day".
TIME_DIMENSION = "day"

# A dimension concept groups the columns that mean the same thing on different tables.
DIMENSION_CONCEPTS: dict[str, list[str]] = {
    "region": ["region"],
    "channel": ["channel"],
    "status": ["status", "claim_status", "plan_status"],
    "make": ["make", "device_make"],
    "product": ["product_name"],
    "loss_type": ["loss_type"],
    "topic": ["topic"],
    "category": ["category"],
    "plan_status": ["plan_status"],
    "model": ["device_model"],
    "tier": ["plan_tier"],
}

# Phrases naming each concept (matched after "by/per/across/split by/for each …").
CONCEPT_PHRASES: dict[str, list[str]] = {
    "region": ["region", "regions", "geography", "geo", "area", "territory"],
    "channel": ["channel", "channels", "source", "intake channel"],
    "status": ["status", "statuses", "state", "stage", "claim status"],
    "make": ["make", "makes", "manufacturer", "brand", "oem", "device make"],
    "product": ["product", "products", "product name", "plan product"],
    "loss_type": ["loss type", "loss types", "peril", "cause", "damage type", "incident type"],
    "topic": ["topic", "topics", "reason", "issue type"],
    "category": ["category", "categories", "device type", "device category"],
    "plan_status": ["plan status", "coverage status"],
    "model": ["model", "models", "device model"],
    "tier": ["tier", "plan tier", "tiers"],
}

# Known dimension values (from the demo data): used to recognise filters like "for Samsung".
KNOWN_VALUES: dict[str, list[str]] = {
    "region": ["Northeast", "Southeast", "Midwest", "Southwest", "West"],
    "channel": ["app", "web", "phone", "retail"],
    "make": ["Apple", "Samsung", "Google", "Motorola", "OnePlus"],
    "loss_type": ["cracked_screen", "water_damage", "theft", "battery", "malfunction"],
    "status": ["filed", "in_review", "approved", "denied", "fulfilled", "cancelled"],
    "tier": ["basic", "plus"],
    "topic": ["billing", "device_setup", "coverage_question", "repair_scheduling"],
}


@dataclass
class DataDictionary:
    """Column synonyms and descriptions read from data-dictionary/*.csv (may be empty)."""

    synonyms: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (table, col)
    descriptions: dict[tuple[str, str], str] = field(default_factory=dict)

    def column_phrases(self, table: str, column: str) -> list[str]:
        """Phrases naming `table.column`: its spaced name plus dictionary synonyms."""
        return [column.replace("_", " "), *self.synonyms.get((table, column), [])]

    def dimension_phrases(self, catalog: list[MetricDefinition]) -> dict[str, list[str]]:
        """Name → phrases for every groupable column: CONCEPT_PHRASES plus, for each
        dimension of a catalog metric, the dictionary synonyms of that column."""
        merged = {concept: list(phrases) for concept, phrases in CONCEPT_PHRASES.items()}
        for metric in catalog:
            for column in metric.dimensions:
                key = concept_of(column) or column
                bucket = merged.setdefault(key, [])
                for phrase in self.column_phrases(metric.source_table, column):
                    if phrase and phrase not in bucket:
                        bucket.append(phrase)
        return merged


def concept_of(column: str) -> str | None:
    """The concept a column belongs to (first match), or None."""
    for concept, columns in DIMENSION_CONCEPTS.items():
        if column in columns:
            return concept
    return None


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("_", " ")).strip()


def resolve_dimension(
    name: str, metric: MetricDefinition, dictionary: DataDictionary | None = None
) -> str | None:
    """Map a dimension name, concept or synonym onto one of `metric`'s dimension columns.

    Order: exact column; the concept's columns; a dictionary synonym of one of the metric's
    columns (on the metric's own table). None when the metric cannot be grouped that way.
    """
    if name == TIME_DIMENSION or name in metric.dimensions:
        return name
    concept = name if name in DIMENSION_CONCEPTS else concept_of(name)
    for column in DIMENSION_CONCEPTS.get(concept or "", []):
        if column in metric.dimensions:
            return column
    wanted = {_norm(name), *(_norm(p) for p in CONCEPT_PHRASES.get(name, []))}
    if dictionary is not None:
        for column in metric.dimensions:
            phrases = {_norm(p) for p in dictionary.column_phrases(metric.source_table, column)}
            if _norm(name) in phrases:
                return column
    for key, phrases in CONCEPT_PHRASES.items():
        if _norm(name) in {_norm(p) for p in phrases}:
            for column in DIMENSION_CONCEPTS.get(key, []):
                if column in metric.dimensions:
                    return column
    if dictionary is not None:
        for column in metric.dimensions:
            phrases = {_norm(p) for p in dictionary.column_phrases(metric.source_table, column)}
            if wanted & phrases:
                return column
    for column in metric.dimensions:
        if _norm(column) in wanted:
            return column
    return None


def load_dictionary(directory: Path = DICTIONARY_DIR) -> DataDictionary:
    """Read the column CSVs under `directory` (table,column,type,description,synonyms)."""
    dictionary = DataDictionary()
    if not directory.is_dir():
        return dictionary
    for path in sorted(directory.glob("*.csv")):
        try:
            with path.open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                if not {"table", "column", "synonyms"} <= set(reader.fieldnames or []):
                    continue
                for row in reader:
                    table = (row.get("table") or "").strip()
                    column = (row.get("column") or "").strip()
                    if not table or not column:
                        continue
                    raw = row.get("synonyms") or ""
                    phrases = [p.strip().lower() for p in re.split(r"[;|]", raw) if p.strip()]
                    bucket = dictionary.synonyms.setdefault((table, column), [])
                    bucket.extend(p for p in phrases if p not in bucket)
                    dictionary.descriptions[(table, column)] = row.get("description") or ""
        except (OSError, csv.Error, UnicodeDecodeError):
            continue
    return dictionary


def default_catalog() -> list[MetricDefinition]:
    """Metrics from the `metrics_catalog` table; SEEDED_METRICS when it is empty/unreadable."""
    from sqlalchemy.exc import SQLAlchemyError

    from command_center.metrics.catalog import load_catalog

    try:
        return load_catalog()
    except SQLAlchemyError:
        return list(SEEDED_METRICS)


def seeded_catalog() -> list[MetricDefinition]:
    """The seeded metrics only (handy for tests and offline tools)."""
    return list(SEEDED_METRICS)
