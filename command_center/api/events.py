"""`POST /events` (one event or a batch) and `GET /kpis`, mounted under /v1."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from command_center.api.auth import require_token
from command_center.api.problems import PROBLEM_MEDIA_TYPE, ProblemError
from command_center.ops.events import parse_event, validation_problem
from command_center.ops.kpis import KPI_DEFINITIONS
from command_center.ops.live import LiveOps, get_live_ops
from command_center.settings import get_settings

router = APIRouter(tags=["live operations"])

_EXAMPLE = {
    "event_id": "evt-0001",
    "type": "claim_filed",
    "occurred_at": "2025-01-01T12:00:00Z",
    "claim_id": "CLM-900001",
    "customer_id": "CUST-000001",
    "device_id": "DEV-000001",
    "loss_type": "cracked_screen",
    "channel": "app",
}


@router.post(
    "/events",
    status_code=202,
    dependencies=[Depends(require_token)],
    responses={
        202: {"description": "`{accepted, duplicates, rejected: [{index, problem}]}`"},
        401: {"description": "missing or wrong bearer token (problem+json)"},
        409: {"description": "a single event reuses an event_id with different content"},
        408: {"description": "body not received within BODY_READ_TIMEOUT_SECONDS"},
        413: {
            "description": "batch larger than EVENT_BATCH_LIMIT, or body larger than "
            "MAX_EVENTS_BODY_BYTES (cut off while streaming, before parsing; problem+json)"
        },
        422: {"description": "malformed single event or body (problem+json naming the field)"},
    },
)
async def post_events(
    request: Request, body: Any = Body(..., examples=[_EXAMPLE, [_EXAMPLE]])
) -> JSONResponse:
    """Ingest one event object or a list of them (idempotent on `event_id`).

    Each valid event is stored and applied; invalid ones are reported per index as problem
    documents (`problem.reason` says why), the valid ones are kept. `event_id` is an
    idempotency key: an identical repeat is a duplicate, the same id with different content a
    409 `event-id-conflict` item. A single malformed event is answered with 422, a single
    conflicting one with 409.
    """
    return await answer_events(body)


async def answer_events(body: Any) -> JSONResponse:
    """`post_events`' answer to a decoded JSON body (also the fast path's:
    `api/events_fast.py`); raises `ProblemError` for 413/422."""
    limit = get_settings().event_batch_limit
    items: list[Any]
    if isinstance(body, dict):
        try:
            items = [parse_event(body)]  # validated once: ingest takes it as it is
        except ValidationError as exc:
            return JSONResponse(
                validation_problem(exc, body), status_code=422, media_type=PROBLEM_MEDIA_TYPE
            )
    elif isinstance(body, list):
        if len(body) > limit:
            raise ProblemError(
                413,
                "Batch too large",
                f"{len(body)} events exceed the batch limit of {limit}",
                limit=limit,
            )
        items = body
    else:
        raise ProblemError(
            422, "Invalid request", "body must be an event object or a list", field="body"
        )
    live = await get_live_ops()  # called, not a dependency: one less for FastAPI to solve
    result = await live.ingest(items)
    if isinstance(body, dict) and result.rejected:
        problem = result.rejected[0]["problem"]
        if problem["reason"] == "event_id_conflict":
            return JSONResponse(problem, status_code=409, media_type=PROBLEM_MEDIA_TYPE)
    return JSONResponse(result.as_response(), status_code=202)


@router.get("/kpis")
async def get_kpis(live: LiveOps = Depends(get_live_ops)) -> dict[str, Any]:
    """The current KPI snapshot and its version: `{version, kpis, as_of}`."""
    return (await live.current()).as_dict()


@router.get("/kpis/definitions")
async def get_kpi_definitions() -> list[dict[str, str]]:
    """Name, label, unit and definition of every live KPI."""
    return [
        {"name": d.name, "label": d.label, "unit": d.unit, "description": d.description}
        for d in KPI_DEFINITIONS
    ]


@router.post("/kpis/reconcile", dependencies=[Depends(require_token)])
async def post_reconcile(live: LiveOps = Depends(get_live_ops)) -> dict[str, Any]:
    """Recompute every KPI from the database now and correct the live state if it drifted."""
    report = await live.reconcile()
    return {
        "checked_at": report.checked_at.isoformat(),
        "recomputed": report.recomputed,
        "mismatches": {k: list(v) for k, v in report.mismatches.items()},
        "corrected": report.corrected,
        "version": live.version,
    }
