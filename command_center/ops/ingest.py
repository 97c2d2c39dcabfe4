"""Event ingest: validate, de-duplicate on `event_id`, apply to the OLTP tables in one transaction.

A batch is processed in three steps: validate every item; load every referenced entity with a
handful of bulk queries (locked `FOR UPDATE` on PostgreSQL); apply the events in order to an
in-memory working copy (state machines, reference checks); then write the net changes and the
event rows with bulk statements. Invalid events are rejected individually; the valid ones are
kept. A race with a concurrent batch (same event id or entity) rolls back and retries.

Two implementations of the load and write steps do the same reads and writes: SQLAlchemy Core
(`_load`, `_write`; SQLite and any other driver) and, on PostgreSQL through psycopg 3, array
parameters sent in pipeline mode (`_load_pg`, `_write_pg`): two round trips and the commit per
batch, whatever its size.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from command_center.db.models import Claim, Customer, Device, Event, IssueSession, Plan, utcnow
from command_center.ops import events as ev
from command_center.ops.kpis import ClaimContribution, KpiDelta, as_utc
from command_center.ops.state_machine import (
    SESSION_ACTIVE_STATES,
    IllegalTransition,
    next_claim_status,
    next_session_status,
)

if TYPE_CHECKING:
    import psycopg

MAX_ATTEMPTS = 5
_CHUNK = 900
_sqlite_locks: dict[str, threading.Lock] = {}
_sqlite_locks_guard = threading.Lock()


# ---------------------------------------------------------------- results and problems


@dataclass(frozen=True, slots=True)
class AcceptedEvent:
    """An event that was stored and applied."""

    index: int
    event_id: str
    type: str
    subject_id: str
    occurred_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (what the dashboard message carries)."""
        return {
            "event_id": self.event_id,
            "type": self.type,
            "subject_id": self.subject_id,
            "occurred_at": self.occurred_at.isoformat(),
        }


@dataclass
class IngestResult:
    """Outcome of one batch: counts, per-item problems, and the KPI delta to apply."""

    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    events: list[AcceptedEvent] = field(default_factory=list)
    delta: KpiDelta = field(default_factory=KpiDelta)

    def as_response(self) -> dict[str, Any]:
        """The API body: `{accepted, duplicates, rejected: [{index, problem}]}`."""
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


class Rejected(Exception):
    """An event cannot be applied; carries an RFC 7807 problem dict."""

    def __init__(self, status: int, slug: str, title: str, detail: str, field: str) -> None:
        super().__init__(detail)
        self.problem = {
            "type": f"/problems/{slug}",
            "title": title,
            "status": status,
            "detail": detail,
            "field": field,
        }


def _unknown(field_name: str, kind: str, value: str) -> Rejected:
    return Rejected(404, "unknown-reference", f"Unknown {kind}", f"no {kind} {value!r}", field_name)


def _conflict(field_name: str, detail: str) -> Rejected:
    return Rejected(409, "conflict", "Conflict", detail, field_name)


class _Race(Exception):
    """A concurrent batch changed what this one read; retry from the start."""


# ---------------------------------------------------------------- working copy


@dataclass(slots=True)
class _DeviceRow:
    external_id: str
    customer_id: int
    id: int | None = None
    plan_id: int | None = None
    plan_status: str = "none"
    enrolled_at: datetime | None = None
    plan_cancelled_at: datetime | None = None
    new: dict[str, Any] | None = None  # insert values when created by this batch
    dirty: bool = False


@dataclass(slots=True)
class _ClaimRow:
    external_id: str
    customer_id: int
    device: _DeviceRow | None
    status: str
    filed_at: datetime
    id: int | None = None
    decided_at: datetime | None = None
    resolved_at: datetime | None = None
    payout_amount: Decimal | None = None
    new: dict[str, Any] | None = None
    dirty: bool = False
    before: ClaimContribution | None = None

    def contribution(self) -> ClaimContribution:
        return ClaimContribution.of(self.status, self.filed_at, self.decided_at, self.resolved_at)


@dataclass(slots=True)
class _SessionRow:
    external_id: str
    status: str
    opened_at: datetime
    id: int | None = None
    escalated_at: datetime | None = None
    resolved_at: datetime | None = None
    new: dict[str, Any] | None = None
    device: _DeviceRow | None = None
    claim: _ClaimRow | None = None
    dirty: bool = False
    was_active: bool = False


@dataclass
class _Context:
    customers: dict[str, tuple[int, str]]
    devices: dict[str, _DeviceRow]
    claims: dict[str, _ClaimRow]
    sessions: dict[str, _SessionRow]
    plans: dict[str, int]
    known_event_ids: set[str]


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


_REFERENCE_FIELDS = ("customer_id", "device_id", "claim_id", "session_id", "plan_code")
_DEVICE_COLUMNS = (
    "id",
    "external_id",
    "customer_id",
    "plan_id",
    "plan_status",
    "enrolled_at",
    "plan_cancelled_at",
)
_CLAIM_COLUMNS = (
    "id",
    "external_id",
    "customer_id",
    "device_id",
    "status",
    "filed_at",
    "decided_at",
    "resolved_at",
    "payout_amount",
)
_SESSION_COLUMNS = ("id", "external_id", "status", "opened_at", "escalated_at", "resolved_at")


@functools.cache
def _reference_fields(event_type: type) -> tuple[str, ...]:
    """The reference fields an event class has."""
    return tuple(name for name in _REFERENCE_FIELDS if name in event_type.model_fields)


def _references(parsed: list[tuple[int, Any]]) -> dict[str, list[str]]:
    """Every external id the batch refers to, per field (sorted), and its event ids."""
    found: dict[str, set[str]] = {name: set() for name in _REFERENCE_FIELDS}
    for _index, event in parsed:
        values = event.__dict__  # the validated fields (cheaper than getattr on a model)
        for name in _reference_fields(type(event)):
            value = values[name]
            if value:
                found[name].add(value)
    refs = {name: sorted(values) for name, values in found.items()}
    refs["event_id"] = sorted({e.event_id for _i, e in parsed})
    return refs


def _context(
    customers: Iterable[Any],
    plans: Iterable[Any],
    devices: Iterable[Any],
    claims: Iterable[Any],
    sessions: Iterable[Any],
    known_event_ids: Iterable[str],
) -> _Context:
    """The working copy built from loaded rows (columns as in `_*_COLUMNS`)."""
    ctx = _Context({}, {}, {}, {}, {}, set(known_event_ids))
    ctx.customers.update({ext: (id_, region) for ext, id_, region in customers})
    ctx.plans.update({code: id_ for code, id_ in plans})
    device_by_id: dict[int, _DeviceRow] = {}
    for row in devices:
        device = _DeviceRow(
            row.external_id,
            row.customer_id,
            row.id,
            row.plan_id,
            row.plan_status,
            row.enrolled_at,
            row.plan_cancelled_at,
        )
        ctx.devices[row.external_id] = device_by_id[row.id] = device
    for row in claims:
        claim = _ClaimRow(
            row.external_id,
            row.customer_id,
            None,
            row.status,
            as_utc(row.filed_at),
            row.id,
            as_utc(row.decided_at) if row.decided_at else None,
            as_utc(row.resolved_at) if row.resolved_at else None,
            row.payout_amount,
        )
        claim.before = claim.contribution()
        ctx.claims[row.external_id] = claim
        claim.device = device_by_id.get(row.device_id) or _DeviceRow(
            "", row.customer_id, row.device_id
        )
    for row in sessions:
        ctx.sessions[row.external_id] = _SessionRow(
            row.external_id,
            row.status,
            as_utc(row.opened_at),
            row.id,
            row.escalated_at,
            row.resolved_at,
            was_active=row.status in SESSION_ACTIVE_STATES,
        )
    return ctx


def _load(conn: Connection, parsed: list[tuple[int, Any]], lock: bool) -> _Context:
    """Load the working copy with SQLAlchemy Core: chunked IN lists, works on any dialect."""
    refs = _references(parsed)

    def rows(
        table: Any, columns: Sequence[str], key: str, values: list[str], locked: bool = False
    ) -> list[Any]:
        found: list[Any] = []
        for part in _chunks(values):
            stmt = select(*(table.c[c] for c in columns)).where(table.c[key].in_(part))
            if locked:
                stmt = stmt.order_by(table.c.id).with_for_update()
            found.extend(conn.execute(stmt))
        return found

    ext = "external_id"
    customers = rows(Customer.__table__, (ext, "id", "region"), ext, refs["customer_id"])
    plans = rows(Plan.__table__, ("code", "id"), "code", refs["plan_code"])
    devices = rows(Device.__table__, _DEVICE_COLUMNS, ext, refs["device_id"], lock)
    claims = rows(Claim.__table__, _CLAIM_COLUMNS, ext, refs["claim_id"], lock)
    sessions = rows(IssueSession.__table__, _SESSION_COLUMNS, ext, refs["session_id"], lock)
    # after the row locks: a concurrent batch that committed first is now visible
    known = rows(Event.__table__, ("event_id",), "event_id", refs["event_id"])
    return _context(customers, plans, devices, claims, sessions, (r.event_id for r in known))


# ---------------------------------------------------------------- applying one event


def _customer(ctx: _Context, customer_id: str) -> tuple[int, str]:
    found = ctx.customers.get(customer_id)
    if found is None:
        raise _unknown("customer_id", "customer", customer_id)
    return found


def _device(ctx: _Context, device_id: str) -> _DeviceRow:
    found = ctx.devices.get(device_id)
    if found is None:
        raise _unknown("device_id", "device", device_id)
    return found


def _not_before(at: datetime, start: datetime, what: str) -> None:
    if at < start:
        raise Rejected(
            422,
            "out-of-order",
            "Event precedes its subject",
            f"occurred_at {at.isoformat()} is before the {what} ({start.isoformat()})",
            "occurred_at",
        )


def _apply_claim_filed(ctx: _Context, e: ev.ClaimFiled) -> None:
    if e.claim_id in ctx.claims:
        raise _conflict("claim_id", f"claim {e.claim_id!r} already exists")
    customer_pk, region = _customer(ctx, e.customer_id)
    device = _device(ctx, e.device_id)
    if device.customer_id != customer_pk:
        raise Rejected(
            422,
            "invalid-reference",
            "Device belongs to another customer",
            f"device {e.device_id!r} is not registered to {e.customer_id!r}",
            "device_id",
        )
    claim = _ClaimRow(e.claim_id, customer_pk, device, "filed", e.occurred_at)
    claim.new = {"loss_type": e.loss_type, "region": e.region or region, "channel": e.channel}
    ctx.claims[e.claim_id] = claim


def _apply_claim_transition(ctx: _Context, e: Any) -> None:
    claim = ctx.claims.get(e.claim_id)
    if claim is None:
        raise _unknown("claim_id", "claim", e.claim_id)
    try:
        status = next_claim_status(claim.status, e.type)
    except IllegalTransition as exc:
        raise Rejected(
            409, "illegal-transition", "Illegal claim transition", str(exc), "type"
        ) from None
    _not_before(e.occurred_at, claim.filed_at, "claim was filed")
    claim.status, claim.dirty = status, True
    if e.type in {"claim_approved", "claim_denied"}:
        claim.decided_at = e.occurred_at
    if status in {"denied", "fulfilled", "cancelled"}:
        claim.resolved_at = e.occurred_at
    if e.type == "claim_fulfilled":
        claim.payout_amount = Decimal(str(round(e.payout_amount, 2)))


def _apply_device_registered(ctx: _Context, e: ev.DeviceRegistered) -> None:
    if e.device_id in ctx.devices:
        raise _conflict("device_id", f"device {e.device_id!r} already exists")
    customer_pk, _region = _customer(ctx, e.customer_id)
    device = _DeviceRow(e.device_id, customer_pk)
    device.new = {
        "make": e.make,
        "model": e.model,
        "category": e.category,
        "registered_at": e.occurred_at,
    }
    ctx.devices[e.device_id] = device


def _apply_plan_event(ctx: _Context, e: ev.PlanEnrolled | ev.PlanCancelled) -> None:
    device = _device(ctx, e.device_id)
    if isinstance(e, ev.PlanEnrolled):
        plan_id = ctx.plans.get(e.plan_code)
        if plan_id is None:
            raise _unknown("plan_code", "plan", e.plan_code)
        if device.plan_status == "active":
            raise _conflict("device_id", f"device {e.device_id!r} already has an active plan")
        device.plan_id, device.plan_status = plan_id, "active"
        device.enrolled_at, device.plan_cancelled_at = e.occurred_at, None
    else:
        if device.plan_status != "active":
            raise Rejected(
                409,
                "illegal-transition",
                "Illegal plan transition",
                f"plan_cancelled is not allowed for a plan in state {device.plan_status!r}",
                "type",
            )
        device.plan_status, device.plan_cancelled_at = "cancelled", e.occurred_at
    device.dirty = True


def _apply_session_opened(ctx: _Context, e: ev.SessionOpened) -> None:
    if e.session_id in ctx.sessions:
        raise _conflict("session_id", f"session {e.session_id!r} already exists")
    customer_pk, _region = _customer(ctx, e.customer_id)
    device = _device(ctx, e.device_id) if e.device_id else None
    if device is not None and device.customer_id != customer_pk:
        raise Rejected(
            422,
            "invalid-reference",
            "Device belongs to another customer",
            f"device {e.device_id!r} is not registered to {e.customer_id!r}",
            "device_id",
        )
    claim = None
    if e.claim_id:
        claim = ctx.claims.get(e.claim_id)
        if claim is None:
            raise _unknown("claim_id", "claim", e.claim_id)
    session = _SessionRow(e.session_id, "open", e.occurred_at, device=device, claim=claim)
    session.new = {"customer_id": customer_pk, "channel": e.channel, "topic": e.topic}
    ctx.sessions[e.session_id] = session


def _apply_session_transition(ctx: _Context, e: Any) -> None:
    session = ctx.sessions.get(e.session_id)
    if session is None:
        raise _unknown("session_id", "session", e.session_id)
    try:
        status = next_session_status(session.status, e.type)
    except IllegalTransition as exc:
        raise Rejected(
            409, "illegal-transition", "Illegal session transition", str(exc), "type"
        ) from None
    _not_before(e.occurred_at, session.opened_at, "session was opened")
    session.status, session.dirty = status, True
    if status == "escalated":
        session.escalated_at = e.occurred_at
    else:
        session.resolved_at = e.occurred_at


_HANDLERS = {
    "claim_filed": _apply_claim_filed,
    "claim_review_started": _apply_claim_transition,
    "claim_approved": _apply_claim_transition,
    "claim_denied": _apply_claim_transition,
    "claim_fulfilled": _apply_claim_transition,
    "claim_cancelled": _apply_claim_transition,
    "device_registered": _apply_device_registered,
    "plan_enrolled": _apply_plan_event,
    "plan_cancelled": _apply_plan_event,
    "session_opened": _apply_session_opened,
    "session_escalated": _apply_session_transition,
    "session_resolved": _apply_session_transition,
}


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


# ---------------------------------------------------------------- PostgreSQL fast path
#
# The same reads and writes as `_load` and `_write`, sent on the psycopg connection inside
# the SQLAlchemy transaction: array parameters (`= ANY(%b)`, `unnest`) instead of long IN
# lists and one statement per row, all reads in one pipeline and all writes in another, so a
# batch costs two round trips plus the commit. Parameters go in binary (`%b`): quoting text
# arrays was the largest client-side cost. A new row that refers to another new row (a
# session on a claim filed in the same batch) finds its id by external id on the server:
# statements in a pipeline run in order, so the referenced row is already inserted.


def _pg_select(table: str, columns: Sequence[str], key: str, lock: bool = False) -> str:
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE {key} = ANY(%b)"
    return f"{sql} ORDER BY id FOR UPDATE" if lock else sql


_PG_LOADS = (
    ("customer_id", _pg_select("customers", ("external_id", "id", "region"), "external_id")),
    ("plan_code", _pg_select("plans", ("code", "id"), "code")),
    ("device_id", _pg_select("devices", _DEVICE_COLUMNS, "external_id", lock=True)),
    ("claim_id", _pg_select("claims", _CLAIM_COLUMNS, "external_id", lock=True)),
    ("session_id", _pg_select("issue_sessions", _SESSION_COLUMNS, "external_id", lock=True)),
    # after the row locks: a concurrent batch that committed first is now visible
    ("event_id", _pg_select("events", ("event_id",), "event_id")),
)


def _pipelined(
    dbapi: psycopg.Connection[Any], calls: Sequence[tuple[Any, str, Sequence[Any]]]
) -> None:
    """Run (cursor, SQL, params) in order in one pipeline; results stay on the cursors.

    Statements run in order on the server, so later ones see what earlier ones wrote. The
    first failing statement's error is raised (once the pipeline is closed cleanly).
    """
    import psycopg

    error: psycopg.Error | None = None
    try:
        with dbapi.pipeline():  # leaving the block syncs: every result has arrived
            for cursor, sql, params in calls:
                try:
                    cursor.execute(sql, params)
                except psycopg.Error as exc:  # an earlier statement failed; stop sending
                    error = exc
                    break
    except psycopg.Error:  # the statements queued after the failure report "aborted"
        if error is None:
            raise
    if error is not None:
        raise error


def _load_pg(dbapi: psycopg.Connection[Any], parsed: list[tuple[int, Any]]) -> _Context:
    """`_load` for PostgreSQL in one pipelined round trip (rows locked `FOR UPDATE` by id)."""
    from psycopg.rows import namedtuple_row

    refs = _references(parsed)
    fetched: dict[str, list[Any]] = {}
    cursors = [
        (name, sql, dbapi.cursor(row_factory=namedtuple_row))
        for name, sql in _PG_LOADS
        if refs[name]
    ]
    _pipelined(dbapi, [(cursor, sql, (refs[name],)) for name, sql, cursor in cursors])
    for name, _sql, cursor in cursors:
        fetched[name] = cursor.fetchall()
        cursor.close()
    return _context(
        fetched.get("customer_id", ()),
        fetched.get("plan_code", ()),
        fetched.get("device_id", ()),
        fetched.get("claim_id", ()),
        fetched.get("session_id", ()),
        (row.event_id for row in fetched.get("event_id", ())),
    )


def _pg_arrays(fields: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """(`%b::type[], …` for unnest, the column alias list)."""
    arrays = ", ".join(f"%b::{pg_type}[]" for _name, pg_type in fields)
    return arrays, ", ".join(name for name, _type in fields)


def _pg_insert(table: str, fields: Sequence[tuple[str, str]], refs: dict[str, str]) -> str:
    """INSERT … SELECT FROM unnest(arrays); `refs` maps an id column to the table it refers
    to, whose `<column>_ext` field carries the external id of a row new in this batch."""
    arrays, names = _pg_arrays(fields)
    stored = [name for name, _type in fields if not name.endswith("_ext")]
    values = [
        f"COALESCE(v.{name}, (SELECT id FROM {refs[name]} WHERE external_id = v.{name}_ext))"
        if name in refs
        else f"v.{name}"
        for name in stored
    ]
    return (
        f"INSERT INTO {table} ({', '.join(stored)}) SELECT {', '.join(values)} "
        f"FROM unnest({arrays}) AS v({names})"
    )


def _pg_update(table: str, fields: Sequence[tuple[str, str]]) -> str:
    """UPDATE … FROM unnest(arrays) by id (the first field)."""
    arrays, names = _pg_arrays(fields)
    sets = ", ".join(f"{name} = v.{name}" for name, _type in fields[1:])
    return f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v({names}) WHERE t.id = v.id"


_TS, _TEXT, _INT = "timestamptz", "text", "int"
_PG_DEVICE_INSERT = _pg_insert(
    "devices",
    (
        ("external_id", _TEXT),
        ("customer_id", _INT),
        ("plan_id", _INT),
        ("plan_status", _TEXT),
        ("enrolled_at", _TS),
        ("plan_cancelled_at", _TS),
        ("make", _TEXT),
        ("model", _TEXT),
        ("category", _TEXT),
        ("registered_at", _TS),
    ),
    {},
)
_PG_DEVICE_UPDATE = _pg_update(
    "devices",
    (
        ("id", _INT),
        ("plan_id", _INT),
        ("plan_status", _TEXT),
        ("enrolled_at", _TS),
        ("plan_cancelled_at", _TS),
    ),
)
_PG_CLAIM_INSERT = _pg_insert(
    "claims",
    (
        ("external_id", _TEXT),
        ("customer_id", _INT),
        ("device_id", _INT),
        ("device_id_ext", _TEXT),
        ("status", _TEXT),
        ("filed_at", _TS),
        ("decided_at", _TS),
        ("resolved_at", _TS),
        ("payout_amount", "numeric"),
        ("loss_type", _TEXT),
        ("region", _TEXT),
        ("channel", _TEXT),
    ),
    {"device_id": "devices"},
)
_PG_CLAIM_UPDATE = _pg_update(
    "claims",
    (
        ("id", _INT),
        ("status", _TEXT),
        ("decided_at", _TS),
        ("resolved_at", _TS),
        ("payout_amount", "numeric"),
    ),
)
_PG_SESSION_INSERT = _pg_insert(
    "issue_sessions",
    (
        ("external_id", _TEXT),
        ("customer_id", _INT),
        ("device_id", _INT),
        ("device_id_ext", _TEXT),
        ("claim_id", _INT),
        ("claim_id_ext", _TEXT),
        ("status", _TEXT),
        ("channel", _TEXT),
        ("topic", _TEXT),
        ("opened_at", _TS),
        ("escalated_at", _TS),
        ("resolved_at", _TS),
    ),
    {"device_id": "devices", "claim_id": "claims"},
)
_PG_SESSION_UPDATE = _pg_update(
    "issue_sessions",
    (("id", _INT), ("status", _TEXT), ("escalated_at", _TS), ("resolved_at", _TS)),
)
_PG_EVENT_INSERT = (
    _pg_insert(
        "events",
        (
            ("event_id", _TEXT),
            ("type", _TEXT),
            ("occurred_at", _TS),
            ("received_at", _TS),
            ("subject_id", _TEXT),
            ("payload", "json"),
        ),
        {},
    )
    + " ON CONFLICT (event_id) DO NOTHING"
)
_PG_STORED = "SELECT 1 FROM events WHERE event_id = ANY(%b) LIMIT 1"


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows to one list per column (the `unnest` array parameters)."""
    return [list(column) for column in zip(*rows, strict=True)]


def _ref(row: _DeviceRow | _ClaimRow | None) -> tuple[int | None, str | None]:
    """(id, external id) of a referenced row; the external id only for a row new here."""
    if row is None:
        return None, None
    return row.id, (row.external_id if row.id is None else None)


def _pg_writes(
    ctx: _Context, accepted: list[Any], now: datetime
) -> list[tuple[str, list[list[Any]]]]:
    """The statements `_write` makes, as (SQL, column arrays), in dependency order.

    Rows are transposed table by table so only one table's row tuples are alive at a time
    (fewer tracked objects, fewer garbage-collector passes). Events come last.
    """
    devices, claims, sessions = ctx.devices.values(), ctx.claims.values(), ctx.sessions.values()
    new_devices = _columns(
        [
            (
                d.external_id,
                d.customer_id,
                d.plan_id,
                d.plan_status,
                d.enrolled_at,
                d.plan_cancelled_at,
                d.new["make"],
                d.new["model"],
                d.new["category"],
                d.new["registered_at"],
            )
            for d in devices
            if d.new is not None
        ]
    )
    new_claims = _columns(
        [
            (
                c.external_id,
                c.customer_id,
                *_ref(c.device),
                c.status,
                c.filed_at,
                c.decided_at,
                c.resolved_at,
                c.payout_amount,
                c.new["loss_type"],
                c.new["region"],
                c.new["channel"],
            )
            for c in claims
            if c.new is not None
        ]
    )
    new_sessions = _columns(
        [
            (
                s.external_id,
                s.new["customer_id"],
                *_ref(s.device),
                *_ref(s.claim),
                s.status,
                s.new["channel"],
                s.new["topic"],
                s.opened_at,
                s.escalated_at,
                s.resolved_at,
            )
            for s in sessions
            if s.new is not None
        ]
    )
    return [
        (_PG_DEVICE_INSERT, new_devices),
        (
            _PG_DEVICE_UPDATE,
            _columns(
                [
                    (d.id, d.plan_id, d.plan_status, d.enrolled_at, d.plan_cancelled_at)
                    for d in devices
                    if d.new is None and d.dirty
                ]
            ),
        ),
        (_PG_CLAIM_INSERT, new_claims),
        (
            _PG_CLAIM_UPDATE,
            _columns(
                [
                    (c.id, c.status, c.decided_at, c.resolved_at, c.payout_amount)
                    for c in claims
                    if c.new is None and c.dirty
                ]
            ),
        ),
        (_PG_SESSION_INSERT, new_sessions),
        (
            _PG_SESSION_UPDATE,
            _columns(
                [
                    (s.id, s.status, s.escalated_at, s.resolved_at)
                    for s in sessions
                    if s.new is None and s.dirty
                ]
            ),
        ),
        (
            _PG_EVENT_INSERT,
            _columns(
                [
                    (e.event_id, e.type, e.occurred_at, now, e.subject_id, json.dumps(e.payload()))
                    for e in accepted
                ]
            ),
        ),
    ]


def _write_pg(
    dbapi: psycopg.Connection[Any],
    ctx: _Context,
    accepted: list[Any],
    now: datetime,
    rejected_ids: list[str],
) -> None:
    """`_write` and `_check_rejected_not_stored` for PostgreSQL, in one pipelined round trip."""
    *entities, (event_sql, event_columns) = _pg_writes(ctx, accepted, now)
    with dbapi.cursor() as cursor, dbapi.cursor() as events, dbapi.cursor() as check:
        calls = [(cursor, sql, columns) for sql, columns in entities if columns]
        if event_columns:
            calls.append((events, event_sql, event_columns))
        if rejected_ids:
            calls.append((check, _PG_STORED, (rejected_ids,)))
        _pipelined(dbapi, calls)
        if accepted and events.rowcount != len(accepted):
            raise _Race("an event id was stored concurrently")
        if rejected_ids and check.fetchone() is not None:
            raise _Race("a rejected event was stored concurrently")


def _delta(ctx: _Context, accepted: list[AcceptedEvent]) -> KpiDelta:
    delta = KpiDelta(event_times=[a.occurred_at for a in accepted])
    for claim in ctx.claims.values():
        if claim.new is not None or claim.dirty:
            delta.claims.append((claim.before, claim.contribution()))
    for session in ctx.sessions.values():
        if session.new is not None or session.dirty:
            delta.active_sessions += int(session.status in SESSION_ACTIVE_STATES)
            delta.active_sessions -= int(session.was_active)
    return delta


# ---------------------------------------------------------------- entry point


def _retry_errors() -> tuple[type[BaseException], ...]:
    """Errors meaning "a concurrent batch interfered": SQLAlchemy's and raw psycopg's."""
    errors: tuple[type[BaseException], ...] = (_Race, IntegrityError, OperationalError)
    try:
        import psycopg
    except ImportError:  # a SQLite-only install
        return errors
    return (*errors, psycopg.IntegrityError, psycopg.OperationalError)


_RETRY = _retry_errors()


def _lock_for(engine: Engine) -> threading.Lock | None:
    if engine.dialect.name != "sqlite":
        return None
    key = str(engine.url)
    with _sqlite_locks_guard:
        return _sqlite_locks.setdefault(key, threading.Lock())


def _apply_batch(
    ctx: _Context, parsed: list[tuple[int, Any]], result: IngestResult
) -> tuple[list[Any], list[str]]:
    """Apply the events in order to the working copy.

    Returns the accepted events and the ids of rejected events that were not accepted.
    """
    seen: set[str] = set()
    accepted: list[Any] = []
    rejected: set[str] = set()
    for index, event in parsed:
        if event.event_id in seen or event.event_id in ctx.known_event_ids:
            result.duplicates += 1
            continue
        try:
            _HANDLERS[event.type](ctx, event)
        except Rejected as exc:
            result.rejected.append({"index": index, "problem": exc.problem})
            rejected.add(event.event_id)
            continue
        seen.add(event.event_id)
        accepted.append(event)
        result.events.append(
            AcceptedEvent(index, event.event_id, event.type, event.subject_id, event.occurred_at)
        )
    return accepted, sorted(rejected - seen)


def _pipelines(engine: Engine) -> bool:
    """Whether the PostgreSQL fast path applies (psycopg 3 supports pipeline mode)."""
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


def _attempt(
    engine: Engine, parsed: list[tuple[int, Any]], now: datetime, result: IngestResult
) -> None:
    with engine.begin() as conn:
        if _pipelines(engine):
            dbapi = conn.connection.driver_connection
            ctx = _load_pg(dbapi, parsed)
            accepted, rejected_ids = _apply_batch(ctx, parsed, result)
            _write_pg(dbapi, ctx, accepted, now, rejected_ids)
        else:
            ctx = _load(conn, parsed, lock=engine.dialect.name == "postgresql")
            accepted, rejected_ids = _apply_batch(ctx, parsed, result)
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
    result.accepted = len(result.events)
    result.delta = _delta(ctx, result.events)


def ingest_events(
    events_raw: list[Any], *, engine: Engine | None = None, now: datetime | None = None
) -> IngestResult:
    """Validate and apply a batch of raw events; returns counts, problems and the KPI delta.

    Repeated event ids (in the database or earlier in the batch) count as duplicates and are
    not applied again. Invalid, unknown-reference and illegal-transition events are rejected
    with a problem dict naming the field; the others are committed in one transaction.
    """
    from command_center.db.session import get_engine

    engine = engine or get_engine()
    now = as_utc(now or utcnow())
    invalid: list[dict[str, Any]] = []
    parsed: list[tuple[int, Any]] = []
    for index, raw in enumerate(events_raw):
        try:
            parsed.append((index, ev.parse_event(raw)))
        except ValidationError as exc:
            invalid.append({"index": index, "problem": ev.validation_problem(exc, raw)})
    lock = _lock_for(engine)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = IngestResult()
        try:
            if lock is not None:
                with lock:
                    _attempt(engine, parsed, now, result)
            else:
                _attempt(engine, parsed, now, result)
            break
        except _RETRY:
            if attempt == MAX_ATTEMPTS:
                raise
    result.rejected = sorted(invalid + result.rejected, key=lambda r: r["index"])
    return result
