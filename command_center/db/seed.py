"""Deterministic, idempotent demo data: catalog, customers, devices, claims, sessions, events."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import Engine

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
REGIONS = ["Northeast", "Southeast", "Midwest", "Southwest", "West"]
SEGMENTS = ["consumer", "small_business", "enterprise"]
CHANNELS = ["app", "web", "phone", "retail"]
LOSS_TYPES = ["cracked_screen", "water_damage", "theft", "loss", "battery", "malfunction"]
TOPICS = ["claim_status", "device_setup", "billing", "coverage_question", "repair_scheduling"]
DEVICE_MODELS = {
    "Apple": ["iPhone 16", "iPhone 15", "iPad Air", "MacBook Air"],
    "Samsung": ["Galaxy S25", "Galaxy S24", "Galaxy Tab S9", "Galaxy Watch 7"],
    "Google": ["Pixel 9", "Pixel 8a", "Pixel Tablet"],
    "Motorola": ["moto g 2025", "razr+"],
    "OnePlus": ["OnePlus 13", "OnePlus Pad 2"],
}
PLANS = [
    ("MP-BASIC", "Mobile Protect", "basic", 9.99, 99.0),
    ("MP-PLUS", "Mobile Protect Plus", "plus", 15.99, 49.0),
    ("HOME-TECH", "Home Tech", "plus", 24.99, 89.0),
    ("LAPTOP-CARE", "Laptop Care", "basic", 12.99, 149.0),
    ("TABLET-SHIELD", "Tablet Shield", "basic", 8.99, 79.0),
]
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
                conn.execute(
                    update(MetricDefinitionRow)
                    .where(MetricDefinitionRow.id == metric.id)
                    .values(**data)
                )
                changed += 1
    return len(rows) + changed


def seed_demo(engine: Engine, customers: int, now: datetime | None = None) -> SeedReport:
    """Seed catalog and demo data once; a second run inserts nothing.

    Content is fully determined by `RNG_SEED` and `customers`; timestamps are offsets from
    `now` so "today" and "last 24 h" KPIs have data on every start.
    """
    from command_center.db.seed_widgets import seed_widgets

    report = SeedReport(metrics=seed_catalog(engine))
    report.widgets = seed_widgets(engine)
    with engine.begin() as conn:
        if conn.scalar(select(func.count()).select_from(Customer)):
            return report
        rows = DemoDataBuilder(customers, now or utcnow()).build()
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
    """Builds the demo rows in memory, with ids assigned up front (no round trips)."""

    def __init__(self, customers: int, now: datetime) -> None:
        self.rng = random.Random(RNG_SEED)
        self.customers = customers
        self.now = now
        self.rows: dict[Any, list[dict]] = {
            m: [] for m in (Plan, Customer, Device, Claim, IssueSession, Event)
        }

    def build(self) -> dict[Any, list[dict]]:
        """Return rows per model, in foreign-key order."""
        self._plans()
        for index in range(1, self.customers + 1):
            self._customer(index)
        return self.rows

    def _ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def _event(self, type_: str, at: datetime, subject: str, payload: dict) -> None:
        number = len(self.rows[Event]) + 1
        self.rows[Event].append(
            {
                "id": number,
                "event_id": f"seed-{number:08d}",
                "type": type_,
                "occurred_at": at,
                "received_at": at,
                "subject_id": subject,
                "payload": payload,
            }
        )

    def _plans(self) -> None:
        for number, (code, name, tier, premium, deductible) in enumerate(PLANS, start=1):
            self.rows[Plan].append(
                {
                    "id": number,
                    "code": code,
                    "name": name,
                    "tier": tier,
                    "monthly_premium": premium,
                    "deductible": deductible,
                }
            )

    def _customer(self, index: int) -> None:
        rng = self.rng
        external = f"CUST-{index:06d}"
        region = rng.choice(REGIONS)
        created = self._ago(rng.uniform(30, 720))
        first, last = rng.choice(FIRST), rng.choice(LAST)
        self.rows[Customer].append(
            {
                "id": index,
                "external_id": external,
                "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}.{index}@example.com",
                "region": region,
                "segment": rng.choices(SEGMENTS, weights=[80, 15, 5])[0],
                "created_at": created,
            }
        )
        for _ in range(rng.choices([1, 2, 3], weights=[65, 28, 7])[0]):
            self._device(index, external, region)

    def _device(self, customer_id: int, customer_ext: str, region: str) -> None:
        rng = self.rng
        number = len(self.rows[Device]) + 1
        make = rng.choices(list(DEVICE_MODELS), weights=[40, 30, 12, 10, 8])[0]
        model = rng.choice(DEVICE_MODELS[make])
        category = _category(model)
        registered = self._ago(rng.uniform(0.05, 400))
        enrolled = rng.random() < 0.85
        cancelled = enrolled and rng.random() < 0.06
        enrolled_at = registered + timedelta(hours=rng.uniform(0, 48)) if enrolled else None
        enrolled_at = min(enrolled_at, self.now) if enrolled_at else None
        device_ext = f"DEV-{number:06d}"
        self.rows[Device].append(
            {
                "id": number,
                "external_id": device_ext,
                "customer_id": customer_id,
                "plan_id": rng.randint(1, len(PLANS)) if enrolled else None,
                "make": make,
                "model": model,
                "category": category,
                "plan_status": ("cancelled" if cancelled else "active") if enrolled else "none",
                "registered_at": registered,
                "enrolled_at": enrolled_at,
                "plan_cancelled_at": self.now if cancelled else None,
            }
        )
        self._event(
            "device_registered",
            registered,
            device_ext,
            {"device_id": device_ext, "customer_id": customer_ext, "make": make, "model": model},
        )
        if enrolled and rng.random() < 0.45:
            self._claim(customer_id, customer_ext, number, device_ext, region)
        if rng.random() < 0.3:
            self._session(customer_id, customer_ext, number, device_ext)

    def _claim(
        self, customer_id: int, customer_ext: str, device_id: int, device_ext: str, region: str
    ) -> None:
        rng = self.rng
        number = len(self.rows[Claim]) + 1
        claim_ext = f"CLM-{number:06d}"
        filed = self._ago(rng.triangular(0.01, 90, 2))
        age_h = (self.now - filed).total_seconds() / 3600
        status, decided, resolved, payout = _claim_outcome(rng, filed, age_h)
        self.rows[Claim].append(
            {
                "id": number,
                "external_id": claim_ext,
                "customer_id": customer_id,
                "device_id": device_id,
                "status": status,
                "loss_type": rng.choice(LOSS_TYPES),
                "region": region,
                "channel": rng.choices(CHANNELS, weights=[45, 25, 20, 10])[0],
                "filed_at": filed,
                "decided_at": decided,
                "resolved_at": resolved,
                "payout_amount": payout,
            }
        )
        base = {"claim_id": claim_ext, "customer_id": customer_ext, "device_id": device_ext}
        self._event("claim_filed", filed, claim_ext, base)
        if decided:
            decision = "claim_denied" if status == "denied" else "claim_approved"
            self._event(decision, decided, claim_ext, {"claim_id": claim_ext})
        if resolved and status == "fulfilled":
            self._event(
                "claim_fulfilled",
                resolved,
                claim_ext,
                {"claim_id": claim_ext, "payout_amount": payout},
            )
        if status == "cancelled":
            self._event("claim_cancelled", resolved or filed, claim_ext, {"claim_id": claim_ext})

    def _session(
        self, customer_id: int, customer_ext: str, device_id: int, device_ext: str
    ) -> None:
        rng = self.rng
        number = len(self.rows[IssueSession]) + 1
        session_ext = f"SES-{number:06d}"
        opened = self._ago(rng.triangular(0.01, 30, 0.5))
        age_h = (self.now - opened).total_seconds() / 3600
        resolved = opened + timedelta(hours=rng.uniform(0.2, 12))
        is_resolved = resolved < self.now and age_h > 2
        escalated = rng.random() < 0.15
        status = "resolved" if is_resolved else ("escalated" if escalated else "open")
        self.rows[IssueSession].append(
            {
                "id": number,
                "external_id": session_ext,
                "customer_id": customer_id,
                "device_id": device_id,
                "claim_id": None,
                "status": status,
                "channel": rng.choice(CHANNELS),
                "topic": rng.choice(TOPICS),
                "opened_at": opened,
                "escalated_at": opened + timedelta(minutes=20) if escalated else None,
                "resolved_at": resolved if is_resolved else None,
            }
        )
        self._event(
            "session_opened",
            opened,
            session_ext,
            {"session_id": session_ext, "customer_id": customer_ext, "device_id": device_ext},
        )
        if is_resolved:
            self._event("session_resolved", resolved, session_ext, {"session_id": session_ext})


def _category(model: str) -> str:
    if "Pad" in model or "Tab" in model or "Tablet" in model:
        return "tablet"
    if "MacBook" in model:
        return "laptop"
    if "Watch" in model:
        return "wearable"
    return "phone"


def _claim_outcome(
    rng: random.Random, filed: datetime, age_h: float
) -> tuple[str, datetime | None, datetime | None, float | None]:
    """Pick a status consistent with the claim's age, with decision/resolution times."""
    if age_h < 6:
        return rng.choice(["filed", "filed", "in_review"]), None, None, None
    decided = filed + timedelta(hours=rng.uniform(2, min(age_h, 40)))
    roll = rng.random()
    if roll < 0.08:
        return "cancelled", None, decided, None
    if roll < 0.2:
        return "denied", decided, decided, None
    if age_h < 60 and roll < 0.45:
        return rng.choice(["in_review", "approved"]), (decided if roll > 0.3 else None), None, None
    resolved = decided + timedelta(hours=rng.uniform(4, 72))
    if resolved > filed + timedelta(hours=age_h):
        return "approved", decided, None, None
    return "fulfilled", decided, resolved, round(rng.uniform(49, 1_199), 2)
