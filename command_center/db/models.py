"""SQLModel tables. Alembic owns the schema (see `alembic/versions`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now, in UTC."""
    return datetime.now(UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    column = Column(DateTime(timezone=True), nullable=nullable, index=index)
    if nullable:
        return Field(default=None, sa_column=column)
    return Field(default_factory=utcnow, sa_column=column)


class Customer(SQLModel, table=True):
    """A protected customer."""

    __tablename__ = "customers"

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=120)
    email: str = Field(max_length=200, unique=True)
    region: str = Field(max_length=40, index=True)
    segment: str = Field(max_length=40)
    created_at: datetime = _ts()


class Plan(SQLModel, table=True):
    """A coverage plan product a device can be enrolled in."""

    __tablename__ = "plans"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=120)
    tier: str = Field(max_length=20)
    monthly_premium: float = Field(sa_column=Column(Numeric(10, 2), nullable=False))
    deductible: float = Field(sa_column=Column(Numeric(10, 2), nullable=False))


class Device(SQLModel, table=True):
    """A customer's device, optionally enrolled in a plan."""

    __tablename__ = "devices"
    __table_args__ = (Index("ix_devices_plan_status", "plan_status", "plan_id"),)

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=40, unique=True, index=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    plan_id: int | None = Field(default=None, foreign_key="plans.id", index=True)
    make: str = Field(max_length=40, index=True)
    model: str = Field(max_length=80)
    category: str = Field(max_length=20)
    plan_status: str = Field(default="none", max_length=20)
    registered_at: datetime = _ts(index=True)
    enrolled_at: datetime | None = _ts(nullable=True)
    plan_cancelled_at: datetime | None = _ts(nullable=True)


class IssueSession(SQLModel, table=True):
    """A support session fusing customer, device and ops context."""

    __tablename__ = "issue_sessions"
    __table_args__ = (Index("ix_issue_sessions_status_opened", "status", "opened_at"),)

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=40, unique=True, index=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    device_id: int | None = Field(default=None, foreign_key="devices.id", index=True)
    claim_id: int | None = Field(default=None, foreign_key="claims.id", index=True)
    status: str = Field(max_length=20)
    channel: str = Field(max_length=20)
    topic: str = Field(max_length=80)
    opened_at: datetime = _ts()
    escalated_at: datetime | None = _ts(nullable=True)
    resolved_at: datetime | None = _ts(nullable=True)


class Claim(SQLModel, table=True):
    """An insurance claim on a device; `status` follows the claim state machine."""

    __tablename__ = "claims"
    __table_args__ = (
        Index("ix_claims_status_filed", "status", "filed_at"),
        Index("ix_claims_decided_at", "decided_at"),
        Index("ix_claims_resolved_at", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=40, unique=True, index=True)
    customer_id: int = Field(foreign_key="customers.id", index=True)
    device_id: int = Field(foreign_key="devices.id", index=True)
    status: str = Field(max_length=20)
    loss_type: str = Field(max_length=40)
    region: str = Field(max_length=40)
    channel: str = Field(max_length=20)
    filed_at: datetime = _ts(index=True)
    decided_at: datetime | None = _ts(nullable=True)
    resolved_at: datetime | None = _ts(nullable=True)
    payout_amount: float | None = Field(default=None, sa_column=Column(Numeric(10, 2)))


class Event(SQLModel, table=True):
    """Append-only operational event log; `event_id` makes ingestion idempotent."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_type_occurred", "type", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)
    type: str = Field(max_length=40)
    occurred_at: datetime = _ts(index=True)
    received_at: datetime = _ts(index=True)
    subject_id: str = Field(max_length=40, index=True)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class MetricDefinitionRow(SQLModel, table=True):
    """A first-class metric definition (seeded or promoted from the clarifier)."""

    __tablename__ = "metrics_catalog"

    id: str = Field(primary_key=True, max_length=80)
    label: str = Field(max_length=120)
    description: str = Field(default="", max_length=500)
    source_table: str = Field(max_length=120)
    measure: str = Field(max_length=500)
    time_column: str = Field(max_length=80)
    window_days: int | None = Field(default=None)
    base_filter: str = Field(default="", max_length=500)
    dimensions: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    default_dimensions: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    synonyms: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    unit: str = Field(default="count", max_length=20)
    backend: str = Field(max_length=20, index=True)
    origin: str = Field(default="seed", max_length=20, index=True)
    created_at: datetime = _ts()


class Widget(SQLModel, table=True):
    """A persisted WidgetSpec on the dashboard."""

    __tablename__ = "widgets"

    id: str = Field(primary_key=True, max_length=40)
    type: str = Field(max_length=20)
    title: str = Field(max_length=200)
    metric_id: str | None = Field(
        default=None, foreign_key="metrics_catalog.id", index=True, max_length=80
    )  # None for a custom widget over a records intent
    spec: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    spec_hash: str = Field(max_length=64)
    origin: str = Field(default="seed", max_length=20, index=True)
    position: int = Field(default=0)
    created_at: datetime = _ts()


class DashboardLayout(SQLModel, table=True):
    """A named dashboard layout document (grid positions per widget)."""

    __tablename__ = "dashboard_layouts"
    __table_args__ = (UniqueConstraint("name", name="uq_dashboard_layouts_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    layout: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = _ts()


class SqlGenerationLog(SQLModel, table=True):
    """Audit row for every generated query."""

    __tablename__ = "sql_generation_log"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _ts(index=True)
    metric_id: str = Field(max_length=80, index=True)
    generator: str = Field(max_length=20)
    input: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    sql: str = Field(default="")
    safety: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    passed: bool = Field(default=False)
    backend: str = Field(max_length=20)
    duration_ms: float | None = None
    row_count: int | None = None
    error: str | None = Field(default=None, max_length=2000)


from command_center.auth import models as _auth_models  # noqa: E402,F401  (registers auth tables)
