"""Ingest, step three: apply a batch's events in order to the in-memory working copy.

Each handler checks one event against the loaded rows (reference checks, the claim and session
state machines, ordering) and changes the working copy; a `Rejected` names the field. No I/O:
`ops/ingest.py` loads the rows before and writes the net changes after.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from command_center.ops import events as ev
from command_center.ops.ingest_batch import (
    AcceptedEvent,
    IngestResult,
    Rejected,
    StoredEvent,
    _ClaimRow,
    _conflict,
    _Context,
    _DeviceRow,
    _SessionRow,
    _unknown,
    event_id_conflict,
)
from command_center.ops.kpis import KpiDelta
from command_center.ops.state_machine import (
    SESSION_ACTIVE_STATES,
    IllegalTransition,
    next_claim_status,
    next_session_status,
)

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


# ---------------------------------------------------------------- a batch


def apply_batch(
    ctx: _Context, parsed: list[tuple[int, Any]], result: IngestResult
) -> tuple[list[Any], list[str]]:
    """Apply the events in order to the working copy.

    Returns the accepted events and the ids of rejected events that were not accepted.
    """
    seen: dict[str, Any] = {}  # event id → the event accepted earlier in this batch
    accepted: list[Any] = []
    rejected: set[str] = set()
    for index, event in parsed:
        earlier = ctx.known_events.get(event.event_id)
        if earlier is None and event.event_id in seen:
            earlier = StoredEvent.of(seen[event.event_id])
        if earlier is not None:
            if earlier.same_as(event):
                result.duplicates += 1
            else:
                problem = event_id_conflict(event.event_id)
                result.rejected.append({"index": index, "problem": problem})
            continue
        try:
            _HANDLERS[event.type](ctx, event)
        except Rejected as exc:
            result.rejected.append({"index": index, "problem": exc.problem})
            rejected.add(event.event_id)
            continue
        seen[event.event_id] = event
        accepted.append(event)
        result.events.append(
            AcceptedEvent(index, event.event_id, event.type, event.subject_id, event.occurred_at)
        )
    return accepted, sorted(rejected - seen.keys())


def kpi_delta(ctx: _Context, accepted: list[AcceptedEvent]) -> KpiDelta:
    delta = KpiDelta(event_times=[a.occurred_at for a in accepted])
    for claim in ctx.claims.values():
        if claim.new is not None or claim.dirty:
            delta.claims.append((claim.before, claim.contribution()))
    for session in ctx.sessions.values():
        if session.new is not None or session.dirty:
            delta.active_sessions += int(session.status in SESSION_ACTIVE_STATES)
            delta.active_sessions -= int(session.was_active)
    return delta
