"""One event per request on PostgreSQL in one round trip: the reference cache and the attempt.

A batch loads every row it refers to (one round trip) before it writes (a second). An event
that creates an entity — `claim_filed`, `device_registered`, `session_opened` without a
claim — reads only rows ingest never changes (a customer's id and region, a device's id and
owner) and otherwise needs two things to be absent: the new entity and its `event_id`. So
a single such event is applied, by the same handlers and state machine, to a working copy
built from a per-engine cache of those immutable rows (filled by every batch's loads), and
its two writes (entity, event row) go as one statement — the entity's INSERT a
data-modifying CTE of the event's — which is its own transaction: one round trip, no BEGIN
or COMMIT message. The database checks what was assumed: an existing entity or event id is
a unique violation, a referenced row that no longer exists a foreign-key violation; either
fails the statement, so nothing is written, and the event goes through the batch path,
which loads the rows and answers exactly as it always does (duplicate, 409, unknown
reference…). A reference missing from the cache, or an event the cached rows reject, goes
the batch path too.
"""

from __future__ import annotations

import threading
import weakref
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine

from command_center.ops.ingest_apply import apply_batch
from command_center.ops.ingest_batch import IngestResult, _Context, _DeviceRow
from command_center.ops.ingest_pg import Statement, as_one_statement, write_statements
from command_center.ops.ingest_pgconn import PgConnections, run_alone

# event type → the reference fields its handler reads (each must be cached); the entity it
# creates and its event id must not exist (unique constraints on both)
SINGLE_TYPES: dict[str, tuple[str, ...]] = {
    "claim_filed": ("customer_id", "device_id"),
    "device_registered": ("customer_id",),
    "session_opened": ("customer_id", "device_id"),
}
MAX_CACHED = 200_000  # rows per kind; the cache starts over past it


class ReferenceCache:
    """Rows ingest never changes, as the batch path last loaded them: customers (external id →
    id, region) and devices (external id → id, customer id)."""

    def __init__(self) -> None:
        self.customers: dict[str, tuple[int, str]] = {}
        self.devices: dict[str, tuple[int, int]] = {}

    def remember(self, ctx: _Context) -> None:
        """Keep the customers and the stored devices of a committed batch's working copy."""
        if len(self.customers) > MAX_CACHED or len(self.devices) > MAX_CACHED:
            self.clear()
        self.customers.update(ctx.customers)
        for external_id, device in ctx.devices.items():
            if device.id is not None and device.new is None:
                self.devices[external_id] = (device.id, device.customer_id)

    def clear(self) -> None:
        """Forget everything (a write disagreed with a cached row)."""
        self.customers, self.devices = {}, {}

    def context(self, ops_event: Any) -> _Context | None:
        """The working copy `ops_event` needs, from cached rows only (None: it needs others)."""
        fields = SINGLE_TYPES.get(ops_event.type)
        if fields is None or (ops_event.type == "session_opened" and ops_event.claim_id):
            return None  # a session opened on a claim reads the claim: batch path
        ctx = _Context({}, {}, {}, {}, {}, {})
        values = ops_event.__dict__
        for name in fields:
            external_id = values[name]
            if not external_id:
                continue
            if name == "customer_id":
                found = self.customers.get(external_id)
                if found is None:
                    return None
                ctx.customers[external_id] = found
            else:
                device = self.devices.get(external_id)
                if device is None:
                    return None
                ctx.devices[external_id] = _DeviceRow(external_id, device[1], device[0])
        return ctx


_by_engine: weakref.WeakKeyDictionary[Engine, ReferenceCache] = weakref.WeakKeyDictionary()
_by_engine_guard = threading.Lock()


def reference_cache(engine: Engine) -> ReferenceCache:
    """The reference cache of `engine`, cleared when it is disposed."""
    with _by_engine_guard:
        found = _by_engine.get(engine)
        if found is None:
            found = _by_engine[engine] = ReferenceCache()
            event.listen(engine, "engine_disposed", lambda _engine: found.clear())
        return found


def _prepare(
    cache: ReferenceCache, parsed: list[tuple[int, Any]], now: datetime
) -> tuple[_Context, IngestResult, list[Statement]] | None:
    """The working copy, outcome and writes of one creating event applied to cached rows
    (None: not cached, or the cached rows reject it — the batch path decides)."""
    ((_index, event_),) = parsed
    ctx = cache.context(event_)
    if ctx is None:
        return None
    trial = IngestResult()
    accepted, rejected_ids = apply_batch(ctx, parsed, trial)
    if rejected_ids or not accepted:
        return None
    return ctx, trial, write_statements(ctx, accepted, now)


def attempt_single(
    connections: PgConnections,  # autocommit ones
    cache: ReferenceCache,
    parsed: list[tuple[int, Any]],
    now: datetime,
    result: IngestResult,
) -> _Context | None:
    """Apply one creating event on cached rows and commit it in one round trip.

    None when it cannot be (a reference not cached, the cached rows reject it, or the
    database refused the writes with a constraint violation); `result` is then left as it
    was given and the batch path decides. Other errors (a lost connection) propagate.
    """
    prepared = _prepare(cache, parsed, now)
    if prepared is None:
        return None
    ctx, trial, writes = prepared
    try:
        with connections.connection() as conn:
            run_alone(conn, as_one_statement(writes))
    except psycopg.errors.UniqueViolation:
        return None  # the entity or the event id exists: the batch path tells which
    except psycopg.IntegrityError:
        cache.clear()  # a cached row is gone or changed
        return None
    result.duplicates, result.rejected, result.events = 0, [], trial.events
    return ctx
