"""Read the metrics catalog (the `metrics_catalog` table) as `MetricDefinition`s."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from command_center.db.models import MetricDefinitionRow
from command_center.db.session import get_engine
from command_center.metrics.definitions import SEEDED_METRICS, MetricDefinition

_FIELDS = tuple(MetricDefinition.model_fields)


class UnknownMetric(KeyError):
    """No metric with that id in the catalog."""


def row_to_definition(row: MetricDefinitionRow) -> MetricDefinition:
    """Convert a catalog row into the typed definition."""
    return MetricDefinition(**{name: getattr(row, name) for name in _FIELDS})


_SEED_ORDER = {metric.id: index for index, metric in enumerate(SEEDED_METRICS)}


def load_catalog(engine: Engine | None = None) -> list[MetricDefinition]:
    """Every catalog metric — seeded ones in definition order, then promoted ones oldest
    first; the seeded definitions when the table is empty."""
    with Session(engine or get_engine()) as session:
        rows = session.exec(select(MetricDefinitionRow).order_by(MetricDefinitionRow.created_at))
        ordered = sorted(rows, key=lambda row: _SEED_ORDER.get(row.id, len(_SEED_ORDER)))
    return [row_to_definition(row) for row in ordered] or list(SEEDED_METRICS)


_snapshots: dict[str, tuple[Any, list[MetricDefinition]]] = {}
_snapshots_lock = threading.Lock()


def catalog_snapshot(engine: Engine | None = None) -> list[MetricDefinition]:
    """`load_catalog`, re-read only when the table changed: one `count(*), max(created_at)`
    query per call instead of loading every row (the clarifier reads the catalog every turn).
    Rows are inserted or deleted while the app serves (promotion, cleanup), and a seeded row
    rewritten at start-up (`seed_catalog`: a new definition after a deploy) gets a new
    `created_at`, so the stamp moves with every change, in any process."""
    engine = engine or get_engine()
    with engine.connect() as conn:
        stamp = tuple(
            conn.execute(
                select(func.count(), func.max(MetricDefinitionRow.created_at))  # type: ignore[arg-type]
            ).one()
        )
    key = str(engine.url)  # password masked: the key never holds a secret
    cached = _snapshots.get(key)
    if cached is not None and cached[0] == stamp:
        return list(cached[1])
    catalog = load_catalog(engine)  # a write since the stamp: the next call re-reads
    with _snapshots_lock:
        _snapshots[key] = (stamp, catalog)
    return list(catalog)


def get_metric(metric_id: str, engine: Engine | None = None) -> MetricDefinition:
    """One metric by id; raises `UnknownMetric`."""
    with Session(engine or get_engine()) as session:
        row = session.get(MetricDefinitionRow, metric_id)
    if row is not None:
        return row_to_definition(row)
    for metric in SEEDED_METRICS:
        if metric.id == metric_id:
            return metric
    raise UnknownMetric(metric_id)
