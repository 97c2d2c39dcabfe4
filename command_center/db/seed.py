"""Deterministic, idempotent demo data: catalog, customers, devices, claims, sessions, events."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import Engine

from command_center import business as biz
from command_center.db.models import (
    Claim,
    Customer,
    Device,
    Event,
    IssueSession,
    MetricDefinitionRow,
    Plan,
    utcnow,
)
from command_center.metrics.definitions import SEEDED_METRICS

RNG_SEED = 20_261_123
DEFAULT_RETENTION_DAYS = 45
SESSION_WINDOW_DAYS = 30
LIVE_SESSION_SHARE = 0.05  # sessions opened in the last two hours (open on every fresh seed)
FIRST = [
    "Ana",
    "Ben",
    "Chen",
    "Dara",
    "Eli",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lena",
]
LAST = ["Smith", "Garcia", "Nguyen", "Okafor", "Kowalski", "Patel", "Rossi", "Kim", "Haddad"]


@dataclass
class SeedReport:
    """What a seeding run inserted (zeros when the data was already there)."""

    metrics: int = 0
    widgets: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def skipped(self) -> bool:
        """True when the demo data already existed."""
        return not self.counts


def seed_catalog(engine: Engine) -> int:
    """Insert any seeded metric definition missing from `metrics_catalog` and bring seed-origin
    rows in line with their current definition (one definition per metric); returns how many
    rows were inserted or updated."""
    with engine.begin() as conn:
        present = {
            row.id: row
            for row in conn.execute(
                select(MetricDefinitionRow).where(MetricDefinitionRow.origin == "seed")
            )
        }
        known = set(conn.scalars(select(MetricDefinitionRow.id)))
        rows = [
            {**metric.model_dump(), "created_at": utcnow()}
            for metric in SEEDED_METRICS
            if metric.id not in known
        ]
        if rows:
            conn.execute(insert(MetricDefinitionRow), rows)
        changed = 0
        for metric in SEEDED_METRICS:
            row = present.get(metric.id)
            data = metric.model_dump()
            if row is not None and any(getattr(row, k) != v for k, v in data.items()):
                conn.execute(  # a new stamp, so every process's catalog_snapshot re-reads
                    update(MetricDefinitionRow)
                    .where(MetricDefinitionRow.id == metric.id)
                    .values(**data, created_at=utcnow())
                )
                changed += 1
    return len(rows) + changed


def seed_demo(
    engine: Engine,
    customers: int,
    now: datetime | None = None,
    *,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> SeedReport:
    """Seed catalog and demo data once; a second run inserts nothing.

    Content is fully determined by `RNG_SEED`, `customers` and `retention_days` (claims,
    sessions and events cover that many trailing days; older claims live only in the
    warehouse history); timestamps are offsets from `now`.
    """
    from command_center.db.seed_widgets import seed_widgets

    report = SeedReport(metrics=seed_catalog(engine))
    report.widgets = seed_widgets(engine)
    with engine.begin() as conn:
        if conn.scalar(select(func.count()).select_from(Customer)):
            return report
        rows = DemoDataBuilder(customers, now or utcnow(), retention_days).build()
        for model, batch in rows.items():
            for start in range(0, len(batch), 2_000):
                conn.execute(insert(model), batch[start : start + 2_000])
            report.counts[model.__tablename__] = len(batch)
            if conn.dialect.name == "postgresql":
                _advance_sequence(conn, model.__tablename__)
    return report


def _advance_sequence(conn: Any, table: str) -> None:
    """Rows were inserted with explicit ids: move the id sequence past them (PostgreSQL)."""
    conn.execute(
        text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )
    )


class DemoDataBuilder:
    """Builds the demo rows in memory, with ids assigned up front (no round trips).

    Customers and devices are master data (kept whatever their age); claims, sessions and
    events cover the last `retention_days` only, at the rates of `command_center.business`.
    """

    def __init__(self, customers: int, now: datetime, retention_days: int) -> None:
        self.rng = random.Random(RNG_SEED)
        self.customers = customers
        self.now = now
        self.retention = timedelta(days=retention_days)
        self.rows: dict[Any, list[dict]] = {
            m: [] for m in (Plan, Customer, Device, Claim, IssueSession, Event)
        }
        self._enrolled: list[dict] = []
        self._customer_ext: dict[int, tuple[str, str]] = {}

    def build(self) -> dict[Any, list[dict]]:
        """Return rows per model, in foreign-key order."""
        self._plans()
        for index in range(1, self.customers + 1):
            self._customer(index)
        for _ in range(round(biz.claims_per_day(self.customers) * self.retention.days)):
            self._claim()
        sessions = round(biz.sessions_per_day(self.customers) * SESSION_WINDOW_DAYS)
        live = max(1, round(sessions * LIVE_SESSION_SHARE)) if sessions else 0
        for number in range(sessions):
            self._session(live=number < live)
        self.rows[Event].sort(key=lambda row: row["occurred_at"])
        for number, row in enumerate(self.rows[Event], start=1):
            row["id"], row["event_id"] = number, f"seed-{number:08d}"
        return self.rows

    def _ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def _event(self, type_: str, at: datetime, subject: str, payload: dict) -> None:
        if self.now - at > self.retention:
            return  # the event log keeps the retention window only
        self.rows[Event].append(
            {
                "type": type_,
                "occurred_at": at,
                "received_at": at,
                "subject_id": subject,
                "payload": payload,
            }
        )

    def _pick(self, weighted: list[tuple[str, float]]) -> str:
        return self.rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]

    def _plans(self) -> None:
        for number, product in enumerate(biz.PRODUCTS, start=1):
            self.rows[Plan].append(
                {
                    "id": number,
                    "code": product.code,
                    "name": product.name,
                    "tier": product.tier,
                    "monthly_premium": product.monthly_premium,
                    "deductible": product.deductible,
                }
            )

    def _customer(self, index: int) -> None:
        rng = self.rng
        external = f"CUST-{index:06d}"
        region = self._pick(biz.REGIONS)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        self.rows[Customer].append(
            {
                "id": index,
                "external_id": external,
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}.{index}@example.com",
                "region": region,
                "segment": self._pick(biz.SEGMENTS),
                "created_at": self._ago(rng.uniform(30, 1_500)),
            }
        )
        self._customer_ext[index] = (external, region)
        for _ in range(int(self._pick(biz.DEVICES_PER_CUSTOMER))):
            self._device(index, external)

    def _device(self, customer_id: int, customer_ext: str) -> None:
        rng = self.rng
        number = len(self.rows[Device]) + 1
        products = biz.PRODUCTS
        product = rng.choices(products, weights=[p.weight for p in products])[0]
        devices = biz.DEVICES[product.category]
        make, model, _ = rng.choices(devices, weights=[d[2] for d in devices])[0]
        registered = self._ago(rng.uniform(0.05, 1_400))
        enrolled = rng.random() < biz.ENROLLED_SHARE
        cancelled = enrolled and rng.random() < 0.06
        enrolled_at = registered + timedelta(hours=rng.uniform(0, 48)) if enrolled else None
        enrolled_at = min(enrolled_at, self.now) if enrolled_at else None
        device_ext = f"DEV-{number:06d}"
        row = {
            "id": number,
            "external_id": device_ext,
            "customer_id": customer_id,
            "plan_id": biz.PRODUCTS.index(product) + 1 if enrolled else None,
            "make": make,
            "model": model,
            "category": product.category,
            "plan_status": ("cancelled" if cancelled else "active") if enrolled else "none",
            "registered_at": registered,
            "enrolled_at": enrolled_at,
            # spread over the last year (a monthly series has more than one point); derived
            # from the row number so the random stream, and every other row, stays the same
            "plan_cancelled_at": max(enrolled_at, self._ago(number * 37 % 366))
            if cancelled and enrolled_at
            else None,
        }
        self.rows[Device].append(row)
        if enrolled:
            self._enrolled.append(row | {"product": product, "customer_ext": customer_ext})
        self._event(
            "device_registered",
            registered,
            device_ext,
            {"device_id": device_ext, "customer_id": customer_ext, "make": make, "model": model},
        )

    def _filed_at(self) -> datetime:
        """A filing time in the retention window, weighted by hour of day (UTC)."""
        rng = self.rng
        while True:
            day = self.now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
                days=rng.randrange(self.retention.days + 1)
            )
            hour = rng.choices(range(24), weights=biz.HOUR_WEIGHTS)[0]
            at = day + timedelta(hours=hour, seconds=rng.uniform(0, 3_600))
            if self.now - self.retention <= at < self.now:
                return at

    def _claim(self) -> None:
        rng = self.rng
        filed = self._filed_at()
        device = rng.choice(self._enrolled) if self._enrolled else None
        for _ in range(20):  # a device enrolled before the filing
            if device and device["enrolled_at"] <= filed:
                break
            device = rng.choice(self._enrolled)
        if device is None or device["enrolled_at"] > filed:
            return
        number = len(self.rows[Claim]) + 1
        claim_ext = f"CLM-{number:06d}"
        loss = self._pick(biz.LOSS_TYPES)
        status, decided, resolved = _claim_outcome(rng, filed, self.now)
        payout = biz.payout(loss, device["product"].payout_factor, rng.random())
        customer_ext, region = self._customer_ext[device["customer_id"]]
        self.rows[Claim].append(
            {
                "id": number,
                "external_id": claim_ext,
                "customer_id": device["customer_id"],
                "device_id": device["id"],
                "status": status,
                "loss_type": loss,
                "region": region,
                "channel": self._pick(biz.CHANNELS),
                "filed_at": filed,
                "decided_at": decided,
                "resolved_at": resolved,
                "payout_amount": payout if status == "fulfilled" else None,
            }
        )
        device_ext = device["external_id"]
        base = {"claim_id": claim_ext, "customer_id": customer_ext, "device_id": device_ext}
        self._event("claim_filed", filed, claim_ext, base)
        if decided:
            decision = "claim_denied" if status == "denied" else "claim_approved"
            self._event(decision, decided, claim_ext, {"claim_id": claim_ext})
        if status == "fulfilled" and resolved:
            payload = {"claim_id": claim_ext, "payout_amount": payout}
            self._event("claim_fulfilled", resolved, claim_ext, payload)
        if status == "cancelled" and resolved:
            self._event("claim_cancelled", resolved, claim_ext, {"claim_id": claim_ext})

    def _session(self, *, live: bool = False) -> None:
        """One support session; `live` ones were opened in the last two hours (still open)."""
        rng = self.rng
        device = rng.choice(self.rows[Device])
        customer_ext, _region = self._customer_ext[device["customer_id"]]
        number = len(self.rows[IssueSession]) + 1
        session_ext = f"SES-{number:06d}"
        days = rng.uniform(0.001, 0.08) if live else rng.triangular(0.01, SESSION_WINDOW_DAYS, 0.5)
        opened = self._ago(days)
        age_h = (self.now - opened).total_seconds() / 3600
        resolved = opened + timedelta(hours=rng.uniform(0.2, 12))
        is_resolved = resolved < self.now and age_h > 2
        escalated = rng.random() < 0.15
        status = "resolved" if is_resolved else ("escalated" if escalated else "open")
        self.rows[IssueSession].append(
            {
                "id": number,
                "external_id": session_ext,
                "customer_id": device["customer_id"],
                "device_id": device["id"],
                "claim_id": None,
                "status": status,
                "channel": rng.choice([c for c, _ in biz.CHANNELS]),
                "topic": rng.choice(biz.TOPICS),
                "opened_at": opened,
                "escalated_at": opened + timedelta(minutes=20) if escalated else None,
                "resolved_at": resolved if is_resolved else None,
            }
        )
        payload = {
            "session_id": session_ext,
            "customer_id": customer_ext,
            "device_id": device["external_id"],
        }
        self._event("session_opened", opened, session_ext, payload)
        if is_resolved:
            self._event("session_resolved", resolved, session_ext, {"session_id": session_ext})


_DOWNGRADE = {"fulfilled": "approved", "denied": "in_review", "cancelled": "filed"}


def _claim_outcome(
    rng: random.Random, filed: datetime, now: datetime
) -> tuple[str, datetime | None, datetime | None]:
    """Status (weighted by age, as the warehouse history) with decision/resolution times."""
    age_days = (now - filed).total_seconds() / 86_400
    weights = biz.status_weights(age_days)
    status = rng.choices([s for s, _ in weights], weights=[w for _, w in weights])[0]
    resolved = filed + timedelta(hours=biz.resolve_delay_hours(rng.random()))
    decided = filed + (resolved - filed) * rng.uniform(0.2, 0.8)
    if status in _DOWNGRADE and resolved >= now:
        status = _DOWNGRADE[status]
    if status == "approved" and decided >= now:
        status = "in_review"
    if status in {"filed", "in_review"}:
        return status, None, None
    if status == "approved":
        return status, decided, None
    if status == "cancelled":
        return status, None, resolved
    if status == "denied":
        return status, resolved, resolved
    return status, decided, resolved
