"""The claims-by-status panel's query is shared by every tab of a process."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from command_center.ops import activity


async def test_many_tabs_share_one_query_and_a_fresh_memo_needs_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[int] = []
    release = threading.Event()
    rows = [{"status": "filed", "count": 3}]

    def query(max_age_seconds: float = 1.0) -> list[dict[str, Any]]:
        calls.append(1)
        release.wait(10)  # every tab asks while the one query is still running
        monkeypatch.setattr(activity, "_status_cache", (time.monotonic(), rows))
        return rows

    monkeypatch.setattr(activity, "claims_by_status", query)
    monkeypatch.setattr(activity, "_status_cache", (0.0, []))
    monkeypatch.setattr(activity, "_status_query", None)
    tabs = [asyncio.create_task(activity.shared_claims_by_status()) for _ in range(50)]
    await asyncio.sleep(0)  # let every tab reach the shared query before it finishes
    release.set()
    answers = await asyncio.gather(*tabs)
    assert answers == [rows] * 50
    assert len(calls) == 1
    assert await activity.shared_claims_by_status() == rows  # fresh: no second query
    assert len(calls) == 1
    monkeypatch.setattr(activity, "_status_cache", (0.0, rows))  # stale again: one more
    assert await activity.shared_claims_by_status() == rows
    assert len(calls) == 2
