"""One creating event through `LiveOps.ingest` on PostgreSQL: committed from the event loop
(no worker thread), and everything the one statement cannot vouch for answered by the batch
path in a thread, as before (`ops/ingest_loop.py`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import Engine

from command_center.db.models import Claim, Event
from command_center.ops import ingest_loop
from command_center.ops import live as live_module
from command_center.ops.ingest import ingest_events
from command_center.ops.live import LiveOps
from command_center.settings import Settings
from tests.test_events_ingest import claim_row, count, filed


@pytest.fixture
def pg(engine: Engine) -> Engine:
    """The PostgreSQL engine only, customers 1–3 and their first devices cached."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL path")
    warm = [filed(900 + c, f"CLM-W{c}", customer=c) for c in (1, 2, 3)]
    assert ingest_events(warm, engine=engine).accepted == 3
    return engine


@pytest.fixture
def threaded(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The options of every `ingest_events` call LiveOps makes (always in a worker thread)."""
    calls: list[dict[str, Any]] = []
    real = live_module.ingest_events

    def spy(events: list[Any], **options: Any) -> Any:
        calls.append({k: v for k, v in options.items() if k != "engine"})
        return real(events, **options)

    monkeypatch.setattr(live_module, "ingest_events", spy)
    return calls


@asynccontextmanager
async def live_ops(engine: Engine) -> AsyncIterator[LiveOps]:
    live = LiveOps(Settings(redis_url=""), engine=engine, tick_seconds=3600)
    await live.start()
    try:
        yield live
    finally:
        await live.stop()


async def test_a_cached_creating_event_commits_without_a_thread(
    pg: Engine, threaded: list[dict[str, Any]]
) -> None:
    async with live_ops(pg) as live:
        before = live.state.snapshot(live_module.utcnow())["open_claims"]
        result = await live.ingest([filed(1, "CLM-A", customer=2)])
        assert (result.accepted, result.duplicates, result.rejected) == (1, 0, [])
        assert threaded == []
        assert live.state.snapshot(live_module.utcnow())["open_claims"] == before + 1
    row = claim_row(pg, "CLM-A")
    assert (row.status, row.region, row.customer_id) == ("filed", "West", 2)


async def test_what_the_statement_cannot_vouch_for_goes_the_batch_way_once(
    pg: Engine, threaded: list[dict[str, Any]]
) -> None:
    async with live_ops(pg) as live:
        assert (await live.ingest([filed(1, "CLM-A")])).accepted == 1
        again = await live.ingest([filed(1, "CLM-A")])  # unique violation: nothing written
        assert (again.accepted, again.duplicates, again.rejected) == (0, 1, [])
        conflict = await live.ingest([filed(1, "CLM-B")])
        assert conflict.rejected[0]["problem"]["reason"] == "event_id_conflict"
        unknown = await live.ingest([filed(2, "CLM-C", customer=9)])  # not cached
        assert unknown.rejected[0]["problem"]["reason"] == "unknown_reference"
        invalid = await live.ingest([{**filed(3, "CLM-D"), "channel": "fax"}])
        assert invalid.rejected[0]["problem"]["field"] == "channel"
    # each went to the thread once, without a second one-statement try
    assert threaded == [{"single": False, "uncertain": False}] * 4
    assert count(pg, Claim) == 4 and count(pg, Event) == 4


async def test_concurrent_copies_apply_once(pg: Engine) -> None:
    async with live_ops(pg) as live:
        results = await asyncio.gather(*(live.ingest([filed(1, "CLM-A")]) for _ in range(4)))
    assert sorted((r.accepted, r.duplicates) for r in results) == [(0, 1)] * 3 + [(1, 0)]
    assert count(pg, Claim) == 4 and count(pg, Event) == 4


async def test_a_lost_acknowledgement_reloads_the_kpis(
    pg: Engine, threaded: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statement committed but the connection dropped before the answer: the batch path
    finds the event stored (a duplicate), the result is uncertain, and the KPIs are
    reloaded from the database instead of missing the claim."""
    cursor = ingest_loop.AsyncPgConnections.cursor

    class Dropping:
        def __init__(self, cursor: psycopg.AsyncCursor[Any]) -> None:
            self.cursor = cursor

        async def execute(self, *args: Any) -> None:
            await self.cursor.execute(*args)
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    @asynccontextmanager
    async def dropping(self: Any) -> AsyncIterator[Any]:
        async with cursor(self) as real:
            yield Dropping(real)

    async with live_ops(pg) as live:
        before = live.state.snapshot(live_module.utcnow())["open_claims"]
        monkeypatch.setattr(ingest_loop.AsyncPgConnections, "cursor", dropping)
        result = await live.ingest([filed(1, "CLM-A")])
        assert (result.accepted, result.duplicates, result.uncertain) == (0, 1, True)
        assert threaded == [{"single": False, "uncertain": True}]
        monkeypatch.setattr(ingest_loop.AsyncPgConnections, "cursor", cursor)
        assert (await live.ingest([filed(2, "CLM-B")])).accepted == 1  # reloads first
        assert live.state.snapshot(live_module.utcnow())["open_claims"] == before + 2
    assert count(pg, Event) == 5


async def test_a_connection_left_in_a_transaction_is_not_kept(pg: Engine) -> None:
    """Only a connection with nothing in flight goes back to the idle set (an autocommit
    statement alone never leaves one open; anything else is closed, not reused)."""
    connections = ingest_loop.loop_connections(pg)
    assert connections is not None
    async with connections.cursor() as cursor:
        await cursor.execute("SELECT 1")
    async with connections.cursor() as again:
        assert again is cursor  # kept and reused
        await again.execute("BEGIN")
    assert again.connection.closed
    async with connections.cursor() as fresh:
        assert fresh is not cursor
    await connections.close()
    assert fresh.connection.closed


async def test_a_burst_waits_for_a_connection_instead_of_opening_one_each(
    pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At most `keep` connections are in use at once: a third concurrent request does not
    open a connection of its own (a burst of hundreds exhausted `max_connections`)."""
    opened: list[str] = []
    connect = psycopg.AsyncConnection.connect

    async def counting(*args: Any, **kwargs: Any) -> Any:
        opened.append("connect")  # counted when asked, before any I/O
        return await connect(*args, **kwargs)

    monkeypatch.setattr(psycopg.AsyncConnection, "connect", counting)
    connections = ingest_loop.loop_connections(pg)
    assert connections is not None
    connections.keep = 2
    connections._slots = asyncio.Semaphore(2)
    first, second = connections.cursor(), connections.cursor()
    held = [await first.__aenter__(), await second.__aenter__()]
    got: list[Any] = []

    async def third() -> None:
        async with connections.cursor() as cursor:
            got.append(cursor)

    waiting = asyncio.create_task(third())
    await asyncio.sleep(0)  # it runs up to its first suspension
    assert len(opened) == 2 and not got  # waiting for a slot, no third connection
    await first.__aexit__(None, None, None)
    await waiting
    assert got == [held[0]] and len(opened) == 2  # the released connection, reused
    await second.__aexit__(None, None, None)
    await connections.close()


async def test_no_connection_at_all_goes_the_batch_way_as_certain(
    pg: Engine, threaded: list[dict[str, Any]]
) -> None:
    """A connection that cannot be opened sent nothing: the batch path answers without
    marking the result uncertain (no KPI reload for a refused connection)."""
    async with live_ops(pg) as live:
        live._loop_connections = ingest_loop.AsyncPgConnections(
            "host=127.0.0.1 port=1 dbname=none user=none connect_timeout=2"
        )
        result = await live.ingest([filed(1, "CLM-A")])
        assert (result.accepted, result.uncertain) == (1, False)
    assert threaded == [{"single": False, "uncertain": False}]
