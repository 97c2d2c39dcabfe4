"""A paused clarifier thread survives a restart (new graph + new checkpointer, same store)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from command_center.llm.offline import OfflineLLM
from command_center.settings import Settings
from command_center.widgets.checkpoint import (
    Checkpointer,
    open_checkpointer,
    postgres_checkpointer,
    psycopg_url,
    sqlite_checkpointer,
)
from command_center.widgets.context import seeded_catalog
from command_center.widgets.runner import ClarifierRunner
from tests.widget_helpers import by_name, collect


def _runner(checkpointer: Checkpointer) -> ClarifierRunner:
    return ClarifierRunner(
        llm=OfflineLLM(), checkpointer=checkpointer, catalog_loader=seeded_catalog
    )


async def _restart_and_resume(open_store: Callable[[], Checkpointer]) -> None:
    first = _runner(open_store())
    events = await collect(first.start_clarification("chart of average payout"))
    questions = by_name(events, "questions")[0]
    first.close()  # the "process" goes away

    second = _runner(open_store())
    try:
        paused = second.paused(questions["thread_id"])
        assert paused is not None and paused.checkpoint_id == questions["checkpoint_id"]
        resumed = await collect(
            second.respond(questions["thread_id"], {"dimension": "region"},
                           checkpoint_id=questions["checkpoint_id"])
        )  # fmt: skip
        (result,) = by_name(resumed, "result")
        assert result["interrupted"] is False
        assert result["spec"]["data_intent"] == {
            "entity": "claims", "metric": "avg_payout", "dimensions": ["region"], "filters": {},
            "window_days": 30, "refresh_seconds": 60, "limit": None,
            "exclude": {}, "period": None, "sort": None,
        }  # fmt: skip
    finally:
        second.close()
    third = _runner(open_store())
    try:  # the finished thread is durable too, and cannot be resumed again
        assert third.state(questions["thread_id"])["spec"]["title"].startswith("Average payout")
        again = await collect(third.respond(questions["thread_id"], {"dimension": "channel"}))
        assert again[-1].data["kind"] == "conflict"
    finally:
        third.close()


async def test_sqlite_file_restart_and_resume(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints.sqlite"
    await _restart_and_resume(lambda: sqlite_checkpointer(path))
    assert path.exists()


async def test_postgres_restart_and_resume(pg_url: str) -> None:
    await _restart_and_resume(lambda: postgres_checkpointer(pg_url))


def test_open_checkpointer_follows_database_mode(settings: Settings, pg_url: str) -> None:
    embedded = open_checkpointer(settings)
    try:
        assert embedded.location == str(settings.checkpoint_path)
    finally:
        embedded.close()
    pg = open_checkpointer(settings.model_copy(update={"database_url": pg_url}))
    try:
        assert pg.location.startswith("postgresql+psycopg://")
        assert type(pg.saver).__name__ == "PostgresSaver"
    finally:
        pg.close()
    assert psycopg_url(pg_url).startswith("postgresql://")
