"""/v1 widget routes: the clarifier over SSE, "Add to dashboard", and the widget list."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from command_center.api.auth import require_token, require_viewer
from command_center.api.problems import ProblemError
from command_center.metrics.definitions import MetricDefinition
from command_center.widgets.persist import (
    ComponentRejected,
    PersistError,
    add_widget_to_dashboard,
    list_widgets,
    remove_widget,
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
    checkpoint_id: str | None = Field(default=None, description="from the questions event")


class AddWidgetRequest(BaseModel):
    """Persist a spec (the UI's "Add to dashboard")."""

    model_config = ConfigDict(extra="forbid")
    spec: WidgetSpec
    promote_metric: MetricDefinition | None = None


def get_clarifier() -> ClarifierRunner:
    """Dependency: the process-wide clarifier runner (tests override it)."""
    return get_runner()


async def _sse(events: AsyncIterator[ClarifierEvent]) -> AsyncIterator[str]:
    async for event in events:
        yield event.sse()


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
        raise ProblemError(
            exc.status,
            {404: "Unknown thread", 409: "Conflict", 422: "Invalid answers"}.get(
                exc.status, "Clarifier error"
            ),
            str(exc),
            type_=f"urn:command-center:clarifier:{exc.kind}",
            instance=request.url.path,
        ) from None
    events = runner.respond(body.thread_id, answers, checkpoint_id=body.checkpoint_id)
    return StreamingResponse(_sse(events), media_type="text/event-stream", headers=SSE_HEADERS)


@router.post("/widgets", status_code=201, dependencies=[Depends(require_token)])
def add_widget(body: AddWidgetRequest, request: Request) -> JSONResponse:
    """Persist the spec as a dashboard widget (promoting a one-off metric atomically)."""
    try:
        widget = add_widget_to_dashboard(body.spec, promote_metric=body.promote_metric)
    except ComponentRejected as exc:  # the static checks that failed, and why
        raise ProblemError(
            422,
            "Component failed static checks",
            str(exc),
            type_="urn:command-center:widgets:component-rejected",
            instance=request.url.path,
            checks=[c.model_dump() for c in exc.report.checks],
        ) from None
    except PersistError as exc:
        extra = {"field": f"promote_metric.{exc.field}"} if exc.field else {}
        raise ProblemError(
            422,
            "Cannot add widget",
            str(exc),
            type_=f"urn:command-center:widgets:{exc.kind}",
            instance=request.url.path,
            **extra,
        ) from None
    payload = widget_to_dict(widget)
    return JSONResponse(payload, status_code=201, headers={"Location": f"/v1/widgets/{widget.id}"})


@router.delete("/widgets/{widget_id}", status_code=204, dependencies=[Depends(require_token)])
async def delete_widget(widget_id: str, request: Request) -> Response:
    """Remove a widget from the dashboard (and drop its cached data)."""
    from command_center.resolver import widget_cache

    if not await asyncio.to_thread(remove_widget, widget_id):
        raise ProblemError(
            404, "Unknown widget", f"no widget {widget_id!r}", instance=request.url.path
        )
    await widget_cache().invalidate(f"widget:data:{widget_id}:")
    return Response(status_code=204)


@router.get("/widgets", dependencies=[Depends(require_viewer)])
def get_widgets() -> dict[str, Any]:
    """The dashboard's widgets in display order."""
    return {"widgets": [widget_to_dict(w) for w in list_widgets()]}
