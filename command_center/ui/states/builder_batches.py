"""Coalesce a stream of clarifier events into batches, one UI state push per batch.

Every `async with self` in a Reflex background task sends a state delta to the browser, which
re-renders the builder. An offline turn streams ~10 events within tens of milliseconds, so
pushing each one cost more than the turn itself. Events are held until a final one (`result`
or `error`) arrives, or until `interval` seconds have passed since the last push with events
waiting — so a slow (live) turn still shows its stages as they start, at most that late.
A result's real rows (`RealRows`) are fetched as soon as it arrives, so the preview can be
drawn once, from real data. No Reflex here; unit-tested on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
_END = object()


async def batches(
    events: AsyncIterator[T], interval: float, is_final: Callable[[T], bool]
) -> AsyncIterator[list[T]]:
    """Yield the events of `events` in order, grouped: a batch ends at a final event, or once
    `interval` seconds have passed since the previous batch (0 = every event on its own).
    The next event is awaited while the consumer handles a batch. Close it (`aclosing`)
    before closing `events`: a pending read of `events` is cancelled then."""
    loop = asyncio.get_running_loop()
    pending: list[T] = []
    last = loop.time()
    step: asyncio.Future | None = None
    try:
        while True:
            if step is None:
                step = asyncio.ensure_future(anext(events, _END))
            timeout = None if not pending else max(0.0, last + interval - loop.time())
            done, _ = await asyncio.wait({step}, timeout=timeout)
            if not done:  # events waited long enough: show them, keep reading
                yield pending
                pending, last = [], loop.time()
                continue
            finished, step = step, None
            try:
                item = finished.result()
            except BaseException:  # the stream failed: what it sent so far is still shown
                if pending:
                    yield pending
                raise
            if item is _END:
                break
            pending.append(item)  # type: ignore[arg-type]
            if is_final(item) or loop.time() - last >= interval:  # type: ignore[arg-type]
                yield pending
                pending, last = [], loop.time()
        if pending:
            yield pending
    finally:
        if step is not None and not step.done():
            step.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await step


def is_final(event: Any) -> bool:
    """A clarifier event that ends a turn (`result` or `error`)."""
    return event.name in ("result", "error")


@dataclass
class RealRows:
    """The real rows of a finished preview, fetched while the turn is being shown."""

    spec: dict[str, Any]
    task: asyncio.Future

    @classmethod
    def start(cls, batch: list[Any]) -> RealRows | None:
        """Start the query for a batch's finished, non-custom spec (None: there is none).
        A custom component previews itself in its sandbox."""
        from command_center.widgets.preview import preview_data

        done = [e.data for e in batch if e.name == "result" and not e.data.get("interrupted")]
        spec = done[-1].get("spec") if done else None
        if not spec or spec.get("type") == "custom":
            return None
        query = preview_data(dict(spec), done[-1].get("promote_metric"))
        return cls(dict(spec), asyncio.ensure_future(query))

    async def wait(self, timeout: float | None = None) -> None:
        """Wait for the rows, at most `timeout` seconds (None: until they are there)."""
        if not self.task.done():
            await asyncio.wait({self.task}, timeout=timeout)

    def outcome(self) -> tuple[Any, str]:
        """(WidgetData, "") once fetched, or (None, why it failed)."""
        if self.task.cancelled():
            return None, "cancelled"
        error = self.task.exception()
        if error is not None:
            text = str(error).strip().splitlines()[0] if str(error).strip() else ""
            return None, (text or type(error).__name__)[:300]
        return self.task.result(), ""
