"""/v1 widget routes: the clarifier over SSE, "Add to dashboard", and the widget list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from command_center.api.auth import require_token, require_viewer
from command_center.api.params import MAX_ROW_ID, WidgetId
from command_center.api.problems import ProblemError
from command_center.dashboards import widgets as actions
from command_center.dashboards.service import DashboardError
from command_center.metrics.definitions import MetricDefinition
from command_center.widgets.persist import (
    ComponentRejected,
    PersistError,
    list_widgets,
    widget_to_dict,
)
from command_center.widgets.runner import (
    ClarifierError,
    ClarifierEvent,
    ClarifierRunner,
    get_runner,
)
from command_center.widgets.spec import WidgetSpec

router = APIRouter(tags=["widgets"])
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class ClarifyRequest(BaseModel):
    """Start a clarifier conversation."""

    model_config = ConfigDict(extra="forbid")
    raw_input: str = Field(min_length=1, max_length=2000)


class Answer(BaseModel):
    """One answer to an open question."""

    question_id: str = Field(min_length=1, max_length=80)
    answer: str = Field(min_length=1, max_length=500)


class RespondRequest(BaseModel):
    """Answer a paused conversation's questions."""

    model_config = ConfigDict(extra="forbid")
    thread_id: str = Field(min_length=1, max_length=80)
    answers: list[Answer] = Field(min_length=1, max_length=20)
    checkpoint_id: str | None = Field(
        default=None, max_length=80, description="from the questions event"
    )


class AddWidgetRequest(BaseModel):
    """Persist a spec (the UI's "Add to dashboard")."""

    model_config = ConfigDict(extra="forbid")
    spec: WidgetSpec
    promote_metric: MetricDefinition | None = None
    dashboard_id: int | None = Field(
        default=None, ge=1, le=MAX_ROW_ID, description="default dashboard when absent"
    )


class UpdateWidgetRequest(BaseModel):
    """Replace a widget's spec in place (the builder's "Save")."""

    model_config = ConfigDict(extra="forbid")
    spec: WidgetSpec


def get_clarifier() -> ClarifierRunner:
    """Dependency: the process-wide clarifier runner (tests override it)."""
    return get_runner()


async def _sse(events: AsyncIterator[ClarifierEvent]) -> AsyncIterator[str]:
    async for event in events:
        yield event.sse()


def _clarifier_problem(exc: ClarifierError, request: Request, invalid: str) -> ProblemError:
    """The problem for a conversation that cannot continue (`invalid` titles a 422)."""
    titles = {404: "Unknown thread", 409: "Conflict", 422: invalid}
    return ProblemError(
        exc.status,
        titles.get(exc.status, "Clarifier error"),
        str(exc),
        type_=f"urn:command-center:clarifier:{exc.kind}",
        instance=request.url.path,
    )


@router.post("/widgets/clarify", dependencies=[Depends(require_token)])
async def clarify(
    body: ClarifyRequest, runner: ClarifierRunner = Depends(get_clarifier)
) -> StreamingResponse:
    """Stream a new conversation: `stage | gaps | questions | result | error` events."""
    events = runner.start_clarification(body.raw_input)
    return StreamingResponse(_sse(events), media_type="text/event-stream", headers=SSE_HEADERS)


@router.post("/widgets/clarify/respond", dependencies=[Depends(require_token)])
async def clarify_respond(
    body: RespondRequest, request: Request, runner: ClarifierRunner = Depends(get_clarifier)
) -> StreamingResponse:
    """Answer open questions and stream the continuation (404/409/422 problems up front)."""
    answers = [a.model_dump() for a in body.answers]
    try:
        await run_in_threadpool(runner.check_resumable, body.thread_id, answers, body.checkpoint_id)
    except ClarifierError as exc:
        raise _clarifier_problem(exc, request, "Invalid answers") from None
    events = runner.respond(body.thread_id, answers, checkpoint_id=body.checkpoint_id)
    return StreamingResponse(_sse(events), media_type="text/event-stream", headers=SSE_HEADERS)


class RefineRequest(BaseModel):
    """A follow-up on a finished preview ("make it a pie", "only the West")."""

    model_config = ConfigDict(extra="forbid")
    thread_id: str = Field(min_length=1, max_length=80)
    text: str = Field(min_length=1, max_length=500)


@router.post("/widgets/clarify/refine", dependencies=[Depends(require_token)])
async def clarify_refine(
    body: RefineRequest, request: Request, runner: ClarifierRunner = Depends(get_clarifier)
) -> StreamingResponse:
    """Refine the thread's finished preview and stream the rebuilt spec (404/409/422 problems
    up front: unknown thread, no finished preview, empty text)."""
    try:
        await run_in_threadpool(runner.check_refinable, body.thread_id, body.text)
    except ClarifierError as exc:
        raise _clarifier_problem(exc, request, "Invalid refinement") from None
    events = runner.refine(body.thread_id, body.text)
    return StreamingResponse(_sse(events), media_type="text/event-stream", headers=SSE_HEADERS)


def _persist_problem(exc: PersistError, request: Request, status: int = 422) -> ProblemError:
    extra: dict[str, Any] = {"field": f"promote_metric.{exc.field}"} if exc.field else {}
    title = "Cannot add widget" if status == 422 else "Unknown widget"
    if isinstance(exc, ComponentRejected):  # the static checks that failed, and why
        title, extra = (
            "Component failed static checks",
            {"checks": [c.model_dump() for c in exc.report.checks]},
        )
    return ProblemError(
        status,
        title,
        str(exc),
        type_=f"urn:command-center:widgets:{exc.kind}",
        instance=request.url.path,
        **extra,
    )


@router.post("/widgets", status_code=201, dependencies=[Depends(require_token)])
async def add_widget(body: AddWidgetRequest, request: Request) -> JSONResponse:
    """Persist the spec as a dashboard widget (promoting a one-off metric atomically)."""
    try:
        payload, _board = await actions.add_widget(
            body.spec, promote_metric=body.promote_metric, dashboard_id=body.dashboard_id
        )
    except PersistError as exc:
        raise _persist_problem(exc, request) from None
    except DashboardError as exc:
        raise ProblemError(exc.status, "Unknown dashboard", str(exc)) from None
    location = f"/v1/widgets/{payload['id']}"
    return JSONResponse(payload, status_code=201, headers={"Location": location})


@router.put("/widgets/{widget_id}", dependencies=[Depends(require_token)])
async def put_widget(widget_id: WidgetId, body: UpdateWidgetRequest, request: Request) -> dict:
    """Save an edited spec in place (its cached data is dropped)."""
    try:
        return await actions.update_widget(widget_id, body.spec)
    except PersistError as exc:
        status = 404 if exc.kind == "unknown-widget" else 422
        raise _persist_problem(exc, request, status) from None


@router.post(
    "/widgets/{widget_id}/duplicate", status_code=201, dependencies=[Depends(require_token)]
)
async def duplicate_widget(widget_id: WidgetId, request: Request) -> JSONResponse:
    """A copy of the widget, placed next to it."""
    try:
        payload = await actions.duplicate_widget(widget_id)
    except PersistError as exc:
        raise _persist_problem(exc, request, 404) from None
    location = f"/v1/widgets/{payload['id']}"
    return JSONResponse(payload, status_code=201, headers={"Location": location})


@router.delete("/widgets/{widget_id}", status_code=204, dependencies=[Depends(require_token)])
async def delete_widget(widget_id: WidgetId, request: Request) -> Response:
    """Remove a widget from the dashboard (and drop its cached data)."""
    if await actions.remove_widget(widget_id) is None:
        raise ProblemError(
            404, "Unknown widget", f"no widget {widget_id!r}", instance=request.url.path
        )
    return Response(status_code=204)


@router.get("/widgets", dependencies=[Depends(require_viewer)])
def get_widgets() -> dict[str, Any]:
    """The dashboard's widgets in display order."""
    return {"widgets": [widget_to_dict(w) for w in list_widgets()]}
