"""What the clarifier knows: the semantic layer (catalog + data dictionary + known values).

No vocabulary lives here: phrases come from the catalog, `data-dictionary/*.csv` and the
values read from the data (see `command_center.semantic`).
"""

from __future__ import annotations

from collections.abc import Callable

from command_center.metrics.definitions import SEEDED_METRICS, MetricDefinition
from command_center.semantic.layer import TIME_DIMENSION, TIME_GRAINS
from command_center.sql.dictionary import DataDictionary
from command_center.sql.dictionary import load_dictionary as _load_dictionary

CatalogLoader = Callable[[], list[MetricDefinition]]

__all__ = [
    "TIME_DIMENSION",
    "TIME_GRAINS",
    "CatalogLoader",
    "DataDictionary",
    "default_catalog",
    "load_dictionary",
    "seeded_catalog",
]


def load_dictionary() -> DataDictionary:
    """The repo's data dictionary (`data-dictionary/*.csv`)."""
    return _load_dictionary()


def default_catalog() -> list[MetricDefinition]:
    """Metrics from the `metrics_catalog` table (re-read when it changed); SEEDED_METRICS when
    it is empty/unreadable."""
    from sqlalchemy.exc import SQLAlchemyError

    from command_center.metrics.catalog import catalog_snapshot

    try:
        return catalog_snapshot()
    except SQLAlchemyError:
        return list(SEEDED_METRICS)


def seeded_catalog() -> list[MetricDefinition]:
    """The seeded metrics only (handy for tests and offline tools)."""
    return list(SEEDED_METRICS)
