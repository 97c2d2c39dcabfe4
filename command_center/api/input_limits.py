"""ASGI middleware: request-body size and read-time limits, WebSocket message size.

It wraps the whole backend (the `/v1` API and, through `api_transformer`, Reflex's own
routes and its `/_event` socket), so every route is covered:

- a declared `Content-Length` over the route's limit is answered 413 before the app runs;
- otherwise the body is counted as it streams in from `receive()`; the first chunk past
  the limit gets a 413 and the app sees a disconnect: nothing past limit + one chunk is read
  and nothing is parsed;
- the whole body must arrive within `BODY_READ_TIMEOUT_SECONDS` (slow-loris bodies) or 408;
- a WebSocket message larger than `WS_MAX_MESSAGE_BYTES` closes the socket with 1009.

Problems are `application/problem+json` (RFC 7807).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from command_center.api.problems import PROBLEM_MEDIA_TYPE, problem
from command_center.limits import body_limit
from command_center.settings import get_settings

WS_MESSAGE_TOO_BIG = 1009
_DISCONNECT: Message = {"type": "http.disconnect"}


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _ws_message_size(message: Message, limit: int) -> int:
    data = message.get("bytes")
    if data is not None:
        return len(data)
    text = message.get("text") or ""
    # a str is at most 4 UTF-8 bytes per character: encode only when it could be over
    return len(text.encode("utf-8")) if len(text) * 4 > limit else len(text)


class _HttpExchange:
    """One HTTP request passing through the limits."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, limit: int, timeout: float):
        self.scope, self._receive, self._send = scope, receive, send
        self.limit, self.timeout = limit, timeout
        self.received = 0
        self.deadline: float | None = None
        self.body_done = False
        self.started = False
        self.answered = False

    async def answer(self, status: int, slug: str, title: str, detail: str, **extra: Any) -> None:
        """Send a problem response (unless the app already started one); stop the exchange."""
        if self.answered:
            return
        self.answered = True
        if self.started:
            return
        document = problem(status, title, detail, type_=f"/problems/{slug}", **extra)
        body = json.dumps(document).encode()
        headers = [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await self._send({"type": "http.response.start", "status": status, "headers": headers})
        await self._send({"type": "http.response.body", "body": body})

    async def too_large(self, size: int, declared: bool) -> None:
        """413 naming the limit."""
        what = "declared Content-Length" if declared else "request body"
        await self.answer(
            413,
            "request-too-large",
            "Request body too large",
            f"{what} of {size} bytes exceeds the limit of {self.limit} bytes for this route",
            limit=self.limit,
        )

    async def receive(self) -> Message:
        if self.answered:
            return _DISCONNECT
        if self.body_done:
            return await self._receive()
        now = time.monotonic()
        if self.deadline is None:
            self.deadline = now + self.timeout
        try:  # asyncio.timeout: no task per receive (wait_for wraps the call in one)
            async with asyncio.timeout(max(self.deadline - now, 0)):
                message = await self._receive()
        except TimeoutError:
            await self.answer(
                408,
                "request-timeout",
                "Request body timeout",
                f"the request body did not arrive within {self.timeout:g} s",
                limit_seconds=self.timeout,
            )
            return _DISCONNECT
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                await self.too_large(self.received, declared=False)
                return _DISCONNECT
            self.body_done = not message.get("more_body", False)
        return message

    async def send(self, message: Message) -> None:
        if self.answered:
            return  # our problem went out instead; the app's response is dropped
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


class InputLimitsMiddleware:
    """Body size, body read time and WebSocket message size limits for every route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings = get_settings()
        limit = body_limit(scope.get("path", ""), settings)
        exchange = _HttpExchange(scope, receive, send, limit, settings.body_read_timeout_seconds)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await exchange.too_large(declared, declared=True)
            return
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except Exception:
            if not exchange.answered:
                raise
            # the app saw the disconnect we fed it after answering 413/408: nothing to report

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = get_settings().ws_max_message_bytes
        closed = False

        async def limited_receive() -> Message:
            nonlocal closed
            if closed:
                return {"type": "websocket.disconnect", "code": WS_MESSAGE_TOO_BIG}
            message = await receive()
            if message["type"] == "websocket.receive" and _ws_message_size(message, limit) > limit:
                closed = True
                await send(
                    {
                        "type": "websocket.close",
                        "code": WS_MESSAGE_TOO_BIG,
                        "reason": f"message larger than {limit} bytes",
                    }
                )
                return {"type": "websocket.disconnect", "code": WS_MESSAGE_TOO_BIG}
            return message

        async def guarded_send(message: Message) -> None:
            if not closed:
                await send(message)

        await self.app(scope, limited_receive, guarded_send)
