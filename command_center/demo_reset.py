"""`make demo-reset`: remove chat-built widgets and promoted metrics, restore the seeded demo."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import delete
from sqlalchemy.engine import Engine

from command_center.db.models import Claim, Customer, Device, Event, IssueSession, Plan
from command_center.db.seed import seed_demo
from command_center.settings import SettingsError, get_settings

OPERATIONAL_TABLES = (Event, IssueSession, Claim, Device, Customer, Plan)  # FK-safe order


def reset_demo(
    engine: Engine, customers: int, *, keep_data: bool = False, retention_days: int = 45
) -> dict[str, int]:
    """Delete chat widgets and promoted metrics; reseed; optionally keep operational data."""
    from command_center.widgets.persist import delete_chat_widgets

    widgets, metrics = delete_chat_widgets(engine)
    summary = {"chat_widgets_removed": widgets, "promoted_metrics_removed": metrics}
    if not keep_data:
        with engine.begin() as conn:
            for model in OPERATIONAL_TABLES:
                conn.execute(delete(model))
    report = seed_demo(engine, customers, retention_days=retention_days)
    summary["seeded_widgets_restored"] = report.widgets
    summary.update({f"seeded_{k}": v for k, v in report.counts.items()})
    return summary


def rebuild_warehouse() -> float:
    """Regenerate the local warehouse from the reseeded OLTP data (a full rebuild: the one
    place besides a schema change where that happens). Returns seconds; 0 on Databricks."""
    from command_center.warehouse.generate import ensure_local_warehouse_report

    settings = get_settings()
    if settings.warehouse_mode != "local":
        return 0.0
    return ensure_local_warehouse_report(settings, force=True).seconds


def main(argv: list[str] | None = None) -> int:
    """CLI: reset the demo in the configured database."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--keep-data", action="store_true", help="keep events/claims; reset widgets only"
    )
    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"command-center: {exc}", file=sys.stderr)
        return 2
    from command_center.db.migrate import upgrade_to_head
    from command_center.db.session import get_engine

    upgrade_to_head(settings.effective_database_url)
    summary = reset_demo(
        get_engine(),
        settings.seed_customers,
        keep_data=args.keep_data,
        retention_days=settings.oltp_retention_days,
    )
    if not args.keep_data:
        summary["warehouse_rebuild_seconds"] = round(rebuild_warehouse(), 2)  # type: ignore[assignment]
    print("demo reset: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
