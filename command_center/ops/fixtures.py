"""Minimal reference data for tests and benchmarks (independent of the demo seeder)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from command_center.db.models import Customer, Device, Plan

PLAN_CODES = ("MP-BASIC", "MP-PLUS")
_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def customer_id(n: int) -> str:
    """External id of fixture customer `n` (1-based)."""
    return f"CUST-{n:06d}"


def device_id(customer: int, k: int) -> str:
    """External id of fixture device `k` (1-based) of customer `customer`."""
    return f"DEV-{customer:06d}{k:02d}"


def create_reference_data(
    engine: Engine, customers: int = 3, devices_per_customer: int = 2, create_tables: bool = True
) -> None:
    """Create the tables (optionally) and insert plans, customers and their devices."""
    if create_tables:
        SQLModel.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(Plan),
            [
                {
                    "code": code,
                    "name": code,
                    "tier": "basic",
                    "monthly_premium": 9.99,
                    "deductible": 99,
                }
                for code in PLAN_CODES
            ],
        )
        conn.execute(
            insert(Customer),
            [
                {
                    "id": n,
                    "external_id": customer_id(n),
                    "name": f"Customer {n}",
                    "email": f"c{n}@example.com",
                    "region": "West",
                    "segment": "consumer",
                    "created_at": _EPOCH,
                }
                for n in range(1, customers + 1)
            ],
        )
        conn.execute(
            insert(Device),
            [
                {
                    "external_id": device_id(n, k),
                    "customer_id": n,
                    "make": "Apple",
                    "model": "iPhone 16",
                    "category": "phone",
                    "plan_status": "none",
                    "registered_at": _EPOCH,
                }
                for n in range(1, customers + 1)
                for k in range(1, devices_per_customer + 1)
            ],
        )
