"""Worker thread → event loop hand-over of clarifier events (widgets/mailbox.py)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from command_center.widgets.mailbox import Mailbox


async def test_a_burst_is_one_wake_up_and_arrives_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    wakes: list[Any] = []
    original = loop.call_soon_threadsafe

    def counting(callback: Any, *args: Any) -> Any:
        wakes.append(callback)
        return original(callback, *args)

    monkeypatch.setattr(loop, "call_soon_threadsafe", counting)
    mailbox: Mailbox[int] = Mailbox(loop)
    worker = threading.Thread(target=lambda: [mailbox.put(i) for i in range(100)])
    worker.start()
    worker.join()
    assert await mailbox.take() == list(range(100))
    assert len(wakes) == 1
    # the next item after a take wakes the consumer again
    threading.Thread(target=mailbox.put, args=(100,)).start()
    assert await asyncio.wait_for(mailbox.take(), timeout=10) == [100]
    assert len(wakes) == 2


async def test_items_put_while_the_consumer_waits_are_all_delivered() -> None:
    mailbox: Mailbox[int | None] = Mailbox(asyncio.get_running_loop())

    def produce() -> None:
        for i in range(500):
            mailbox.put(i)
        mailbox.put(None)

    threading.Thread(target=produce).start()
    got: list[int] = []
    while True:
        batch = await asyncio.wait_for(mailbox.take(), timeout=10)
        got += [i for i in batch if i is not None]
        if None in batch:
            break
    assert got == list(range(500))


def test_a_closed_loop_is_ignored() -> None:
    loop = asyncio.new_event_loop()
    mailbox: Mailbox[int] = Mailbox(loop)
    loop.close()
    mailbox.put(1)  # no RuntimeError: the producer finishes its work regardless
