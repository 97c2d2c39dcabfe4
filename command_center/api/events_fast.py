"""POST /v1/events without FastAPI's request machinery (the route machine clients call at
event rate).

A pure ASGI layer inside the API's middleware stack — under the input limits, the frame
policy and the server-error handler, above FastAPI's exception middleware and router. For
`POST /v1/events` with a JSON object or list body it does what the FastAPI route does, with
the same functions: the bearer-token check (`require_token`), `answer_events` (validation,
batch limit, ingest, 202/409/413/422), problem documents for `ProblemError` and an
unreachable database (the handlers' own functions). It skips what costs a one-event
request more than its ingest Python: route matching, dependency solving, body field
validation, the request/response wrappers and their exit stacks.

Anything else goes to the app untouched, the body already read replayed to it: other
routes and methods, a missing or non-JSON content type, an empty or undecodable body, a
body that is neither an object nor a list, dependency overrides (tests). The FastAPI route
stays registered, so `/openapi.json` documents the operation and answers those requests.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from command_center.api.auth import require_token
from command_center.api.events import answer_events
from command_center.api.problems import (
    ProblemError,
    database_unavailable_errors,
    problem_error_response,
    unavailable_response,
)

EVENTS_PATH = "/v1/events"
_UNAVAILABLE = database_unavailable_errors()


def _is_json(scope: Scope) -> bool:
    """A `Content-Type: application/json` request (parameters such as charset allowed)."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == b"application/json"
    return False


def _decode(body: bytes) -> Any:
    """The body as FastAPI decodes it (`json.loads`), when it is an object or a list; None
    otherwise (the app answers)."""
    if not body:
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, no UTF-8/16/32 text, nested too deep
        return None  # (FastAPI's 400: the fast path answered a nesting bomb 500, unsigned)
    return value if isinstance(value, dict | list) else None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """`receive` that hands out `messages` first (the body already read), then the rest."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


class EventsFastPath:
    """Serve POST /v1/events directly (see the module docstring); `api` is the FastAPI app
    whose middleware stack this sits in (its dependency overrides send requests its way)."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app, self.api = app, api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or get_route_path(scope) != EVENTS_PATH
            or not _is_json(scope)
            or self.api.dependency_overrides
        ):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        chunks: list[bytes] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":  # a disconnect (or a limit answered)
                await self.app(scope, _replay(messages, receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = _decode(chunks[0] if len(chunks) == 1 else b"".join(chunks))
        if body is None:
            await self.app(scope, _replay(messages, receive), send)
            return
        request = Request(scope, _replay(messages, receive))
        try:
            await require_token(request)
            response = await answer_events(body)
        except ProblemError as exc:
            response = problem_error_response(exc)
        except _UNAVAILABLE as exc:
            response = unavailable_response(request.url.path, exc)
        await response(scope, receive, send)
