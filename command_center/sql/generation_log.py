"""Audit log of generated SQL (one `SqlGenerationLog` row per generation)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from command_center.db.models import SqlGenerationLog
from command_center.sql.safety import SafetyResult

_MAX_ERROR = 2000


def log_generation(
    session: Session,
    *,
    metric_id: str,
    generator: str,
    input: dict[str, Any] | Any,
    sql: str,
    safety: SafetyResult,
    backend: str,
    duration_ms: float | None = None,
    row_count: int | None = None,
    error: str | None = None,
) -> SqlGenerationLog:
    """Add (and flush) a `SqlGenerationLog` row; the caller's transaction commits it.

    `input` is the generator's input (a dict, or a Pydantic model such as `DataIntent`).
    """
    if hasattr(input, "model_dump"):
        input = input.model_dump(mode="json")
    row = SqlGenerationLog(
        metric_id=metric_id,
        generator=generator[:20],
        input=dict(input),
        sql=sql,
        safety=safety.model_dump(mode="json"),
        passed=safety.passed,
        backend=backend[:20],
        duration_ms=duration_ms,
        row_count=row_count,
        error=error[:_MAX_ERROR] if error else None,
    )
    session.add(row)
    session.flush()
    return row
