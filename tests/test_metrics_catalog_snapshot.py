"""The clarifier's per-turn catalog read (metrics.catalog.catalog_snapshot): rows are loaded
again only when the table changed, and a promoted or removed metric shows at once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete
from sqlmodel import Session

from command_center.db.models import MetricDefinitionRow, utcnow
from command_center.metrics import catalog as catalog_module
from command_center.metrics.catalog import catalog_snapshot, load_catalog
from command_center.metrics.definitions import SEEDED_METRICS

THEFT = {
    "id": "theft_claims_snapshot",
    "label": "Theft claims",
    "source_table": "claims",
    "measure": "COUNT(*)",
    "time_column": "filed_at",
    "base_filter": "loss_type = 'theft'",
    "dimensions": ["region"],
    "backend": "postgres",
    "origin": "promoted",
}


def test_snapshot_reloads_only_when_the_table_changes(
    catalog_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[int] = []

    def counting(engine: Any = None) -> Any:
        loads.append(1)
        return load_catalog(engine)

    monkeypatch.setattr(catalog_module, "load_catalog", counting)
    first = catalog_snapshot(catalog_engine)
    assert [m.id for m in first] == [m.id for m in load_catalog(catalog_engine)]
    assert [m.id for m in catalog_snapshot(catalog_engine)] == [m.id for m in first]
    assert len(loads) <= 1  # the second call found the same stamp (first may reuse too)

    with Session(catalog_engine) as session:  # a promotion: visible on the next call
        session.add(MetricDefinitionRow(**THEFT, created_at=utcnow()))
        session.commit()
    assert THEFT["id"] in {m.id for m in catalog_snapshot(catalog_engine)}

    with Session(catalog_engine) as session:  # a clean-up: gone on the next call
        session.exec(delete(MetricDefinitionRow).where(MetricDefinitionRow.id == THEFT["id"]))  # type: ignore[call-overload]
        session.commit()
    ids = [m.id for m in catalog_snapshot(catalog_engine)]
    assert THEFT["id"] not in ids and ids == [m.id for m in SEEDED_METRICS]


def test_a_seeded_definition_rewritten_by_a_deploy_is_seen_by_running_processes(
    catalog_engine: Any,
) -> None:
    """Another process (a rolling deploy) rewrites a seeded row in place: same row count."""
    from command_center.db.seed import seed_catalog

    metric = SEEDED_METRICS[0]
    with Session(catalog_engine) as session:  # the definition as the previous release had it
        row = session.get(MetricDefinitionRow, metric.id)
        assert row is not None
        row.description = "the previous release's description"
        session.add(row)
        session.commit()
    catalog_module._snapshots.clear()  # a process of the previous release starts...
    (held,) = [m for m in catalog_snapshot(catalog_engine) if m.id == metric.id]
    assert held.description == "the previous release's description"
    assert seed_catalog(catalog_engine) >= 1  # ...then the new release starts and re-seeds
    (seen,) = [m for m in catalog_snapshot(catalog_engine) if m.id == metric.id]
    assert seen.description == metric.description
