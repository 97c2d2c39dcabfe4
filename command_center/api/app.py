"""The FastAPI application behind `/v1` (mounted into Reflex through `api_transformer`)."""

from __future__ import annotations

import importlib
import logging

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from command_center.api.problems import install_problem_handlers
from command_center.health import health_report

log = logging.getLogger(__name__)

# Feature routers, mounted under /v1 when their module is present.
FEATURE_ROUTERS = (
    "command_center.api.events",
    "command_center.api.stream",
    "command_center.api.widgets",
    "command_center.api.sql",
    "command_center.api.data",
)

health_router = APIRouter(tags=["health"])


@health_router.get("/health")
async def get_health() -> JSONResponse:
    """Each dependency's mode and status; 200 when all are up, 503 when one is down."""
    report = await health_report()
    status = 200 if report.status == "ok" else 503
    return JSONResponse(report.model_dump(), status_code=status)


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
    api.include_router(health_router, prefix="/v1")
    for module_name in FEATURE_ROUTERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        api.include_router(module.router, prefix="/v1")
    return api
