"""`/v1/widgets/{id}/data` (through the resolver) and `/v1/databricks/health`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from command_center.api.auth import require_editor, require_viewer
from command_center.api.params import WidgetId
from command_center.api.problems import ProblemError, problem_response
from command_center.dashboards.filters import ChoiceError, ViewChoice
from command_center.dashboards.view_data import checked_choice, widget_data_in_view
from command_center.db.models import Widget
from command_center.db.session import session_scope
from command_center.metrics.catalog import UnknownMetric
from command_center.metrics.definitions import MetricDefinition
from command_center.metrics.validation import MetricValidationError
from command_center.resolver import WidgetData
from command_center.settings import get_settings
from command_center.sql.compiler import CompileError
from command_center.sql.safety import SafetyError
from command_center.widgets.spec import WidgetSpec

router = APIRouter(tags=["data"])


def _widget_spec(widget_id: str) -> dict[str, Any]:
    with session_scope() as session:
        widget = session.get(Widget, widget_id)
        if widget is None:
            raise ProblemError(404, "Unknown widget", f"no widget {widget_id!r}")
        return dict(widget.spec)


def _data_problem(exc: Exception) -> ProblemError | None:
    """The RFC 7807 problem for a resolver failure (None: not one of its typed errors)."""
    from command_center.llm.errors import BuilderModeError
    from command_center.warehouse.errors import WarehouseError

    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        field = ".".join(["data_intent", *(str(p) for p in first["loc"])])
        return ProblemError(422, "Invalid widget spec", f"{field}: {first['msg']}", field=field)
    if isinstance(exc, UnknownMetric):
        return ProblemError(422, "Unknown metric", f"metric {exc.args[0]!r} is not in the catalog")
    from command_center.sql.records import RecordsError

    if isinstance(exc, CompileError | SafetyError | MetricValidationError | RecordsError):
        return ProblemError(422, "Widget query rejected", str(exc))
    if isinstance(exc, BuilderModeError):
        status = 504 if exc.kind == "timeout" else 502
        return ProblemError(
            status, f"SQL generation {exc.kind} error", str(exc), kind=exc.kind, builder_mode="live"
        )
    if isinstance(exc, WarehouseError):
        status = 504 if exc.kind == "timeout" else 502
        return ProblemError(
            status, f"Warehouse {exc.kind} error", str(exc), kind=exc.kind, backend=exc.backend
        )
    return None


async def _answer(pending: Awaitable[WidgetData]) -> dict[str, Any]:
    """The resolved rows as the response body; a resolver failure as its problem."""
    try:
        data = await pending
    except Exception as exc:
        problem = _data_problem(exc)
        if problem is None:
            raise
        raise problem from None
    return data.model_dump()


async def _choice(request: Request) -> ViewChoice:
    """The dashboard range and filters from the query (`range`, `from`/`to`, filter keys;
    filter values must be known values)."""
    try:
        return await asyncio.to_thread(checked_choice, dict(request.query_params))
    except ChoiceError as exc:
        raise ProblemError(422, "Invalid time range or filter", str(exc), field=exc.field) from None


@router.post("/widgets/{widget_id}/data", dependencies=[Depends(require_viewer)])
async def widget_data(widget_id: WidgetId, request: Request) -> dict[str, Any]:
    """Rows, columns, source, generated-at and cached flag for one persisted widget — under
    the dashboard's time range and filters when the query names them (as the dashboard shows
    it), with `notes` for what the widget cannot honour."""
    choice = await _choice(request)
    spec = await asyncio.to_thread(_widget_spec, widget_id)
    try:
        found = await widget_data_in_view(widget_id, spec, choice)
    except Exception as exc:
        problem = _data_problem(exc)
        if problem is None:
            raise
        raise problem from None
    return {**found.data.model_dump(), "notes": found.notes}


class PreviewRequest(BaseModel):
    """An unsaved spec to preview (with the clarifier's one-off metric, when composed)."""

    model_config = ConfigDict(extra="forbid")
    spec: WidgetSpec
    promote_metric: MetricDefinition | None = None


@router.post("/widgets/preview", dependencies=[Depends(require_editor)])
async def widget_preview(body: PreviewRequest) -> dict[str, Any]:
    """Rows for a spec that is not saved: the resolver's cache, safety gate and source badge;
    the spec's sample rows (source "sample rows — backend unavailable") when the backend is
    down. Nothing is persisted. Building, so editor (as the builder UI)."""
    from command_center.widgets.preview import preview_data

    return await _answer(preview_data(body.spec.model_dump(mode="json"), body.promote_metric))


@router.get("/databricks/health", dependencies=[Depends(require_viewer)])
async def databricks_health() -> JSONResponse:
    """200 with `rows_sampled` when the warehouse answers, 503 problem document otherwise."""
    from command_center.warehouse.health import warehouse_health

    settings = get_settings()
    result = await warehouse_health(settings)
    if result.ok:
        return JSONResponse(
            {"status": "ok", "mode": settings.warehouse_mode, **result.model_dump()}
        )
    return problem_response(
        503,
        "Warehouse unavailable",
        result.detail or "the warehouse did not answer",
        mode=settings.warehouse_mode,
        kind=result.error_kind,
    )
