"""A turn that arrives while every clarifier worker is busy says it waits, then runs."""

from __future__ import annotations

import threading

import pytest

from command_center.ui.states.builder_views import stage_step
from command_center.widgets import runner as runner_module
from command_center.widgets.workers import IN_FLIGHT, QUEUED_STAGE, WORKERS
from tests.widget_helpers import by_name, collect, memory_runner


async def test_a_turn_waiting_for_a_worker_is_told_and_then_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner_module, "WORKER_COUNT", 1)
    release = threading.Event()
    IN_FLIGHT.enter()  # the one worker is busy with another operator's turn
    busy = WORKERS.submit(release.wait)
    try:
        runner = memory_runner()
        stream = runner.start_clarification("open claims by region")
        first = await anext(stream)
        assert first.name == "stage"
        assert first.data["stage"] == QUEUED_STAGE and first.data["ahead"] == 1
        release.set()
        IN_FLIGHT.leave()
        events = [first, *await collect(stream)]
    finally:
        release.set()
        busy.result()
    stages = [e["stage"] for e in by_name(events, "stage")]
    assert stages[0] == QUEUED_STAGE and len(stages) > 1
    assert by_name(events, "result") or by_name(events, "questions")
    assert IN_FLIGHT.count == 0


async def test_no_queued_stage_while_a_worker_is_free() -> None:
    events = await collect(memory_runner().start_clarification("open claims by region"))
    assert QUEUED_STAGE not in [e["stage"] for e in by_name(events, "stage")]
    assert IN_FLIGHT.count == 0


def test_the_queued_stage_reads_as_waiting() -> None:
    (step,) = stage_step([], QUEUED_STAGE)
    assert step["label"] == "Waiting for a free worker"
