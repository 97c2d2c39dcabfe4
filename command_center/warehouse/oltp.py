"""Reading operational claims for the warehouse: the initial copy and the incremental changes.

The event log is the change feed: every change to a claim is an event row, and `events.id`
only grows, so the high-water mark is the last event id applied (stored in the warehouse's
`_meta`, committed with the rows it covers). Each step reads the claim events after the mark,
then the *current* state of those claims, and upserts them keyed on claim id — so applying a
step twice changes nothing, and a claim that changed twice between steps lands in its last
state. On PostgreSQL an id can become visible after a higher one (a transaction that took its
id earlier commits later, or rolls back and leaves a hole): the mark stops below such a gap
until it is filled or older than the grace period, and the rows above it are re-applied.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine

from command_center import business as biz
from command_center.db.models import Claim, Customer, Device, Event, Plan
from command_center.settings import Settings
from command_center.warehouse.store import META_TABLE, QUALIFIED_TABLE, upsert_rows, write_meta

CHUNK = 900
MAX_EVENTS_PER_STEP = 20_000


@dataclass(frozen=True)
class OltpFacts:
    """What the warehouse build needs to know about the OLTP database."""

    key: str
    claims: int
    boundary: dt.datetime  # naive UTC: history ends here


@dataclass
class StepResult:
    """One sync step: how many events and claims it applied, and the new mark."""

    events: int = 0
    claims: int = 0
    hwm: int = 0
    seq: int = 0
    as_of: str = ""
    seconds: float = 0.0


@dataclass
class GapTracker:
    """When each event-id gap was first seen (in-memory; a restart simply re-applies)."""

    first_seen: dict[int, float] = field(default_factory=dict)


def naive_utc(value: dt.datetime | None) -> dt.datetime | None:
    """`value` as a naive UTC datetime (DuckDB TIMESTAMP); SQLite returns naive UTC already."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(dt.UTC).replace(tzinfo=None)


class OltpSource:
    """The operational database the warehouse copies (None engine = no database yet)."""

    def __init__(self, engine: Engine | None) -> None:
        self.engine = engine

    @classmethod
    def for_settings(cls, settings: Settings, engine: Any = None) -> OltpSource:
        """The configured OLTP database; an embedded SQLite file that does not exist is none."""
        if engine is not None:
            return cls(engine)
        if (
            settings.database_mode == "sqlite"
            and not (settings.data_dir / "command_center.db").exists()
        ):
            return cls(None)
        from command_center.db.session import engine_for

        return cls(engine_for(settings.effective_database_url))

    def _ready(self) -> bool:
        return self.engine is not None and inspect(self.engine).has_table(Claim.__tablename__)

    def identity(self) -> str:
        """Which OLTP data this is: its first claim (id and filing time), `empty` or `none`."""
        if not self._ready():
            return "none"
        assert self.engine is not None
        with self.engine.connect() as conn:
            first = conn.execute(
                select(Claim.external_id, Claim.filed_at).order_by(Claim.id).limit(1)
            ).first()
        if first is None:
            return "empty"
        return f"{first.external_id}@{naive_utc(first.filed_at).isoformat()}"  # type: ignore[union-attr]

    def facts(self, retention_days: int) -> OltpFacts:
        """Identity, claim count and where the generated history must end."""
        midnight = dt.datetime.combine(dt.datetime.now(dt.UTC).date(), dt.time())
        fallback = midnight - dt.timedelta(days=retention_days)
        if not self._ready():
            return OltpFacts("none", 0, fallback)
        assert self.engine is not None
        with self.engine.connect() as conn:
            count, oldest = conn.execute(select(func.count(), func.min(Claim.filed_at))).one()
        if oldest is None:
            return OltpFacts(self.identity(), int(count), fallback)
        # History ends where the OLTP's retention starts, or earlier if the OLTP still
        # holds older claims: days the OLTP retains belong to it, even when they are quiet.
        cutoff = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        cutoff -= dt.timedelta(days=retention_days)
        boundary = min(naive_utc(oldest).replace(microsecond=0), cutoff)  # type: ignore[union-attr]
        return OltpFacts(self.identity(), int(count), boundary)

    # ------------------------------------------------------------------ reading

    def _claims_query(self) -> Any:
        return (
            select(
                Claim.external_id,
                Customer.external_id,
                Plan.name,
                Plan.tier,
                Claim.status,
                Claim.loss_type,
                Claim.region,
                Claim.channel,
                Device.make,
                Device.model,
                Claim.filed_at,
                Claim.resolved_at,
                Claim.payout_amount,
                Plan.deductible,
            )
            .join(Customer, Customer.id == Claim.customer_id)
            .join(Device, Device.id == Claim.device_id)
            .outerjoin(Plan, Plan.id == Device.plan_id)
        )

    def claims(self, external_ids: Sequence[str] | None = None) -> list[tuple]:
        """ev_claim rows for the given claims (all claims when None), as the warehouse spells
        them: the same id, status, region, channel, make, loss type, payout and timestamps."""
        if not self._ready():
            return []
        assert self.engine is not None
        query = self._claims_query()
        found: list[Any] = []
        with self.engine.connect() as conn:
            if external_ids is None:
                found.extend(conn.execute(query))
            else:
                for start in range(0, len(external_ids), CHUNK):
                    part = external_ids[start : start + CHUNK]
                    found.extend(conn.execute(query.where(Claim.external_id.in_(part))))
        return [_row(r) for r in found]

    def claim_events(self, after: int, limit: int) -> list[tuple[int, str, str]]:
        """(id, type, subject) of the events after id `after`, in id order (every type, so
        gaps are seen; only claim events carry work)."""
        if not self._ready():
            return []
        assert self.engine is not None
        query = (
            select(Event.id, Event.type, Event.subject_id)
            .where(Event.id > after)
            .order_by(Event.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [(int(i), t, s) for i, t, s in conn.execute(query)]

    def max_event_id(self) -> int:
        """The highest event id now visible (0 when none)."""
        if not self._ready():
            return 0
        assert self.engine is not None
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.max(Event.id))) or 0)


def _row(r: Any) -> tuple:
    plan_name, tier, plan_deductible = r[2], r[3], r[13]
    if plan_name is None:
        plan_name, tier, plan_deductible = biz.NO_PLAN.name, biz.NO_PLAN.tier, 0.0
    loss = r[5]
    return (
        r[0],
        r[1],
        plan_name,
        tier,
        r[4],
        loss,
        r[6],
        r[7],
        r[8],
        r[9],
        naive_utc(r[10]),
        naive_utc(r[11]),
        r[12],
        biz.deductible(float(plan_deductible), loss),
    )


def safe_mark(
    hwm: int, ids: Iterable[int], gaps: GapTracker | None, grace: float, now: float
) -> int:
    """The new high-water mark: the highest id seen, but below the oldest gap still in grace."""
    seen = sorted(ids)
    if not seen:
        return hwm
    expected = hwm + 1
    for event_id in seen:
        if event_id != expected:  # ids expected..event_id-1 are not visible (yet)
            if gaps is None or grace <= 0:
                expected = event_id + 1
                continue
            since = gaps.first_seen.setdefault(expected, now)
            if now - since < grace:
                return expected - 1
            gaps.first_seen.pop(expected, None)
        expected = event_id + 1
    return seen[-1]


def apply_changes(
    conn: duckdb.DuckDBPyConnection,
    source: OltpSource,
    *,
    gap_grace_seconds: float,
    gaps: GapTracker | None = None,
) -> StepResult:
    """Apply the OLTP changes after the stored mark to the open working file, in one
    transaction with the new mark. A never-synced file (mark 0) gets a full copy."""
    started = time.perf_counter()
    meta = dict(conn.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
    hwm, seq = int(meta.get("sync_hwm", "0")), int(meta.get("sync_seq", "0"))
    as_of = dt.datetime.now(dt.UTC)
    if hwm == 0:
        top = source.max_event_id()  # read first: later events are re-applied, harmlessly
        rows, events, new_hwm = source.claims(None), 0, top
    else:
        events_seen = source.claim_events(hwm, MAX_EVENTS_PER_STEP)
        claim_ids = sorted({s for _i, t, s in events_seen if t.startswith("claim_")})
        rows = source.claims(claim_ids) if claim_ids else []
        events = len(events_seen)
        new_hwm = safe_mark(
            hwm, (i for i, _t, _s in events_seen), gaps, gap_grace_seconds, time.monotonic()
        )
    if not rows and hwm != 0:  # nothing to show readers: keep the mark, no new version
        if new_hwm != hwm:
            write_meta(conn, {"sync_hwm": str(new_hwm)})
        return StepResult(events, 0, new_hwm, seq, meta.get("as_of", ""), 0.0)
    conn.execute("BEGIN TRANSACTION")
    try:
        applied = upsert_rows(conn, rows)
        total = conn.execute(f"SELECT count(*) FROM {QUALIFIED_TABLE}").fetchone()[0]  # type: ignore[index]
        stamp = as_of.isoformat(timespec="seconds")
        write_meta(
            conn,
            {
                "sync_hwm": str(new_hwm),
                "sync_seq": str(seq + 1),
                "as_of": stamp,
                "rows": str(total),
            },
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return StepResult(events, applied, new_hwm, seq + 1, stamp, time.perf_counter() - started)
