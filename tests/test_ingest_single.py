"""One creating event on PostgreSQL: one round trip from cached references, and every case
the cache cannot vouch for answered exactly as the batch path answers it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from command_center.db.models import Claim, Device, Event, IssueSession
from command_center.ops import ingest_pgconn, ingest_single
from command_center.ops.fixtures import PLAN_CODES, customer_id, device_id
from command_center.ops.ingest import ingest_events
from tests.test_events_ingest import at, claim_row, count, filed


@pytest.fixture
def pg(engine: Engine) -> Engine:
    """The PostgreSQL engine only (the path is PostgreSQL's), references cached."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL path")
    # a first batch loads customers 1–3 and their devices: the cache now holds them
    warm = [filed(900 + c, f"CLM-W{c}", customer=c) for c in (1, 2, 3)]
    warm += [filed(910 + c, f"CLM-V{c}", customer=c, device=2) for c in (1, 2, 3)]
    assert ingest_events(warm, engine=engine).accepted == 6
    return engine


@pytest.fixture
def pipelines(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per round trip, in order: statements in a pipeline, or 1 for a statement
    sent alone (its own transaction)."""
    sent: list[int] = []
    pipeline, alone = ingest_pgconn.run_pipeline, ingest_pgconn.run_alone

    def counting(conn: Any, statements: Any, commit: bool = False) -> Any:
        sent.append(len(statements))
        return pipeline(conn, statements, commit)

    def counting_alone(conn: Any, statement: Any) -> None:
        sent.append(1)
        alone(conn, statement)

    monkeypatch.setattr(ingest_pgconn, "run_pipeline", counting)
    monkeypatch.setattr(ingest_single, "run_alone", counting_alone)
    return sent


def test_a_filed_claim_with_cached_references_takes_one_round_trip(
    pg: Engine, pipelines: list[int]
) -> None:
    result = ingest_events([filed(1, "CLM-A", customer=2)], engine=pg)
    assert (result.accepted, result.duplicates, result.rejected) == (1, 0, [])
    assert pipelines == [1]  # claim INSERT + event INSERT as one statement, no BEGIN/COMMIT
    row = claim_row(pg, "CLM-A")
    assert (row.status, row.region, row.customer_id) == ("filed", "West", 2)
    assert row.device_id == claim_row(pg, "CLM-W2").device_id
    assert result.delta.claims and result.delta.claims[0][0] is None  # a new claim counted


def test_the_same_event_twice_is_applied_once(pg: Engine, pipelines: list[int]) -> None:
    assert ingest_events([filed(1, "CLM-A")], engine=pg).accepted == 1
    again = ingest_events([filed(1, "CLM-A")], engine=pg)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 1, [])
    assert pipelines[:3] == [1, 1, 4]  # the repeat: refused, then the batch path's look-ups
    assert count(pg, Claim) == 7 and count(pg, Event) == 7


def test_a_reused_event_id_is_a_conflict_and_nothing_is_written(pg: Engine) -> None:
    assert ingest_events([filed(1, "CLM-A")], engine=pg).accepted == 1
    other = ingest_events([filed(1, "CLM-B")], engine=pg)  # same event id, another claim
    assert other.accepted == 0
    assert other.rejected[0]["problem"]["reason"] == "event_id_conflict"
    with pg.connect() as conn:
        assert conn.scalar(select(Claim.id).where(Claim.external_id == "CLM-B")) is None


def test_an_existing_claim_is_a_conflict(pg: Engine) -> None:
    again = ingest_events([{**filed(2, "CLM-W1"), "event_id": "e-new"}], engine=pg)
    assert again.accepted == 0
    assert again.rejected[0]["problem"]["reason"] == "conflict"
    assert again.rejected[0]["problem"]["field"] == "claim_id"


def test_a_device_of_another_customer_is_rejected(pg: Engine, pipelines: list[int]) -> None:
    event = {**filed(1, "CLM-A", customer=1), "device_id": device_id(2, 1)}
    result = ingest_events([event], engine=pg)
    assert result.rejected[0]["problem"]["reason"] == "invalid_reference"
    assert pipelines[0] == 4  # the batch path's look-ups: nothing was written on cached rows


def test_a_stale_cached_row_falls_back_and_is_forgotten(pg: Engine) -> None:
    """A cached device id the database no longer has (foreign-key violation) rolls the
    attempt back; the batch path loads the real row, and the cache starts over."""
    cache = ingest_single.reference_cache(pg)
    real = cache.devices[device_id(1, 1)]
    cache.devices[device_id(1, 1)] = (987654, real[1])
    result = ingest_events([filed(1, "CLM-A")], engine=pg)
    assert (result.accepted, result.rejected) == (1, [])
    assert claim_row(pg, "CLM-A").device_id == real[0]
    assert cache.devices[device_id(1, 1)] == real  # reloaded by the batch path


def test_an_unknown_reference_goes_the_batch_path(pg: Engine, pipelines: list[int]) -> None:
    result = ingest_events([filed(1, "CLM-A", customer=9)], engine=pg)
    assert result.rejected[0]["problem"]["reason"] == "unknown_reference"
    assert pipelines[0] == 4  # the batch path: its look-ups first


def test_registered_device_and_opened_session_in_one_round_trip(
    pg: Engine, pipelines: list[int]
) -> None:
    device = {
        "event_id": "e-d",
        "type": "device_registered",
        "occurred_at": at(1),
        "device_id": "DEV-NEW",
        "customer_id": customer_id(3),
        "make": "Acme",
        "model": "Phone 1",
    }
    session = {
        "event_id": "e-s",
        "type": "session_opened",
        "occurred_at": at(2),
        "session_id": "SES-1",
        "customer_id": customer_id(3),
        "device_id": device_id(3, 1),
        "channel": "phone",
    }
    assert ingest_events([device], engine=pg).accepted == 1
    result = ingest_events([session], engine=pg)
    assert result.accepted == 1 and result.delta.active_sessions == 1
    assert pipelines == [1, 1]
    with pg.connect() as conn:
        assert conn.scalar(select(Device.customer_id).where(Device.external_id == "DEV-NEW")) == 3
        assert conn.scalar(select(IssueSession.status).where(IssueSession.external_id == "SES-1"))


def test_every_statement_applies_one_row_at_a_time(engine: Engine) -> None:
    """A write of one row goes as scalar parameters (`VALUES`), not arrays: the simulator's
    whole event mix, one event per call, applies as it does in a batch."""
    if engine.dialect.name != "postgresql":
        return
    import random

    from command_center.ops.simulator import EventGenerator, load_world

    generator = EventGenerator(load_world(engine), random.Random(5))
    events = [generator.next_event() for _ in range(150)]
    for event in events:
        result = ingest_events([event], engine=engine)
        assert (result.accepted, result.rejected) == (1, []), result.rejected
    assert {e["type"] for e in events} >= {"claim_filed", "claim_approved", "session_opened"}
    assert count(engine, Event) == 150
    plan = {"event_id": "e-p", "type": "plan_enrolled", "occurred_at": at(1),
            "device_id": device_id(2, 2), "plan_code": PLAN_CODES[0]}  # fmt: skip
    assert ingest_events([plan], engine=engine).accepted == 1  # a device UPDATE of one row
    with engine.connect() as conn:
        status = select(Device.plan_status).where(Device.external_id == device_id(2, 2))
        assert conn.scalar(status) == "active"


def test_concurrent_copies_of_one_event_apply_once(pg: Engine) -> None:
    """The same event posted by several clients at once: one statement commits, the others
    hit the unique index, take the batch path and count a duplicate."""
    import threading

    results: list[Any] = []
    barrier = threading.Barrier(4)

    def post() -> None:
        barrier.wait()
        results.append(ingest_events([filed(1, "CLM-A", customer=3)], engine=pg))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted((r.accepted, r.duplicates, len(r.rejected)) for r in results) == [
        (0, 1, 0),
        (0, 1, 0),
        (0, 1, 0),
        (1, 0, 0),
    ]
    assert count(pg, Event) == 7 and count(pg, Claim) == 7
