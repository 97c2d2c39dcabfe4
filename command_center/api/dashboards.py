"""/v1 dashboard routes: named dashboards and their layouts (the same service as the UI)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from command_center.api.auth import require_token, require_viewer
from command_center.api.params import RowId
from command_center.api.problems import ProblemError
from command_center.dashboards import service
from command_center.dashboards.layout import BREAKPOINTS, MAX_ITEMS, LayoutItem

router = APIRouter(tags=["dashboards"])


class NameRequest(BaseModel):
    """Create or rename a dashboard."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=service.MAX_NAME)


class LayoutRequest(BaseModel):
    """A grid layout: `{breakpoint: [{i, x, y, w, h}, ...]}` (each item bounded)."""

    model_config = ConfigDict(extra="forbid")
    layouts: dict[str, Annotated[list[LayoutItem], Field(max_length=MAX_ITEMS)]] = Field(
        max_length=len(BREAKPOINTS)
    )


def _problem(exc: service.DashboardError, request: Request) -> ProblemError:
    titles = {404: "Unknown dashboard", 409: "Conflict", 422: "Invalid dashboard request"}
    return ProblemError(
        exc.status,
        titles.get(exc.status, "Dashboard error"),
        str(exc),
        type_="urn:command-center:dashboards:error",
        instance=request.url.path,
    )


@router.get("/dashboards", dependencies=[Depends(require_viewer)])
async def get_dashboards() -> dict[str, Any]:
    """Every dashboard (id, name), the default first."""
    return {"dashboards": await run_in_threadpool(service.list_dashboards)}


@router.post("/dashboards", status_code=201, dependencies=[Depends(require_token)])
async def post_dashboard(body: NameRequest, request: Request) -> dict[str, Any]:
    """Create an empty dashboard."""
    try:
        return await run_in_threadpool(service.create_dashboard, body.name)
    except service.DashboardError as exc:
        raise _problem(exc, request) from None


@router.patch("/dashboards/{dashboard_id}", dependencies=[Depends(require_token)])
async def patch_dashboard(dashboard_id: RowId, body: NameRequest, request: Request) -> dict:
    """Rename a dashboard."""
    try:
        return await run_in_threadpool(service.rename_dashboard, dashboard_id, body.name)
    except service.DashboardError as exc:
        raise _problem(exc, request) from None


@router.get("/dashboards/{dashboard_id}/layout", dependencies=[Depends(require_viewer)])
async def get_layout(dashboard_id: RowId, request: Request) -> dict[str, Any]:
    """The dashboard's layout, repaired against the current widgets."""
    try:
        board = await run_in_threadpool(service.load_layout, dashboard_id)
    except service.DashboardError as exc:
        raise _problem(exc, request) from None
    return board.as_dict()


@router.put("/dashboards/{dashboard_id}/layout", dependencies=[Depends(require_token)])
async def put_layout(dashboard_id: RowId, body: LayoutRequest, request: Request) -> dict:
    """Store a layout (repaired) and tell every open tab on that dashboard."""
    layouts = body.model_dump()["layouts"]
    try:
        board = await service.save_layout(dashboard_id, layouts, origin="api")
    except service.DashboardError as exc:
        raise _problem(exc, request) from None
    return board.as_dict()
