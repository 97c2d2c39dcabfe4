"""Recent operational activity read from the OLTP database: claim counts per status and the
latest events (what the dashboard's live panels start from)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import func, select

from command_center.ops.state_machine import CLAIM_STATUSES

RECENT_EVENTS = 25
_status_cache: tuple[float, list[dict[str, Any]]] = (0.0, [])
_status_query: asyncio.Future[list[dict[str, Any]]] | None = None


def claims_by_status(max_age_seconds: float = 1.0) -> list[dict[str, Any]]:
    """`[{"status", "count"}]` per claim status (all claims), in lifecycle order; memoised
    per process for `max_age_seconds`."""
    global _status_cache
    stamp, rows = _status_cache
    if time.monotonic() - stamp < max_age_seconds:
        return rows
    from command_center.db.models import Claim
    from command_center.db.session import session_scope

    with session_scope() as session:
        result = session.execute(select(Claim.status, func.count()).group_by(Claim.status))
        counts = {status: count for status, count in result.all()}
    order = [*CLAIM_STATUSES, *sorted(set(counts) - set(CLAIM_STATUSES))]
    rows = [{"status": s, "count": counts[s]} for s in order if s in counts]
    _status_cache = (time.monotonic(), rows)
    return rows


async def shared_claims_by_status(max_age_seconds: float = 1.0) -> list[dict[str, Any]]:
    """`claims_by_status` for every tab of this process at once: a fresh memo is returned
    without leaving the event loop, and a stale one is re-read by a single query that all
    waiting tabs share (never one query, or one thread hop, per tab)."""
    global _status_query
    stamp, rows = _status_cache
    if time.monotonic() - stamp < max_age_seconds:
        return rows
    loop = asyncio.get_running_loop()
    if _status_query is None or _status_query.done() or _status_query.get_loop() is not loop:
        _status_query = loop.run_in_executor(None, claims_by_status, max_age_seconds)
    return await asyncio.shield(_status_query)


def recent_events(limit: int = RECENT_EVENTS) -> list[dict[str, Any]]:
    """The latest events from the log, newest first (fills the feed on connect)."""
    from command_center.db.models import Event
    from command_center.db.session import session_scope

    with session_scope() as session:
        rows = session.execute(
            select(Event.event_id, Event.type, Event.subject_id, Event.occurred_at)
            .order_by(Event.id.desc())
            .limit(limit)
        ).all()
    return [
        {
            "event_id": event_id,
            "type": type_,
            "subject_id": subject,
            "occurred_at": occurred.isoformat() if occurred else "",
        }
        for event_id, type_, subject, occurred in rows
    ]
