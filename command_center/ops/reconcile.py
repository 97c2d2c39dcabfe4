"""Reconcile: compare the incremental KPIs with a full recompute and correct the state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from command_center.ops.kpis import KpiState, as_utc, recompute_kpis


@dataclass
class ReconcileReport:
    """What a reconcile run found: per-KPI mismatches as (incremental, recomputed)."""

    checked_at: datetime
    recomputed: dict[str, Any]
    mismatches: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    skipped: bool = False

    @property
    def corrected(self) -> bool:
        """True when the incremental state was replaced by one loaded from the database."""
        return bool(self.mismatches)


def compare_kpis(incremental: dict[str, Any], recomputed: dict[str, Any]) -> dict[str, tuple]:
    """KPIs whose values differ, as name → (incremental, recomputed)."""
    names = sorted(set(incremental) | set(recomputed))
    return {
        n: (incremental.get(n), recomputed.get(n))
        for n in names
        if incremental.get(n) != recomputed.get(n)
    }


def reconcile_state(
    state: KpiState, engine: Engine, now: datetime
) -> tuple[KpiState, ReconcileReport]:
    """Recompute from the database; on any mismatch return a freshly loaded state.

    Returns `(state_to_use, report)`; `state_to_use` is `state` itself when all KPIs agree.
    Callers must make sure no ingest is between commit and delta application meanwhile.
    """
    now = as_utc(now)
    with engine.connect() as conn:
        recomputed = recompute_kpis(conn, now)
        report = ReconcileReport(now, recomputed, compare_kpis(state.snapshot(now), recomputed))
        if report.mismatches:
            state = KpiState.load(conn, now)
    return state, report
