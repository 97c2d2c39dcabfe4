"""Coalescing clarifier events into state pushes (ui/states/builder_batches.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from command_center.ui.states.builder_batches import batches


def _final(item: str) -> bool:
    return item.startswith("result")


async def _source(items: list[str], gate: asyncio.Event | None = None) -> AsyncIterator[str]:
    for item in items:
        if item == "|" and gate is not None:  # wait here until the test opens the gate
            await gate.wait()
            continue
        yield item


async def _collect(stream: AsyncIterator[list[str]]) -> list[list[str]]:
    return [batch async for batch in stream]


async def test_events_before_the_final_one_share_its_batch() -> None:
    items = ["stage a", "stage b", "gaps", "result", "stage late"]
    got = await _collect(batches(_source(items), 3600.0, _final))
    assert got == [["stage a", "stage b", "gaps", "result"], ["stage late"]]


async def test_interval_zero_sends_every_event_alone() -> None:
    got = await _collect(batches(_source(["a", "b", "result"]), 0.0, _final))
    assert got == [["a"], ["b"], ["result"]]


async def test_waiting_events_are_shown_after_the_interval() -> None:
    # the source stalls after "a" until the test has seen "a": only the timer can show it
    gate = asyncio.Event()
    got: list[list[str]] = []

    async def consume() -> None:
        async with contextlib.aclosing(
            batches(_source(["a", "|", "b", "result"], gate), 0.01, _final)
        ) as stream:
            async for batch in stream:
                got.append(batch)
                gate.set()

    await asyncio.wait_for(consume(), timeout=10)
    assert got[0] == ["a"] and got[-1][-1] == "result"


async def test_a_failing_stream_shows_what_it_sent_then_raises() -> None:
    async def broken() -> AsyncIterator[str]:
        yield "stage a"
        raise RuntimeError("boom")

    got: list[list[str]] = []
    with pytest.raises(RuntimeError, match="boom"):
        async for batch in batches(broken(), 3600.0, _final):
            got.append(batch)
    assert got == [["stage a"]]


async def test_closing_early_cancels_the_pending_read() -> None:
    gate = asyncio.Event()  # never set: the second read would wait forever
    source = _source(["a", "|", "b"], gate)
    async with contextlib.aclosing(batches(source, 0.0, _final)) as stream:
        async for batch in stream:
            assert batch == ["a"]
            break
    await source.aclose()  # not running any more: the pending read was cancelled
