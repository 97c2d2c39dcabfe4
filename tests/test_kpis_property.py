"""Property: KPIs maintained incrementally per batch equal a full recompute from the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, create_engine

from command_center.db.session import engine_for
from command_center.ops.fixtures import create_reference_data, customer_id, device_id
from command_center.ops.ingest import ingest_events
from command_center.ops.kpis import KpiState, recompute_kpis
from command_center.ops.state_machine import (
    IllegalTransition,
    next_claim_status,
    next_session_status,
)

CUSTOMERS = 3
CLAIM_OPS = ["claim_review_started", "claim_approved", "claim_denied", "claim_fulfilled",
             "claim_cancelled"]  # fmt: skip
SESSION_OPS = ["session_escalated", "session_resolved"]
OPS = ["claim_filed", "claim_filed", "session_opened", "advance_claim", "advance_claim",
       "advance_claim", "advance_session", *CLAIM_OPS, *SESSION_OPS, "duplicate"]  # fmt: skip

step_strategy = st.tuples(
    st.sampled_from(OPS),
    st.integers(0, 50),  # which claim/session/customer
    # minutes since the previous event: mostly small, sometimes hours or days
    st.one_of(st.integers(0, 90), st.integers(0, 60 * 60), st.just(0)),
    st.booleans(),  # end the batch after this event
)


def memory_engine() -> Engine:
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    create_reference_data(engine, customers=CUSTOMERS, devices_per_customer=1)
    return engine


def _legal(step: Callable[[str, str], str], state: str, op: str) -> bool:
    try:
        step(state, op)
    except IllegalTransition:
        return False
    return True


def _track(event: dict, claims: dict[str, str], sessions: dict[str, str], seen: set[str]) -> None:
    """Mirror what ingest will do, so later steps can pick legal transitions."""
    if event["event_id"] in seen:
        return
    kind = event["type"]
    if kind == "claim_filed":
        claims[event["claim_id"]] = "filed"
    elif kind == "session_opened":
        sessions[event["session_id"]] = "open"
    elif kind in CLAIM_OPS and _legal(next_claim_status, claims.get(event["claim_id"], ""), kind):
        claims[event["claim_id"]] = next_claim_status(claims[event["claim_id"]], kind)
    elif kind in SESSION_OPS and _legal(
        next_session_status, sessions.get(event["session_id"], ""), kind
    ):
        sessions[event["session_id"]] = next_session_status(sessions[event["session_id"]], kind)
    else:
        return
    seen.add(event["event_id"])


def build_events(steps: list[tuple], start: datetime) -> list[tuple[list[dict], datetime]]:
    """Turn steps into batches of events (some illegal, some duplicates), with batch end times."""
    batches: list[tuple[list[dict], datetime]] = []
    batch: list[dict] = []
    at = start
    claims = 0
    sessions = 0
    claim_status: dict[str, str] = {}
    seen: set[str] = set()
    session_status: dict[str, str] = {}
    for number, (op, target, minutes, cut) in enumerate(steps):
        at += timedelta(minutes=minutes)
        base = {"event_id": f"e{number}", "occurred_at": at.isoformat()}
        if op == "claim_filed":
            claims += 1
            c = 1 + target % CUSTOMERS
            event = {**base, "type": op, "claim_id": f"CLM-{claims}",
                     "customer_id": customer_id(c), "device_id": device_id(c, 1),
                     "loss_type": "theft", "channel": "app"}  # fmt: skip
        elif op == "session_opened":
            sessions += 1
            customer = customer_id(1 + target % CUSTOMERS)
            event = {**base, "type": op, "session_id": f"SES-{sessions}",
                     "customer_id": customer, "channel": "web"}  # fmt: skip
        elif op == "advance_claim" and claims:
            # a legal next step for a claim (per the model), so long lifecycles are common
            claim = f"CLM-{1 + target % claims}"
            legal = [o for o in CLAIM_OPS if _legal(next_claim_status, claim_status[claim], o)]
            if not legal:
                continue
            event = {**base, "type": legal[minutes % len(legal)], "claim_id": claim}
            if event["type"] == "claim_fulfilled":
                event["payout_amount"] = 100
        elif op == "advance_session" and sessions:
            session = f"SES-{1 + target % sessions}"
            legal = [
                o for o in SESSION_OPS if _legal(next_session_status, session_status[session], o)
            ]
            if not legal:
                continue
            event = {**base, "type": legal[minutes % len(legal)], "session_id": session}
        elif op in CLAIM_OPS and claims:
            event = {**base, "type": op, "claim_id": f"CLM-{1 + target % claims}"}
            if op == "claim_fulfilled":
                event["payout_amount"] = 100
        elif op in SESSION_OPS and sessions:
            event = {**base, "type": op, "session_id": f"SES-{1 + target % max(sessions, 1)}"}
        elif op != "duplicate":
            continue
        else:  # repeat an earlier event id with new content: must be ignored
            event = {**base, "event_id": f"e{target % max(number, 1)}", "type": "claim_approved",
                     "claim_id": f"CLM-{1 + target % max(claims, 1)}"}  # fmt: skip
        batch.append(event)
        _track(event, claim_status, session_status, seen)
        if cut:
            batches.append((batch, at))
            batch = []
    if batch:
        batches.append((batch, at))
    return batches


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)
@given(
    steps=st.lists(step_strategy, min_size=10, max_size=60),
    start_minute=st.integers(0, 24 * 60 - 1),
    preload=st.integers(0, 2),
)
def test_incremental_kpis_equal_full_recompute(
    steps: list, start_minute: int, preload: int
) -> None:
    check_incremental_equals_recompute(memory_engine(), steps, start_minute, preload)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    steps=st.lists(step_strategy, min_size=10, max_size=60),
    start_minute=st.integers(0, 24 * 60 - 1),
    preload=st.integers(0, 2),
)
def test_incremental_kpis_equal_full_recompute_on_postgres(
    pg_url: str, steps: list, start_minute: int, preload: int
) -> None:
    """The same property through the pipelined PostgreSQL ingest path."""
    engine = engine_for(pg_url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    create_reference_data(engine, customers=CUSTOMERS, devices_per_customer=1)
    check_incremental_equals_recompute(engine, steps, start_minute, preload)


def check_incremental_equals_recompute(
    engine: Engine, steps: list, start_minute: int, preload: int
) -> None:
    """Ingest random batches; the incremental state must equal a full recompute throughout."""
    start = datetime(2025, 3, 10, tzinfo=UTC) + timedelta(minutes=start_minute)
    batches = build_events(steps, start)
    # the first `preload` batches exist before the process starts (loaded, not incremental)
    for events, _end in batches[:preload]:
        ingest_events(events, engine=engine)
    load_at = batches[preload - 1][1] if preload and len(batches) >= preload else start
    with engine.connect() as conn:
        state = KpiState.load(conn, load_at)
    now = load_at
    for events, end in batches[preload:]:
        result = ingest_events(events, engine=engine, now=end)
        state.apply(result.delta)
        now = max(now, end)
        with engine.connect() as conn:
            assert state.snapshot(now) == recompute_kpis(conn, now)
    # windows keep sliding after the last event: today, 24 h, 48 h, 7 d, 1 min edges
    for later in (timedelta(seconds=30), timedelta(hours=5), timedelta(days=1, hours=1),
                  timedelta(days=2, minutes=1), timedelta(days=8)):  # fmt: skip
        with engine.connect() as conn:
            assert state.snapshot(now + later) == recompute_kpis(conn, now + later)


def test_snapshot_counts_concrete_values() -> None:
    engine = memory_engine()
    t = datetime(2025, 3, 10, 23, 0, tzinfo=UTC)
    with engine.connect() as conn:
        state = KpiState.load(conn, t)

    def ev(n: int, type_: str, claim: str, minutes: int, **extra: object) -> dict:
        return {"event_id": f"x{n}", "type": type_, "claim_id": claim,
                "occurred_at": (t + timedelta(minutes=minutes)).isoformat(), **extra}  # fmt: skip

    filed = {"customer_id": customer_id(1), "device_id": device_id(1, 1), "loss_type": "theft",
             "channel": "app"}  # fmt: skip
    result = ingest_events(
        [ev(1, "claim_filed", "CLM-1", 0, **filed), ev(2, "claim_filed", "CLM-2", 0, **filed),
         ev(3, "claim_filed", "CLM-3", 90, **filed), ev(4, "claim_approved", "CLM-1", 120),
         ev(5, "claim_denied", "CLM-2", 180), ev(6, "claim_fulfilled", "CLM-1", 240,
                                                 payout_amount=5)],
        engine=engine,
    )  # fmt: skip
    state.apply(result.delta)
    now = t + timedelta(minutes=240)
    snapshot = state.snapshot(now)
    assert snapshot["open_claims"] == 1
    assert snapshot["claims_filed_today"] == 1  # CLM-3 was filed after midnight
    assert snapshot["approval_rate_24h"] == 0.5
    assert snapshot["mean_time_to_resolution_7d_hours"] == 3.5  # (4 h + 3 h) / 2
    assert snapshot["sla_breaches"] == 0
    assert snapshot["events_per_minute"] == 1
    assert state.snapshot(t + timedelta(hours=49, minutes=31))["sla_breaches"] == 1


def test_time_multiset_counts_any_range_from_either_side() -> None:
    """A range count over most keys is the running total minus what lies outside it: equal
    to counting every key, for ranges of every length, after adds, removals and a prune."""
    import random

    from command_center.ops.kpis import TimeMultiset

    rng = random.Random(11)
    keys: dict[int, int] = {}
    multiset = TimeMultiset()
    for _ in range(400):
        key = rng.randrange(100)
        n = -keys[key] if key in keys and rng.random() < 0.2 else rng.randrange(1, 4)
        multiset.add(key, n)
        keys[key] = keys.get(key, 0) + n
    multiset.prune_below(10)
    keys = {k: n for k, n in keys.items() if k >= 10 and n}
    for lo in range(0, 110, 7):
        for hi in range(lo, 115, 5):
            expected = sum(n for k, n in keys.items() if lo <= k <= hi)
            assert multiset.count_between(lo, hi) == expected, (lo, hi)
        assert multiset.count_below(lo) == sum(n for k, n in keys.items() if k < lo), lo
    assert multiset.total() == sum(keys.values())
