"""Metric definitions: the typed shape and the ten seeded catalog entries."""

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
        synonyms=["new claims", "claims filed", "claim intake", "filed claims"],
    ),
    MetricDefinition(
        id="approval_rate",
        label="Approval rate",
        description="Share of decided claims that were approved (or fulfilled).",
        source_table="claims",
        measure="AVG(CASE WHEN status IN ('approved', 'fulfilled') THEN 1.0 ELSE 0.0 END)",
        time_column="decided_at",
        window_days=30,
        base_filter="status IN ('approved', 'fulfilled', 'denied')",
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
        dimensions=["region", "channel", "loss_type"],
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
        synonyms=["issue sessions", "support sessions", "active sessions", "open sessions"],
    ),
    MetricDefinition(
        id="devices_registered",
        label="Devices registered",
        description="Devices registered in the window.",
        source_table="devices",
        measure="COUNT(*)",
        time_column="registered_at",
        window_days=30,
        dimensions=["make", "category", "plan_status"],
        synonyms=["device registrations", "new devices", "registered devices"],
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
        dimensions=["make", "category", "plan_status"],
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


def seeded_metric(metric_id: str) -> MetricDefinition:
    """Look up a seeded metric by id (KeyError when unknown)."""
    for metric in SEEDED_METRICS:
        if metric.id == metric_id:
            return metric
    raise KeyError(metric_id)
