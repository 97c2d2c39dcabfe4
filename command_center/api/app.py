"""The FastAPI application behind `/v1` (mounted into Reflex through `api_transformer`)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse

from command_center.api import (
    admin,
    dashboards,
    data,
    events,
    prometheus,
    sql,
    sso,
    stream,
    widgets,
)
from command_center.api.auth import current_principal
from command_center.api.events_fast import EventsFastPath
from command_center.api.frame_policy import FramePolicyMiddleware
from command_center.api.input_limits import InputLimitsMiddleware
from command_center.api.problems import install_problem_handlers
from command_center.auth.roles import Principal
from command_center.health import health_report

log = logging.getLogger(__name__)

# Routes are matched in order: POST /v1/events, the one machine clients call at event rate,
# comes first (each router ahead of it cost every ingest request a match attempt per route)
FEATURE_ROUTERS = (
    events.router,
    admin.router,
    dashboards.router,
    data.router,
    sql.router,
    sso.router,
    stream.router,
    widgets.router,
)

health_router = APIRouter(tags=["health"])


@health_router.get("/health")
async def get_health(who: Principal | None = Depends(current_principal)) -> JSONResponse:
    """Each dependency's status; 200 when all are up, 503 when one is down. Modes and
    details (configuration) only for a caller with a token (or the open demo)."""
    report = await health_report()
    status = 200 if report.status == "ok" else 503
    body = report.model_dump()
    if who is None:
        body["dependencies"] = [
            {"name": d["name"], "status": d["status"]} for d in body["dependencies"]
        ]
    return JSONResponse(body, status_code=status)


def build_api() -> FastAPI:
    """Create the API app with every feature router under `/v1`."""
    api = FastAPI(
        title="Command Center API",
        version="1.0",
        description="Events, KPIs, widgets and data for the Command Center.",
        openapi_url="/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
    )
    install_problem_handlers(api)
    # innermost: POST /v1/events under the limits, without FastAPI's routing (events_fast)
    api.add_middleware(EventsFastPath, api=api)
    api.add_middleware(InputLimitsMiddleware)  # body size/time, WebSocket message size
    api.add_middleware(FramePolicyMiddleware)  # custom-widget frames load only our URLs
    api.include_router(health_router, prefix="/v1")
    for router in FEATURE_ROUTERS:
        api.include_router(router, prefix="/v1")
    api.include_router(prometheus.router)  # GET /metrics, where Prometheus looks by default
    return api
