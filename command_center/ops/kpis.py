"""Operational KPIs: incremental state (per event) and a full recompute from the database.

Both paths share the definitions below so they agree exactly. Every window is inclusive,
`start <= t <= now`, in UTC. See docs/kpis.md.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, select

from command_center.db.models import Claim, Event, IssueSession
from command_center.ops.state_machine import CLAIM_OPEN_STATES, SESSION_ACTIVE_STATES

DAY = timedelta(days=1)
APPROVAL_WINDOW = timedelta(hours=24)
RESOLUTION_WINDOW = timedelta(days=7)
SLA_AGE = timedelta(hours=48)
EVENT_RATE_WINDOW = timedelta(seconds=60)
_US = timedelta(microseconds=1)

_claims = Claim.__table__
_sessions = IssueSession.__table__
_events = Event.__table__


def as_utc(value: datetime) -> datetime:
    """Attach UTC to naive datetimes (SQLite returns them naive) and convert aware ones."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def day_start(now: datetime) -> datetime:
    """Midnight (UTC) of the day containing `now`."""
    now = as_utc(now)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def approval_rate(approved: int, decided: int) -> float | None:
    """Approved share of decisions, 4 decimals; None when nothing was decided."""
    return round(approved / decided, 4) if decided else None


def mean_hours(total_us: int, count: int) -> float | None:
    """Mean duration in hours (2 decimals) from a sum of microseconds; None when empty."""
    return round(total_us / count / 3_600_000_000, 2) if count else None


# ---------------------------------------------------------------- definitions (recompute)


def kpi_open_claims(conn: Any, now: datetime) -> int:
    """Claims not yet resolved: status filed, in_review or approved."""
    stmt = select(func.count()).where(_claims.c.status.in_(sorted(CLAIM_OPEN_STATES)))
    return int(conn.execute(stmt).scalar_one())


def kpi_claims_filed_today(conn: Any, now: datetime) -> int:
    """Claims whose filed_at falls on the current UTC day (midnight <= filed_at <= now)."""
    stmt = select(func.count()).where(
        _claims.c.filed_at >= day_start(now), _claims.c.filed_at <= now
    )
    return int(conn.execute(stmt).scalar_one())


def kpi_approval_rate_24h(conn: Any, now: datetime) -> float | None:
    """Of claims decided (decided_at) in the last 24 h, the share not denied; null if none."""
    stmt = select(_claims.c.status, func.count()).where(
        _claims.c.decided_at >= now - APPROVAL_WINDOW, _claims.c.decided_at <= now
    )
    counts = dict(conn.execute(stmt.group_by(_claims.c.status)).all())
    decided = sum(counts.values())
    return approval_rate(decided - counts.get("denied", 0), decided)


def kpi_mean_time_to_resolution_7d_hours(conn: Any, now: datetime) -> float | None:
    """Mean hours from filed_at to resolved_at over claims resolved (fulfilled, denied or
    cancelled) in the last 7 days; null if none."""
    stmt = select(_claims.c.filed_at, _claims.c.resolved_at).where(
        _claims.c.resolved_at >= now - RESOLUTION_WINDOW, _claims.c.resolved_at <= now
    )
    durations = [(as_utc(r) - as_utc(f)) // _US for f, r in conn.execute(stmt)]
    return mean_hours(sum(durations), len(durations))


def kpi_sla_breaches(conn: Any, now: datetime) -> int:
    """Open claims filed more than 48 h ago (filed_at < now - 48 h)."""
    stmt = select(func.count()).where(
        _claims.c.status.in_(sorted(CLAIM_OPEN_STATES)), _claims.c.filed_at < now - SLA_AGE
    )
    return int(conn.execute(stmt).scalar_one())


def kpi_active_sessions(conn: Any, now: datetime) -> int:
    """Issue sessions currently open or escalated."""
    stmt = select(func.count()).where(_sessions.c.status.in_(sorted(SESSION_ACTIVE_STATES)))
    return int(conn.execute(stmt).scalar_one())


def kpi_events_per_minute(conn: Any, now: datetime) -> int:
    """Events whose occurred_at lies in the last 60 s (now - 60 s <= occurred_at <= now)."""
    stmt = select(func.count()).where(
        _events.c.occurred_at >= now - EVENT_RATE_WINDOW, _events.c.occurred_at <= now
    )
    return int(conn.execute(stmt).scalar_one())


@dataclass(frozen=True)
class KpiDefinition:
    """One KPI: name, label, unit and the recompute function (its docstring is the meaning)."""

    name: str
    label: str
    unit: str
    recompute: Callable[[Any, datetime], Any]

    @property
    def description(self) -> str:
        """The definition in words (the recompute function's docstring)."""
        return " ".join((self.recompute.__doc__ or "").split())


KPI_DEFINITIONS: tuple[KpiDefinition, ...] = (
    KpiDefinition("open_claims", "Open claims", "count", kpi_open_claims),
    KpiDefinition("claims_filed_today", "Claims filed today", "count", kpi_claims_filed_today),
    KpiDefinition("approval_rate_24h", "Approval rate (24 h)", "ratio", kpi_approval_rate_24h),
    KpiDefinition(
        "mean_time_to_resolution_7d_hours",
        "Mean time to resolution (7 d)",
        "hours",
        kpi_mean_time_to_resolution_7d_hours,
    ),
    KpiDefinition("sla_breaches", "SLA breaches (> 48 h open)", "count", kpi_sla_breaches),
    KpiDefinition("active_sessions", "Active sessions", "count", kpi_active_sessions),
    KpiDefinition("events_per_minute", "Events per minute", "count", kpi_events_per_minute),
)
KPI_NAMES: tuple[str, ...] = tuple(d.name for d in KPI_DEFINITIONS)


def recompute_kpis(conn: Any, now: datetime) -> dict[str, Any]:
    """Every KPI computed from the database at `now` (a Session or Connection)."""
    now = as_utc(now)
    return {d.name: d.recompute(conn, now) for d in KPI_DEFINITIONS}


# ---------------------------------------------------------------- incremental state


class ClaimContribution(NamedTuple):
    """What one claim contributes to the KPIs (derived from its row)."""

    filed_at: datetime
    open: bool
    decided_at: datetime | None
    approved: bool
    resolved_at: datetime | None

    @classmethod
    def of(
        cls,
        status: str,
        filed_at: datetime,
        decided_at: datetime | None,
        resolved_at: datetime | None,
    ) -> ClaimContribution:
        """Build from a claim's status and timestamps."""
        return cls(
            as_utc(filed_at),
            status in CLAIM_OPEN_STATES,
            as_utc(decided_at) if decided_at else None,
            status != "denied",
            as_utc(resolved_at) if resolved_at else None,
        )


@dataclass
class KpiDelta:
    """The KPI-relevant effect of a batch: claim contribution changes, sessions, events."""

    claims: list[tuple[ClaimContribution | None, ClaimContribution]] = field(default_factory=list)
    active_sessions: int = 0
    event_times: list[datetime] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.claims or self.active_sessions or self.event_times)


class TimeMultiset:
    """A sorted multiset of sortable keys with signed counts (commutative add/remove).

    Keys and their counts are two aligned lists, so a range count is `sum` over a list slice
    (C speed), and over the complement when that is shorter (the running total minus the
    rest): a snapshot is taken after every batch — one event per request is one batch — and
    its windows usually span nearly every key (claims filed today, the last minute's
    events), so it costs what lies outside them, not every claim filed today.
    """

    def __init__(self) -> None:
        self._keys: list[Any] = []
        self._counts: list[int] = []
        self._total = 0

    def add(self, key: Any, n: int = 1) -> None:
        """Add `n` (may be negative) occurrences of `key`."""
        self._total += n
        index = bisect.bisect_left(self._keys, key)
        if index < len(self._keys) and self._keys[index] == key:
            count = self._counts[index] + n
            if count == 0:
                del self._keys[index], self._counts[index]
            else:
                self._counts[index] = count
        elif n:
            self._keys.insert(index, key)
            self._counts.insert(index, n)

    def _range(self, lo: Any, hi: Any) -> slice:
        return slice(bisect.bisect_left(self._keys, lo), bisect.bisect_right(self._keys, hi))

    def items_between(self, lo: Any, hi: Any) -> Iterable[tuple[Any, int]]:
        """(key, count) for lo <= key <= hi."""
        span = self._range(lo, hi)
        return zip(self._keys[span], self._counts[span], strict=True)

    def count_between(self, lo: Any, hi: Any) -> int:
        """Occurrences with lo <= key <= hi: summed over the range or, when that is most of
        the keys (a window that starts where the set was pruned), over what lies outside."""
        span = self._range(lo, hi)
        if 2 * (span.stop - span.start) <= len(self._keys):
            return sum(self._counts[span])
        return self._total - sum(self._counts[: span.start]) - sum(self._counts[span.stop :])

    def count_below(self, hi: Any) -> int:
        """Occurrences with key < hi (summed over the shorter side)."""
        stop = bisect.bisect_left(self._keys, hi)
        if 2 * stop <= len(self._keys):
            return sum(self._counts[:stop])
        return self._total - sum(self._counts[stop:])

    def total(self) -> int:
        """All occurrences."""
        return self._total

    def prune_below(self, lo: Any) -> None:
        """Forget keys < lo (they can no longer enter any window)."""
        stop = bisect.bisect_left(self._keys, lo)
        self._total -= sum(self._counts[:stop])
        del self._keys[:stop], self._counts[:stop]

    def __len__(self) -> int:
        return len(self._keys)


_MIN_US = -(10**18)


class KpiState:
    """Incrementally maintained inputs of every KPI; `snapshot(now)` evaluates the windows.

    Time-windowed KPIs keep the timestamps that can still fall inside a window, so the
    result is exact for any `now` (not bucketed). Deltas commute, so concurrent batches
    may be applied in any order.
    """

    def __init__(self) -> None:
        self.open_filed = TimeMultiset()  # filed_at of open claims
        self.filed = TimeMultiset()  # filed_at of claims (recent)
        self.approved = TimeMultiset()  # decided_at of non-denied decisions
        self.denied = TimeMultiset()  # decided_at of denials
        self.resolved = TimeMultiset()  # (resolved_at, duration_us)
        self.events = TimeMultiset()  # occurred_at
        self.active_sessions = 0
        self._pruned_at: datetime | None = None

    def _claim(self, c: ClaimContribution, sign: int) -> None:
        self.filed.add(c.filed_at, sign)
        if c.open:
            self.open_filed.add(c.filed_at, sign)
        if c.decided_at is not None:
            (self.approved if c.approved else self.denied).add(c.decided_at, sign)
        if c.resolved_at is not None:
            duration = (c.resolved_at - c.filed_at) // _US
            self.resolved.add((c.resolved_at, duration), sign)

    def apply(self, delta: KpiDelta) -> None:
        """Apply one batch's delta."""
        for old, new in delta.claims:
            if old == new:
                continue
            if old is not None:
                self._claim(old, -1)
            self._claim(new, +1)
        self.active_sessions += delta.active_sessions
        for at in delta.event_times:
            self.events.add(as_utc(at))

    def prune(self, now: datetime) -> None:
        """Drop timestamps older than every window at `now` (only ever moves forward)."""
        now = as_utc(now)
        if self._pruned_at is not None and now <= self._pruned_at:
            return
        self._pruned_at = now
        self.filed.prune_below(day_start(now))
        self.approved.prune_below(now - APPROVAL_WINDOW)
        self.denied.prune_below(now - APPROVAL_WINDOW)
        self.resolved.prune_below((now - RESOLUTION_WINDOW, _MIN_US))
        self.events.prune_below(now - EVENT_RATE_WINDOW)

    def snapshot(self, now: datetime) -> dict[str, Any]:
        """Every KPI at `now`, equal to `recompute_kpis` on a database in the same state."""
        now = as_utc(now)
        self.prune(now)
        approved = self.approved.count_between(now - APPROVAL_WINDOW, now)
        decided = approved + self.denied.count_between(now - APPROVAL_WINDOW, now)
        total_us = count = 0
        for (_at, duration), n in self.resolved.items_between(
            (now - RESOLUTION_WINDOW, _MIN_US), (now, -_MIN_US)
        ):
            total_us += duration * n
            count += n
        return {
            "open_claims": self.open_filed.total(),
            "claims_filed_today": self.filed.count_between(day_start(now), now),
            "approval_rate_24h": approval_rate(approved, decided),
            "mean_time_to_resolution_7d_hours": mean_hours(total_us, count),
            "sla_breaches": self.open_filed.count_below(now - SLA_AGE),
            "active_sessions": self.active_sessions,
            "events_per_minute": self.events.count_between(now - EVENT_RATE_WINDOW, now),
        }

    @classmethod
    def load(cls, conn: Any, now: datetime) -> KpiState:
        """Build the state from the database at `now` (start-up and reconcile)."""
        now = as_utc(now)
        state = cls()
        c = _claims.c
        horizon = min(day_start(now), now - APPROVAL_WINDOW)
        stmt = select(c.status, c.filed_at, c.decided_at, c.resolved_at).where(
            c.status.in_(sorted(CLAIM_OPEN_STATES))
            | (c.filed_at >= horizon)
            | (c.decided_at >= now - APPROVAL_WINDOW)
            | (c.resolved_at >= now - RESOLUTION_WINDOW)
        )
        for status, filed_at, decided_at, resolved_at in conn.execute(stmt):
            state._claim(ClaimContribution.of(status, filed_at, decided_at, resolved_at), +1)
        state.active_sessions = kpi_active_sessions(conn, now)
        for (at,) in conn.execute(
            select(_events.c.occurred_at).where(_events.c.occurred_at >= now - EVENT_RATE_WINDOW)
        ):
            state.events.add(as_utc(at))
        state.prune(now)
        return state
