"""Ingest: validation, idempotency, state machine and reference checks, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from command_center.db.models import Claim, Device, Event, IssueSession
from command_center.ops.fixtures import customer_id, device_id
from command_center.ops.ingest import ingest_events

T0 = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def filed(n: int, claim: str, customer: int = 1, device: int = 1, minutes: float = 0) -> dict:
    return {
        "event_id": f"e-{n}",
        "type": "claim_filed",
        "occurred_at": at(minutes),
        "claim_id": claim,
        "customer_id": customer_id(customer),
        "device_id": device_id(customer, device),
        "loss_type": "cracked_screen",
        "channel": "app",
    }


def step(n: int, event_type: str, claim: str, minutes: float, **extra: Any) -> dict:
    return {
        "event_id": f"e-{n}",
        "type": event_type,
        "occurred_at": at(minutes),
        "claim_id": claim,
        **extra,
    }


def claim_row(engine: Engine, claim: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(Claim.__table__).where(Claim.external_id == claim)).one()


def count(engine: Engine, model: Any) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model))


def test_claim_lifecycle_applies_in_one_batch(engine: Engine) -> None:
    result = ingest_events(
        [
            filed(1, "CLM-A"),
            step(2, "claim_review_started", "CLM-A", 5),
            step(3, "claim_approved", "CLM-A", 60),
            step(4, "claim_fulfilled", "CLM-A", 120, payout_amount=249.99),
        ],
        engine=engine,
    )
    assert (result.accepted, result.duplicates, result.rejected) == (4, 0, [])
    row = claim_row(engine, "CLM-A")
    assert row.status == "fulfilled"
    assert row.region == "West"  # defaulted from the customer
    assert float(row.payout_amount) == 249.99
    assert row.decided_at.replace(tzinfo=UTC) == T0 + timedelta(minutes=60)
    assert row.resolved_at.replace(tzinfo=UTC) == T0 + timedelta(minutes=120)
    assert count(engine, Event) == 4


def test_repeated_event_id_is_a_duplicate_and_not_reapplied(engine: Engine) -> None:
    first = ingest_events([filed(1, "CLM-A"), step(2, "claim_approved", "CLM-A", 1)], engine=engine)
    assert first.accepted == 2
    # the identical events again: acknowledged as duplicates, not applied
    again = ingest_events(
        [filed(1, "CLM-A"), step(2, "claim_approved", "CLM-A", 1), filed(1, "CLM-A")],
        engine=engine,
    )
    assert (again.accepted, again.duplicates, again.rejected) == (0, 3, [])
    # the same ids with different content: 409 conflicts naming the id (see tests/security)
    changed = ingest_events([filed(1, "CLM-B"), step(2, "claim_denied", "CLM-A", 2)], engine=engine)
    assert (changed.accepted, changed.duplicates) == (0, 0)
    assert [r["problem"]["status"] for r in changed.rejected] == [409, 409]
    assert claim_row(engine, "CLM-A").status == "approved"
    assert count(engine, Claim) == 1
    assert count(engine, Event) == 2


def test_duplicate_inside_one_batch_counts_once(engine: Engine) -> None:
    result = ingest_events([filed(1, "CLM-A"), filed(1, "CLM-A")], engine=engine)
    assert (result.accepted, result.duplicates) == (1, 1)


def test_mixed_batch_keeps_valid_events_and_names_fields(engine: Engine) -> None:
    batch = [
        filed(1, "CLM-A"),
        {**filed(2, "CLM-B"), "customer_id": "CUST-999999"},
        {**filed(3, "CLM-C"), "device_id": "DEV-NOPE"},
        step(4, "claim_approved", "CLM-NOPE", 1),
        step(5, "claim_fulfilled", "CLM-A", 1, payout_amount=10),  # filed → fulfilled: illegal
        {"event_id": "e-6", "type": "claim_filed", "claim_id": "CLM-D"},  # malformed
        filed(7, "CLM-A", minutes=2),  # already exists
        {**filed(8, "CLM-E", customer=1), "device_id": device_id(2, 1)},  # other's device
        step(9, "claim_approved", "CLM-A", -30),  # before filing
        filed(10, "CLM-F", customer=2),
        "not an object",
    ]
    result = ingest_events(batch, engine=engine)
    assert result.accepted == 2
    problems = {r["index"]: r["problem"] for r in result.rejected}
    assert sorted(problems) == [1, 2, 3, 4, 5, 6, 7, 8, 10]
    assert problems[1]["field"] == "customer_id" and problems[1]["status"] == 404
    assert problems[2]["field"] == "device_id" and problems[2]["status"] == 404
    assert problems[3]["field"] == "claim_id" and problems[3]["status"] == 404
    assert problems[4]["field"] == "type" and problems[4]["status"] == 409
    assert problems[5]["status"] == 422 and problems[5]["field"] in {
        "customer_id",
        "device_id",
        "loss_type",
        "channel",
    }
    assert problems[6]["field"] == "claim_id" and problems[6]["status"] == 409
    assert problems[7]["field"] == "device_id"
    assert problems[8]["field"] == "occurred_at"
    for problem in problems.values():
        assert {"type", "title", "status", "detail", "field"} <= set(problem)
    assert claim_row(engine, "CLM-A").status == "filed"
    assert count(engine, Claim) == 2
    assert count(engine, Event) == 2


def test_rejected_events_can_be_retried_later(engine: Engine) -> None:
    early = ingest_events([step(2, "claim_approved", "CLM-A", 1)], engine=engine)
    assert early.accepted == 0 and early.rejected
    ingest_events([filed(1, "CLM-A")], engine=engine)
    later = ingest_events([step(2, "claim_approved", "CLM-A", 1)], engine=engine)
    assert later.accepted == 1


def test_devices_plans_and_sessions(engine: Engine) -> None:
    customer = customer_id(3)
    result = ingest_events(
        [
            {
                "event_id": "d1",
                "type": "device_registered",
                "device_id": "DEV-NEW1",
                "customer_id": customer,
                "make": "Google",
                "model": "Pixel 9",
                "occurred_at": at(0),
            },
            {
                "event_id": "d2",
                "type": "plan_enrolled",
                "device_id": "DEV-NEW1",
                "plan_code": "MP-PLUS",
                "occurred_at": at(1),
            },
            {
                "event_id": "d3",
                "type": "plan_enrolled",
                "device_id": "DEV-NEW1",
                "plan_code": "MP-PLUS",
                "occurred_at": at(2),
            },  # already active
            {
                "event_id": "d4",
                "type": "plan_enrolled",
                "device_id": device_id(3, 1),
                "plan_code": "NOPE",
                "occurred_at": at(2),
            },
            {**filed(5, "CLM-N", customer=3, minutes=3), "device_id": "DEV-NEW1"},
            {
                "event_id": "s1",
                "type": "session_opened",
                "session_id": "SES-N",
                "customer_id": customer,
                "device_id": "DEV-NEW1",
                "claim_id": "CLM-N",
                "channel": "phone",
                "topic": "claim_status",
                "occurred_at": at(4),
            },
            {
                "event_id": "s2",
                "type": "session_escalated",
                "session_id": "SES-N",
                "occurred_at": at(5),
            },
            {
                "event_id": "s3",
                "type": "session_escalated",
                "session_id": "SES-N",
                "occurred_at": at(6),
            },  # escalated twice: illegal
            {
                "event_id": "s4",
                "type": "session_resolved",
                "session_id": "SES-N",
                "occurred_at": at(7),
            },
            {
                "event_id": "p1",
                "type": "plan_cancelled",
                "device_id": device_id(3, 2),
                "occurred_at": at(8),
            },  # no active plan
        ],
        engine=engine,
    )
    assert result.accepted == 6
    assert {r["index"]: r["problem"]["field"] for r in result.rejected} == {
        2: "device_id",
        3: "plan_code",
        7: "type",
        9: "type",
    }
    with engine.connect() as conn:
        device = conn.execute(
            select(Device.__table__).where(Device.external_id == "DEV-NEW1")
        ).one()
        session = conn.execute(select(IssueSession.__table__)).one()
        claim = claim_row(engine, "CLM-N")
    assert device.plan_status == "active" and device.plan_id is not None
    assert claim.device_id == device.id
    assert session.status == "resolved" and session.claim_id == claim.id
    assert session.device_id == device.id


def test_existing_entities_are_updated_across_batches(engine: Engine) -> None:
    ingest_events([filed(1, "CLM-A"), filed(2, "CLM-B", customer=2)], engine=engine)
    result = ingest_events(
        [step(3, "claim_denied", "CLM-A", 10), step(4, "claim_cancelled", "CLM-B", 11)],
        engine=engine,
    )
    assert result.accepted == 2
    assert claim_row(engine, "CLM-A").status == "denied"
    assert claim_row(engine, "CLM-B").status == "cancelled"
    assert claim_row(engine, "CLM-B").decided_at is None


def test_concurrent_identical_batches_apply_once(engine: Engine) -> None:
    batch = [filed(i, f"CLM-{i}", customer=1 + i % 3) for i in range(1, 21)]
    batch += [step(100 + i, "claim_approved", f"CLM-{i}", 5) for i in range(1, 21)]
    results: list[Any] = []

    def run() -> None:
        results.append(ingest_events(batch, engine=engine))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.accepted for r in results) == [0, 0, 40], [r.as_response() for r in results]
    assert sum(r.duplicates for r in results) == 80, [
        (r.accepted, r.duplicates, r.rejected[:2]) for r in results
    ]
    assert count(engine, Event) == 40
    assert count(engine, Claim) == 20


def test_simulator_stream_is_accepted(engine: Engine) -> None:
    """Every generated event is legal against the entities the simulator read."""
    import random

    from command_center.ops.simulator import EventGenerator, load_world

    generator = EventGenerator(load_world(engine), random.Random(7))
    events = [generator.next_event() for _ in range(300)]
    result = ingest_events(events, engine=engine)
    assert (result.accepted, result.rejected) == (300, [])
    assert {e["type"] for e in events} >= {"claim_filed", "claim_approved", "session_opened"}


def test_a_connection_killed_while_idle_costs_no_batch(engine: Engine) -> None:
    """PostgreSQL's fast path keeps its connections without a pre-ping: when the server
    drops them while idle (a restart), the next batch retries on a new one and applies once."""
    if engine.dialect.name != "postgresql":
        return
    from sqlalchemy import text

    assert ingest_events([filed(1, "CLM-A")], engine=engine).accepted == 1  # one kept idle
    with engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar()
    assert killed >= 1
    result = ingest_events(
        [filed(2, "CLM-B"), step(3, "claim_approved", "CLM-A", 5)], engine=engine
    )
    assert (result.accepted, result.rejected) == (2, [])
    assert count(engine, Event) == 3
    assert claim_row(engine, "CLM-A").status == "approved"


def test_both_column_encodings_apply_the_simulator_mix(engine: Engine, monkeypatch: Any) -> None:
    """PostgreSQL writes a statement's columns as binary arrays (few rows) or JSON lists (many
    rows): each encoding applies every event type the simulator makes."""
    if engine.dialect.name != "postgresql":
        return
    import random

    from command_center.ops import ingest_pg
    from command_center.ops.simulator import EventGenerator, load_world

    generator = EventGenerator(load_world(engine), random.Random(3))
    for json_from in (1, 10**9):
        monkeypatch.setattr(ingest_pg, "JSON_FROM", json_from)
        events = [generator.next_event() for _ in range(200)]
        result = ingest_events(events, engine=engine)
        assert (result.accepted, result.rejected) == (200, []), result.rejected[:2]
    assert count(engine, Event) == 400


def test_ingest_connections_plan_for_unique_key_access() -> None:
    """The ingest's own PostgreSQL connections never scan a table for a look-up by key (a
    lagging planner did, 35 → 300 ms per batch) and keep the options the URL already sets."""
    from sqlalchemy import create_engine

    from command_center.ops.ingest_pgconn import conninfo

    url = "postgresql+psycopg://u:p%40ss@db:5432/cc?options=-c%20search_path%3Dops&sslmode=require"
    info = conninfo(create_engine(url))
    assert "password=p@ss" in info and "sslmode=require" in info
    assert "options='-c search_path=ops -c enable_seqscan=off" in info
    assert "plan_cache_mode=force_generic_plan" in info
    assert "connect_timeout=5" in info  # an unreachable server fails fast
    slow = conninfo(create_engine("postgresql+psycopg://u@db/cc?connect_timeout=30"))
    assert "connect_timeout=30" in slow and "connect_timeout=5" not in slow


def test_each_column_encoding_sends_the_same_values(pg_url: str) -> None:
    """One row as scalars, a few as binary arrays, many as JSON lists (orjson) or, for json
    columns, separator-joined documents: the server reads the same values from each —
    microseconds and offsets of timestamps, numerics, NULLs, non-ASCII text, JSON text
    (even with the separators in a string)."""
    import json
    from datetime import timedelta, timezone
    from decimal import Decimal

    import psycopg

    from command_center.ops.ingest_pg import _bulk

    fields = [("t", "text"), ("n", "int"), ("at", "timestamptz"), ("amount", "numeric"),
              ("doc", "json")]  # fmt: skip
    select = _bulk(fields, lambda source, names: f"SELECT * FROM {source} AS v({names})")
    paris = timezone(timedelta(hours=1))
    rows = [
        (f"Zürich «{i}» \\ \"q\"", i, T0.replace(microsecond=i) if i % 2 else
         T0.astimezone(paris), Decimal(f"{i}.50") if i % 3 else None,
         {"k": f"é{i}\x1f\x1e", "x": [1.5, None, True]} if i % 4 else None)
        for i in range(20)
    ]  # fmt: skip
    with psycopg.connect(pg_url.replace("+psycopg", "")) as conn:

        def run(statement: Any) -> list[tuple]:
            return [tuple(r) for r in conn.execute(*statement).fetchall()]

        one = [row for r in rows for row in run(select.statement([r]))]
        few = run(select.statement(rows[:3]))  # binary arrays
        many = run(select.statement(rows))  # JSON lists
        json_text = conn.execute(
            "SELECT doc::text FROM " + select.json.split(" FROM ", 1)[1], select.statement(rows)[1]
        ).fetchall()
    assert many == one and few == one[:3]
    assert [r[2] for r in many] == [r[2] for r in rows]  # same instants, to the microsecond
    assert [r[3] for r in many] == [r[3] for r in rows]
    assert json_text[1][0] == json.dumps(rows[1][4])  # payload text as json.dumps writes it
    assert json_text[0][0] is None


def test_a_payout_the_column_cannot_hold_is_rejected_not_a_failed_batch(engine: Engine) -> None:
    """`claims.payout_amount` is NUMERIC(10, 2): 99,999,999.995 (under the old bound of 1e8)
    rounded to 100,000,000.00 and failed the whole batch on PostgreSQL (numeric overflow)."""
    approved = [filed(1, "CLM-A"), step(2, "claim_review_started", "CLM-A", 5),
                step(3, "claim_approved", "CLM-A", 60)]  # fmt: skip
    assert ingest_events(approved, engine=engine).accepted == 3
    too_much = step(4, "claim_fulfilled", "CLM-A", 120, payout_amount=99_999_999.995)
    result = ingest_events([too_much, filed(5, "CLM-B")], engine=engine)
    assert result.accepted == 1
    assert [r["problem"]["field"] for r in result.rejected] == ["payout_amount"]
    most = step(6, "claim_fulfilled", "CLM-A", 120, payout_amount=99_999_999.99)
    assert ingest_events([most], engine=engine).accepted == 1
    assert float(claim_row(engine, "CLM-A").payout_amount) == 99_999_999.99
