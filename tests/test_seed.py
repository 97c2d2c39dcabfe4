"""The demo seeder is deterministic and idempotent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from command_center.db.migrate import upgrade_to_head
from command_center.db.models import Claim, Customer, Device, Event, MetricDefinitionRow
from command_center.db.seed import seed_demo
from command_center.db.session import engine_for
from command_center.metrics.definitions import SEEDED_METRICS

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    url = (
        f"sqlite:///{tmp_path / 's.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    upgrade_to_head(url)
    return url


def _counts(url: str) -> dict[str, int]:
    with engine_for(url).connect() as conn:
        return {
            model.__tablename__: conn.scalar(select(func.count()).select_from(model))
            for model in (Customer, Device, Claim, Event, MetricDefinitionRow)
        }


def test_seed_twice_does_not_duplicate(database_url) -> None:
    first = seed_demo(engine_for(database_url), customers=120, now=NOW)
    assert first.counts["customers"] == 120
    assert first.metrics == len(SEEDED_METRICS)
    before = _counts(database_url)
    second = seed_demo(engine_for(database_url), customers=120, now=NOW)
    assert second.skipped and second.metrics == 0
    assert _counts(database_url) == before
    assert before["claims"] > 0 and before["events"] > before["claims"]


def test_seed_is_deterministic(tmp_path) -> None:
    snapshots = []
    for name in ("a", "b"):
        url = f"sqlite:///{tmp_path / name}.db"
        upgrade_to_head(url)
        seed_demo(engine_for(url), customers=80, now=NOW)
        with engine_for(url).connect() as conn:
            rows = conn.execute(
                select(Claim.external_id, Claim.status, Claim.payout_amount).order_by(Claim.id)
            ).all()
        snapshots.append(rows)
    assert snapshots[0] == snapshots[1]
    assert len({status for _, status, _ in snapshots[0]}) >= 3


def test_catalog_seeds_ten_metrics_three_on_warehouse(database_url) -> None:
    seed_demo(engine_for(database_url), customers=20, now=NOW)
    with engine_for(database_url).connect() as conn:
        rows = conn.execute(select(MetricDefinitionRow.id, MetricDefinitionRow.backend)).all()
    assert len(rows) == len(SEEDED_METRICS)
    assert {m for m, backend in rows if backend == "databricks"} == {
        "claim_volume_l3_asurion",
        "claims_by_product_l3_asurion",
        "claim_status_mix_l3_asurion",
    }


def test_new_rows_after_seeding_get_fresh_ids(database_url) -> None:
    """The seeder writes explicit ids; the sequences must continue after them (PostgreSQL)."""
    from command_center.ops.ingest import ingest_events

    seed_demo(engine_for(database_url), customers=30, now=NOW)
    event = {
        "event_id": "after-seed-1",
        "type": "claim_filed",
        "claim_id": "CLM-NEW001",
        "customer_id": "CUST-000001",
        "device_id": "DEV-000001",
        "loss_type": "theft",
        "channel": "app",
    }
    result = ingest_events([event], engine=engine_for(database_url))
    assert (result.accepted, result.rejected) == (1, [])
    with engine_for(database_url).connect() as conn:
        new_id = conn.scalar(select(Claim.id).where(Claim.external_id == "CLM-NEW001"))
        assert new_id == conn.scalar(select(func.max(Claim.id)))
