"""The seeded dashboard widgets (origin="seed"), so the dashboard has live data on first start."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from command_center.db.models import Widget, utcnow

SEEDED_WIDGETS: list[dict] = [
    {
        "id": "seed-claims-by-product",
        "type": "chart",
        "chart_kind": "bar",
        "title": "Claims by product · 30 d",
        "accent": "teal",
        "data_intent": {
            "metric": "claims_by_product_l3_asurion",
            "dimensions": ["product_name"],
            "refresh_seconds": 10,
        },
    },
    {
        "id": "seed-claim-status-mix",
        "type": "chart",
        "chart_kind": "pie",
        "title": "Claim status mix · 30 d",
        "accent": "violet",
        "data_intent": {
            "metric": "claim_status_mix_l3_asurion",
            "dimensions": ["claim_status"],
            "refresh_seconds": 10,
        },
    },
    {
        "id": "seed-claims-filed-by-region",
        "type": "chart",
        "chart_kind": "bar",
        "title": "Claims filed by region · 30 d",
        "accent": "blue",
        "data_intent": {"metric": "claims_filed", "dimensions": ["region"], "refresh_seconds": 30},
    },
    {
        "id": "seed-approval-rate",
        "type": "kpi",
        "title": "Approval rate · 30 d",
        "accent": "green",
        "value_format": "percent",
        "data_intent": {"metric": "approval_rate", "refresh_seconds": 60},
    },
    {
        "id": "seed-open-claims-by-loss",
        "type": "table",
        "title": "Open claims by loss type",
        "accent": "amber",
        "data_intent": {
            "metric": "open_claims",
            "dimensions": ["loss_type"],
            "refresh_seconds": 15,
        },
    },
    {
        "id": "seed-avg-payout",
        "type": "kpi",
        "title": "Average payout · 30 d",
        "accent": "slate",
        "value_format": "currency",
        "data_intent": {"metric": "avg_payout", "refresh_seconds": 120},
    },
]


def seed_widgets(engine: Engine) -> int:
    """Insert the seeded widgets that are missing; returns how many were inserted."""
    from command_center.widgets.spec import parse_spec, spec_hash

    with engine.begin() as conn:
        present = set(conn.scalars(select(Widget.id)))
        rows = []
        for position, entry in enumerate(SEEDED_WIDGETS):
            if entry["id"] in present:
                continue
            spec = parse_spec({k: v for k, v in entry.items() if k != "id"})
            rows.append(
                {
                    "id": entry["id"],
                    "type": spec.type,
                    "title": spec.title,
                    "metric_id": spec.data_intent.metric,
                    "spec": spec.model_dump(mode="json"),
                    "spec_hash": spec_hash(spec),
                    "origin": "seed",
                    "position": position,
                    "created_at": utcnow(),
                }
            )
        if rows:
            conn.execute(insert(Widget), rows)
    return len(rows)
