"""Ingest working copy: results, problems, the in-memory rows a batch is applied to, and
the bulk load of every referenced entity (SQLAlchemy Core)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from command_center.db.models import Claim, Customer, Device, Event, IssueSession, Plan
from command_center.ops.kpis import ClaimContribution, KpiDelta, as_utc
from command_center.ops.state_machine import (
    SESSION_ACTIVE_STATES,
)

_CHUNK = 900


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
    # an earlier attempt lost its connection (its COMMIT may have landed, the acknowledgement
    # lost): its events then count as duplicates here and `delta` misses them
    uncertain: bool = False

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
            "reason": slug.replace("-", "_"),
        }


def _unknown(field_name: str, kind: str, value: str) -> Rejected:
    return Rejected(404, "unknown-reference", f"Unknown {kind}", f"no {kind} {value!r}", field_name)


def _conflict(field_name: str, detail: str) -> Rejected:
    return Rejected(409, "conflict", "Conflict", detail, field_name)


def event_id_conflict(event_id: str) -> dict[str, Any]:
    """The problem for an `event_id` already used by a different event (idempotency key)."""
    problem = Rejected(
        409,
        "event-id-conflict",
        "Event id reused with different content",
        f"event_id {event_id!r} was already used for a different event; an event id is an "
        "idempotency key: re-send the identical event, or use a new id",
        "event_id",
    ).problem
    return {**problem, "event_id": event_id}


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """What an event id stands for: the content a repeat must match to be a duplicate."""

    type: str
    occurred_at: datetime
    payload: dict[str, Any]

    @classmethod
    def of(cls, event: Any) -> StoredEvent:
        """The content of a validated event."""
        return cls(event.type, event.occurred_at, event.payload())

    def same_as(self, event: Any) -> bool:
        """Whether `event` repeats this one (an omitted `occurred_at` matches any time)."""
        if event.type != self.type or event.payload() != self.payload:
            return False
        return "occurred_at" not in event.model_fields_set or event.occurred_at == self.occurred_at


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
    known_events: dict[str, StoredEvent]


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
_EVENT_COLUMNS = ("event_id", "type", "occurred_at", "payload")


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
    known_events: Iterable[Any],
) -> _Context:
    """The working copy built from loaded rows (columns as in `_*_COLUMNS`)."""
    ctx = _Context({}, {}, {}, {}, {}, {})
    for row in known_events:
        payload = row.payload if isinstance(row.payload, dict) else json.loads(row.payload)
        ctx.known_events[row.event_id] = StoredEvent(row.type, as_utc(row.occurred_at), payload)
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
    known = rows(Event.__table__, _EVENT_COLUMNS, "event_id", refs["event_id"])
    return _context(customers, plans, devices, claims, sessions, known)
