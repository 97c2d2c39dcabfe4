"""Dashboard stream: WebSocket `/dashboard/stream` (and SSE `/dashboard/events`), under /v1.

The first message is the current snapshot (`kind="snapshot"`), then every update
(`kind="update"`) and status change (`kind="status"`); each KPI message carries `version`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse

from command_center.ops.live import get_live_ops

router = APIRouter(tags=["live operations"])


@router.websocket("/dashboard/stream")
async def dashboard_stream(websocket: WebSocket) -> None:
    """Push snapshot, then updates, to one WebSocket client until it disconnects."""
    await websocket.accept()
    live = await get_live_ops()

    async def receive_until_closed() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return

    async with live.fanout.subscribe() as consumer:
        closed = asyncio.create_task(receive_until_closed())
        try:
            while not closed.done():
                getter = asyncio.create_task(consumer.get())
                done, _pending = await asyncio.wait(
                    {getter, closed}, return_when=asyncio.FIRST_COMPLETED
                )
                if getter not in done:
                    getter.cancel()
                    break
                await websocket.send_json(getter.result())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            closed.cancel()


@router.get("/dashboard/events")
async def dashboard_events() -> StreamingResponse:
    """The same stream as Server-Sent Events (`data: {json}` per item)."""
    live = await get_live_ops()

    async def items() -> AsyncIterator[str]:
        async with live.fanout.subscribe() as consumer:
            while True:
                try:
                    item = await consumer.get(timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: {item['kind']}\ndata: {json.dumps(item)}\n\n"

    return StreamingResponse(items(), media_type="text/event-stream")
