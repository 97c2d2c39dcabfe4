"""Event ingest: validate, de-duplicate on `event_id`, apply to the OLTP tables in one transaction.

A batch is processed in three steps: validate every item; load every referenced entity with a
handful of bulk queries (locked `FOR UPDATE` on PostgreSQL); apply the events in order to an
in-memory working copy (state machines, reference checks: `ops/ingest_apply.py`); then write
the net changes and the event rows with bulk statements. Invalid events are rejected
individually; the valid ones are kept. A race with a concurrent batch (same event id or
entity) rolls back and retries.

Two implementations of the load and write steps do the same reads and writes: SQLAlchemy Core
(`_load`, `_write`; SQLite and any other driver) and, on PostgreSQL through psycopg 3, array
parameters sent in pipeline mode (`ingest_pg`, run by `ingest_pgconn` on connections of its
own): two round trips per batch, the second carrying the COMMIT, whatever its size.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from command_center.db.models import Claim, Device, Event, IssueSession, utcnow
from command_center.ops import events as ev
from command_center.ops.ingest_apply import apply_batch, kpi_delta
from command_center.ops.ingest_batch import (
    AcceptedEvent,
    IngestResult,
    _chunks,
    _Context,
    _load,
    _Race,
)
from command_center.ops.kpis import as_utc

__all__ = ["AcceptedEvent", "IngestResult", "ingest_events"]

MAX_ATTEMPTS = 5
_sqlite_locks: dict[str, threading.Lock] = {}
_sqlite_locks_guard = threading.Lock()


# ---------------------------------------------------------------- writing


def _insert_returning_ids(
    conn: Connection, table: Any, rows: list[dict[str, Any]]
) -> dict[str, int]:
    """Bulk INSERT (executemany, no RETURNING: cheaper to compile) then read the new ids."""
    if not rows:
        return {}
    conn.execute(insert(table), rows)
    ids: dict[str, int] = {}
    externals = [r["external_id"] for r in rows]
    for part in _chunks(externals):
        query = select(table.c.external_id, table.c.id).where(table.c.external_id.in_(part))
        ids.update(conn.execute(query).tuples().all())
    return ids


def _update(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = [k for k in rows[0] if k != "b_id"]
    stmt = update(table).where(table.c.id == bindparam("b_id"))
    stmt = stmt.values({k: bindparam(f"b_{k}") for k in columns})
    conn.execute(stmt, [{f"b_{k}" if k != "b_id" else k: v for k, v in r.items()} for r in rows])


def _write(conn: Connection, ctx: _Context, event_rows: list[dict[str, Any]]) -> None:
    dv, cl, ss, et = Device.__table__, Claim.__table__, IssueSession.__table__, Event.__table__
    new_devices = [d for d in ctx.devices.values() if d.new is not None]
    ids = _insert_returning_ids(
        conn,
        dv,
        [
            {
                "external_id": d.external_id,
                "customer_id": d.customer_id,
                "plan_id": d.plan_id,
                "plan_status": d.plan_status,
                "enrolled_at": d.enrolled_at,
                "plan_cancelled_at": d.plan_cancelled_at,
                **(d.new or {}),
            }
            for d in new_devices
        ],
    )
    for d in new_devices:
        d.id = ids[d.external_id]
    _update(
        conn,
        dv,
        [
            {
                "b_id": d.id,
                "plan_id": d.plan_id,
                "plan_status": d.plan_status,
                "enrolled_at": d.enrolled_at,
                "plan_cancelled_at": d.plan_cancelled_at,
            }
            for d in ctx.devices.values()
            if d.new is None and d.dirty
        ],
    )
    new_claims = [c for c in ctx.claims.values() if c.new is not None]
    ids = _insert_returning_ids(
        conn,
        cl,
        [
            {
                "external_id": c.external_id,
                "customer_id": c.customer_id,
                "device_id": c.device.id if c.device else None,
                "status": c.status,
                "filed_at": c.filed_at,
                "decided_at": c.decided_at,
                "resolved_at": c.resolved_at,
                "payout_amount": c.payout_amount,
                **(c.new or {}),
            }
            for c in new_claims
        ],
    )
    for c in new_claims:
        c.id = ids[c.external_id]
    _update(
        conn,
        cl,
        [
            {
                "b_id": c.id,
                "status": c.status,
                "decided_at": c.decided_at,
                "resolved_at": c.resolved_at,
                "payout_amount": c.payout_amount,
            }
            for c in ctx.claims.values()
            if c.new is None and c.dirty
        ],
    )
    _insert_returning_ids(
        conn,
        ss,
        [
            {
                "external_id": s.external_id,
                "device_id": s.device.id if s.device else None,
                "claim_id": s.claim.id if s.claim else None,
                "status": s.status,
                "opened_at": s.opened_at,
                "escalated_at": s.escalated_at,
                "resolved_at": s.resolved_at,
                **(s.new or {}),
            }
            for s in ctx.sessions.values()
            if s.new is not None
        ],
    )
    _update(
        conn,
        ss,
        [
            {
                "b_id": s.id,
                "status": s.status,
                "escalated_at": s.escalated_at,
                "resolved_at": s.resolved_at,
            }
            for s in ctx.sessions.values()
            if s.new is None and s.dirty
        ],
    )
    if event_rows:
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = dialect_insert(et).on_conflict_do_nothing(index_elements=["event_id"])
        inserted = conn.execute(stmt.returning(et.c.event_id), event_rows).scalars().all()
        if len(inserted) != len(event_rows):
            raise _Race("an event id was stored concurrently")


def _check_rejected_not_stored(conn: Connection, ids: list[str]) -> None:
    """A rejected event whose id is stored by now was a concurrent duplicate: retry."""
    et = Event.__table__
    for part in _chunks(ids):
        if conn.scalar(select(et.c.event_id).where(et.c.event_id.in_(part)).limit(1)):
            raise _Race("a rejected event was stored concurrently")


# ---------------------------------------------------------------- entry point


def _retry_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """Errors meaning "a concurrent batch interfered" (SQLAlchemy's and raw psycopg's), and
    those of them raised before any COMMIT was sent: any other (a dropped connection) may
    have come after the server committed, with the acknowledgement lost."""
    before_commit: tuple[type[BaseException], ...] = (_Race, IntegrityError)
    errors: tuple[type[BaseException], ...] = (*before_commit, OperationalError)
    try:
        import psycopg
    except ImportError:  # a SQLite-only install
        return errors, before_commit
    return (*errors, psycopg.IntegrityError, psycopg.OperationalError), (
        *before_commit,
        psycopg.IntegrityError,
    )


_RETRY, _NOT_COMMITTED = _retry_errors()


def _lock_for(engine: Engine) -> threading.Lock | None:
    if engine.dialect.name != "sqlite":
        return None
    key = str(engine.url)
    with _sqlite_locks_guard:
        return _sqlite_locks.setdefault(key, threading.Lock())


def _pipelines(engine: Engine) -> bool:
    """Whether the PostgreSQL fast path applies (psycopg 3 supports pipeline mode)."""
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


def _attempt(
    engine: Engine,
    parsed: list[tuple[int, Any]],
    now: datetime,
    result: IngestResult,
    single: bool = False,
) -> _Context:
    """One try in one transaction; `single`: first try a lone creating event in one round
    trip (`ingest_single`), falling back to the batch path within the same attempt."""
    if _pipelines(engine):
        from command_center.ops.ingest_pgconn import attempt_pg, pg_connections
        from command_center.ops.ingest_single import attempt_single, reference_cache

        connections, cache = pg_connections(engine), reference_cache(engine)
        if single and len(parsed) == 1:
            alone = pg_connections(engine, autocommit=True)
            ctx = attempt_single(alone, cache, parsed, now, result)
            if ctx is not None:
                return ctx
        ctx = attempt_pg(connections, parsed, now, result)
        cache.remember(ctx)
        return ctx
    with engine.begin() as conn:
        ctx = _load(conn, parsed, lock=engine.dialect.name == "postgresql")
        accepted, rejected_ids = apply_batch(ctx, parsed, result)
        event_rows = [
            {
                "event_id": e.event_id,
                "type": e.type,
                "occurred_at": e.occurred_at,
                "received_at": now,
                "subject_id": e.subject_id,
                "payload": e.payload(),
            }
            for e in accepted
        ]
        _write(conn, ctx, event_rows)
        _check_rejected_not_stored(conn, rejected_ids)
    return ctx


def _parse(events_raw: list[Any]) -> tuple[list[tuple[int, Any]], list[dict[str, Any]]]:
    """(index, validated event) for the valid items, {index, problem} for the others. An
    item already validated (an `EventBase`, as the API passes a single event) is kept."""
    invalid: list[dict[str, Any]] = []
    parsed: list[tuple[int, Any]] = []
    window = None
    for index, raw in enumerate(events_raw):
        if isinstance(raw, ev.EventBase):
            parsed.append((index, raw))
            continue
        window = window or ev.event_window()
        try:
            parsed.append((index, ev.parse_event(raw, window)))
        except ValidationError as exc:
            invalid.append({"index": index, "problem": ev.validation_problem(exc, raw)})
    return parsed, invalid


def _conclude(result: IngestResult, ctx: _Context, invalid: list[dict[str, Any]]) -> IngestResult:
    result.accepted = len(result.events)
    result.delta = kpi_delta(ctx, result.events)
    result.rejected = sorted(invalid + result.rejected, key=lambda r: r["index"])
    return result


def ingest_events(
    events_raw: list[Any],
    *,
    engine: Engine | None = None,
    now: datetime | None = None,
    single: bool = True,
    uncertain: bool = False,
) -> IngestResult:
    """Validate and apply a batch of raw events; returns counts, problems and the KPI delta.

    `event_id` is an idempotency key: an identical repeat (in the database or earlier in the
    batch) counts as a duplicate and is not applied again; the same id with different content
    is rejected with a 409 `event-id-conflict` problem. Invalid (including `occurred_at`
    outside the window and control characters), unknown-reference and illegal-transition
    events are rejected with a problem dict naming the field; the others are committed in one
    transaction.

    `single=False` skips the one-statement attempt for a lone event (the caller made it);
    `uncertain`: a commit of these events may have happened unseen (see `IngestResult`).
    """
    from command_center.db.session import get_engine

    engine = engine or get_engine()
    now = as_utc(now or utcnow())
    parsed, invalid = _parse(events_raw)
    lock = _lock_for(engine)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = IngestResult(uncertain=uncertain)
        try:
            if lock is not None:
                with lock:
                    ctx = _attempt(engine, parsed, now, result)
            else:
                ctx = _attempt(engine, parsed, now, result, single=single and attempt == 1)
            break
        except _RETRY as exc:
            uncertain = uncertain or not isinstance(exc, _NOT_COMMITTED)
            if attempt == MAX_ATTEMPTS:
                raise
    return _conclude(result, ctx, invalid)
