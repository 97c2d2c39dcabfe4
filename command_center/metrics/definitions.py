"""Metric definitions: the typed shape, the seeded catalog entries and the KPI tiles' metrics."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

Backend = Literal["postgres", "databricks"]
MAX_WINDOW_DAYS = 1826  # five years: the longest trailing window a metric or widget may ask for
Name = Annotated[str, Field(min_length=1, max_length=80)]
WAREHOUSE_TABLE = "l3_asurion.ev_claim"


class MetricDefinition(BaseModel):
    """A metric: what to measure, on which table, over which time column and dimensions.

    `measure` is a SQL aggregate expression in the Databricks dialect; `base_filter` is an
    optional boolean SQL expression always applied; `window_days` is the default trailing
    window (None = all time); `dimensions` are the columns a widget may group or filter by.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,79}$")
    label: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=500)
    source_table: str = Field(min_length=1, max_length=120)
    measure: str = Field(min_length=1, max_length=1000)
    time_column: str = Field(min_length=1, max_length=80)
    window_days: int | None = Field(default=None, ge=1, le=MAX_WINDOW_DAYS)
    base_filter: str = Field(default="", max_length=1000)
    dimensions: list[Name] = Field(default_factory=list, max_length=30)
    default_dimensions: list[Name] = Field(default_factory=list, max_length=5)
    synonyms: list[Annotated[str, Field(max_length=120)]] = Field(
        default_factory=list, max_length=30
    )
    unit: Literal["count", "ratio", "currency", "hours", "rate"] = "count"
    backend: Backend = "postgres"
    origin: Literal["seed", "promoted"] = "seed"


_CLAIM_DIMS = ["region", "channel", "loss_type", "status"]
_EV_CLAIM_DIMS = ["product_name", "claim_status", "region", "channel", "device_make", "loss_type"]

SEEDED_METRICS: list[MetricDefinition] = [
    MetricDefinition(
        id="open_claims",
        label="Open claims",
        description="Claims not yet fulfilled, denied or cancelled.",
        source_table="claims",
        measure="COUNT(*)",
        time_column="filed_at",
        base_filter="status IN ('filed', 'in_review', 'approved')",
        dimensions=_CLAIM_DIMS,
        synonyms=["open claims", "backlog", "claims in progress", "pending claims"],
    ),
    MetricDefinition(
        id="claims_filed",
        label="Claims filed",
        description="Claims filed in the window.",
        source_table="claims",
        measure="COUNT(*)",
        time_column="filed_at",
        window_days=30,
        dimensions=_CLAIM_DIMS,
        synonyms=["new claims", "claims filed", "claim intake", "filed claims", "intake"],
    ),
    MetricDefinition(
        id="approval_rate",
        label="Approval rate",
        description="Of claims decided in the window (decided_at), the share not denied.",
        source_table="claims",
        measure="AVG(CASE WHEN status = 'denied' THEN 0.0 ELSE 1.0 END)",
        time_column="decided_at",
        window_days=30,
        base_filter="decided_at IS NOT NULL",
        dimensions=["region", "channel", "loss_type"],
        synonyms=["approval rate", "approvals", "acceptance rate", "approval ratio"],
        unit="ratio",
    ),
    MetricDefinition(
        id="avg_payout",
        label="Average payout",
        description="Mean payout of fulfilled claims.",
        source_table="claims",
        measure="AVG(payout_amount)",
        time_column="resolved_at",
        window_days=30,
        base_filter="payout_amount IS NOT NULL",
        dimensions=_CLAIM_DIMS,
        synonyms=["payout", "average payout", "claim cost", "severity", "avg payout"],
        unit="currency",
    ),
    MetricDefinition(
        id="active_issue_sessions",
        label="Active issue sessions",
        description="Support sessions open or escalated.",
        source_table="issue_sessions",
        measure="COUNT(*)",
        time_column="opened_at",
        base_filter="status IN ('open', 'escalated')",
        dimensions=["channel", "topic", "status"],
        synonyms=[
            "issue sessions",
            "support sessions",
            "active sessions",
            "open sessions",
            "active tickets",
            "open tickets",
            "active cases",
            "open cases",
        ],
    ),
    MetricDefinition(
        id="devices_registered",
        label="Devices registered",
        description="Devices registered in the window.",
        source_table="devices",
        measure="COUNT(*)",
        time_column="registered_at",
        window_days=30,
        dimensions=["make", "category", "plan_status", "model"],
        synonyms=["device registrations", "new devices", "registered devices", "registrations"],
    ),
    MetricDefinition(
        id="plan_enrollments",
        label="Plan enrollments",
        description="Devices enrolled in a coverage plan in the window.",
        source_table="devices",
        measure="COUNT(*)",
        time_column="enrolled_at",
        window_days=30,
        base_filter="enrolled_at IS NOT NULL",
        dimensions=["make", "category", "plan_status", "model"],
        synonyms=["enrollments", "plan enrollments", "new plans", "subscriptions"],
    ),
    MetricDefinition(
        id="claim_volume_l3_asurion",
        label="Claim volume (warehouse)",
        description="Distinct claims in the warehouse over the trailing 30 days.",
        source_table=WAREHOUSE_TABLE,
        measure="COUNT(DISTINCT claim_id)",
        time_column="created_at",
        window_days=30,
        dimensions=_EV_CLAIM_DIMS,
        synonyms=["claim volume", "claims volume", "number of claims", "claim count"],
        backend="databricks",
    ),
    MetricDefinition(
        id="claims_filed_today",
        label="Claims filed today",
        description="Claims whose filed_at falls on the current UTC day.",
        source_table="claims",
        measure="COUNT(*)",
        time_column="filed_at",
        base_filter="filed_at >= CURRENT_DATE",
        dimensions=_CLAIM_DIMS,
        synonyms=[
            "claims today",
            "todays claims",
            "new claims today",
            "todays intake",
            "intake today",
        ],
    ),
    MetricDefinition(
        id="sla_breaches",
        label="SLA breaches",
        description="Open claims (filed, in review or approved) filed more than 48 hours ago.",
        source_table="claims",
        measure="COUNT(*)",
        time_column="filed_at",
        base_filter=(
            "status IN ('filed', 'in_review', 'approved') "
            "AND filed_at < CURRENT_TIMESTAMP() - INTERVAL '48' HOUR"
        ),
        dimensions=_CLAIM_DIMS,
        synonyms=[
            "sla breach",
            "breaches",
            "overdue claims",
            "late claims",
            "aged claims",
            "past sla",
            "past the sla",
            "over sla",
        ],
    ),
    MetricDefinition(
        id="mean_time_to_resolution",
        label="Mean time to resolution",
        description="Mean hours from filed_at to resolved_at of claims resolved in the window.",
        source_table="claims",
        measure="AVG(TIMESTAMPDIFF(SECOND, filed_at, resolved_at)) / 3600.0",
        time_column="resolved_at",
        window_days=7,
        base_filter="resolved_at IS NOT NULL",
        dimensions=_CLAIM_DIMS,
        synonyms=["mttr", "time to resolution", "resolution time", "time to resolve"],
        unit="hours",
    ),
    MetricDefinition(
        id="events_per_minute",
        label="Events per minute",
        description="Events whose occurred_at lies in the last 60 seconds.",
        source_table="events",
        measure="COUNT(*)",
        time_column="occurred_at",
        base_filter="occurred_at >= CURRENT_TIMESTAMP() - INTERVAL '60' SECOND",
        dimensions=["type"],
        synonyms=["event rate", "events a minute", "throughput", "event throughput"],
        unit="rate",
    ),
    MetricDefinition(
        id="plan_cancellations",
        label="Plan cancellations",
        description="Devices whose coverage plan was cancelled in the window (plan_cancelled_at).",
        source_table="devices",
        measure="COUNT(*)",
        time_column="plan_cancelled_at",
        window_days=30,
        base_filter="plan_cancelled_at IS NOT NULL",
        dimensions=["make", "category"],
        synonyms=[
            "cancellations",
            "plan cancellations",
            "cancelled plans",
            "plan churn",
            "churned plans",
        ],
    ),
    MetricDefinition(
        id="claims_by_product_l3_asurion",
        label="Claims by product (warehouse)",
        description="Distinct claims per product over the trailing 30 days.",
        source_table=WAREHOUSE_TABLE,
        measure="COUNT(DISTINCT claim_id)",
        time_column="created_at",
        window_days=30,
        dimensions=_EV_CLAIM_DIMS,
        default_dimensions=["product_name"],
        synonyms=["claims by product", "product mix", "claims per product"],
        backend="databricks",
    ),
    MetricDefinition(
        id="claim_status_mix_l3_asurion",
        label="Claim status mix (warehouse)",
        description="Distinct claims per claim status over the trailing 30 days.",
        source_table=WAREHOUSE_TABLE,
        measure="COUNT(DISTINCT claim_id)",
        time_column="created_at",
        window_days=30,
        dimensions=_EV_CLAIM_DIMS,
        default_dimensions=["claim_status"],
        synonyms=["status mix", "claim status mix", "claims by status", "status breakdown"],
        backend="databricks",
    ),
]


# Dashboard KPI tile -> (catalog metric, window_days): the tile shows that widget's number.
KPI_METRICS: dict[str, tuple[str, int | None]] = {
    "open_claims": ("open_claims", None),
    "claims_filed_today": ("claims_filed_today", None),
    "approval_rate_24h": ("approval_rate", 1),
    "mean_time_to_resolution_7d_hours": ("mean_time_to_resolution", 7),
    "sla_breaches": ("sla_breaches", None),
    "active_sessions": ("active_issue_sessions", None),
    "events_per_minute": ("events_per_minute", None),
}


def seeded_metric(metric_id: str) -> MetricDefinition:
    """Look up a seeded metric by id (KeyError when unknown)."""
    for metric in SEEDED_METRICS:
        if metric.id == metric_id:
            return metric
    raise KeyError(metric_id)
