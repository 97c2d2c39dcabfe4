"""One creating event on PostgreSQL without leaving the event loop.

`ingest_single` commits a lone creating event (`claim_filed`, `device_registered`,
`session_opened` without a claim) as one statement built from cached immutable rows. That
statement is one round trip, and its Python (the handlers on a working copy, the write
statement) is a fraction of a millisecond: handing it to a worker thread cost more than it
did — two thread wake-ups and the GIL handed back and forth per request. Here the same
preparation (`ingest_single._prepare`, the same handlers and state machine) runs on the
loop, and the statement goes out on an asyncio psycopg connection (autocommit: its own
transaction) while the loop serves other requests.

Whatever this path cannot vouch for goes to `ingest_events` in a worker thread, exactly as
before: an invalid event, a reference not cached, cached rows that reject the event, or a
constraint violation (the entity or event id exists, a cached row is gone — nothing was
written). A lost connection may have lost the acknowledgement of a commit: the batch path
then runs with the result marked uncertain (the KPIs are reloaded, not guessed).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy.engine import Engine

from command_center.db.models import utcnow
from command_center.ops.ingest import IngestResult, _conclude, _parse, _pipelines
from command_center.ops.ingest_pg import as_one_statement
from command_center.ops.ingest_pgconn import KEEP_IDLE, conninfo
from command_center.ops.ingest_single import _prepare, reference_cache
from command_center.ops.kpis import as_utc

# What `attempt_loop` returns when the batch path must decide (`uncertain`: a commit may
# have happened unseen)
BATCH_PATH = "batch"
UNCERTAIN = "uncertain"


class NotConnected(psycopg.OperationalError):
    """No connection could be opened: nothing was sent, so nothing was written."""


class AsyncPgConnections:
    """Idle asyncio autocommit connections to one database (LIFO, at most `keep`), each
    with a cursor kept for it (one less object per statement), bound to the event loop
    that opened them (one set per `LiveOps`). At most `keep` are in use at once: a burst of
    concurrent requests waits for one rather than opening a connection each (hundreds of
    them exhausted the server's `max_connections`, each failure a KPI reload)."""

    def __init__(self, conninfo: str, keep: int = KEEP_IDLE) -> None:
        self.conninfo, self.keep = conninfo, keep
        self._idle: list[psycopg.AsyncCursor[Any]] = []
        self._slots = asyncio.Semaphore(keep)
        self._pid = os.getpid()

    @asynccontextmanager
    async def cursor(self) -> AsyncIterator[psycopg.AsyncCursor[Any]]:
        """An idle connection's cursor (or a new one's, `NotConnected` when none opens); a
        broken connection is dropped with every idle one."""
        async with self._slots, self._cursor() as cursor:
            yield cursor

    @asynccontextmanager
    async def _cursor(self) -> AsyncIterator[psycopg.AsyncCursor[Any]]:
        if self._pid != os.getpid():  # a forked child: those sockets are the parent's
            self._idle, self._pid = [], os.getpid()
        cursor = self._idle.pop() if self._idle else None
        if cursor is None:
            try:
                conn = await psycopg.AsyncConnection.connect(
                    self.conninfo, prepare_threshold=0, autocommit=True
                )
            except psycopg.OperationalError as exc:
                raise NotConnected(str(exc)) from exc
            cursor = conn.cursor()
        conn = cursor.connection
        try:
            yield cursor
        except BaseException:
            if conn.closed or conn.broken:
                await self.close()
            raise
        finally:
            if (
                not conn.closed
                and conn.info.transaction_status == TransactionStatus.IDLE  # none in flight
                and len(self._idle) < self.keep
            ):
                self._idle.append(cursor)
            elif not conn.closed:
                await conn.close()

    async def close(self) -> None:
        """Close every idle connection."""
        idle, self._idle = self._idle, []
        for cursor in idle:
            await cursor.connection.close()


def loop_connections(engine: Engine) -> AsyncPgConnections | None:
    """New asyncio connections for `engine`'s database (None: not PostgreSQL + psycopg)."""
    return AsyncPgConnections(conninfo(engine)) if _pipelines(engine) else None


async def attempt_loop(
    engine: Engine,
    connections: AsyncPgConnections,
    events_raw: list[Any],
    now: datetime | None = None,
) -> IngestResult | str:
    """Ingest one creating event on the loop: its result, or `BATCH_PATH` / `UNCERTAIN`
    when `ingest_events` must decide (nothing written, or a commit possibly unseen)."""
    if len(events_raw) != 1:
        return BATCH_PATH
    now = as_utc(now or utcnow())
    parsed, invalid = _parse(events_raw)
    if invalid:
        return BATCH_PATH  # the batch path reports it (no database work for it either)
    cache = reference_cache(engine)
    prepared = _prepare(cache, parsed, now)
    if prepared is None:
        return BATCH_PATH
    ctx, trial, writes = prepared
    try:
        async with connections.cursor() as cursor:
            await cursor.execute(*as_one_statement(writes))
    except NotConnected:
        return BATCH_PATH  # nothing was sent: certainly not written
    except psycopg.errors.UniqueViolation:
        return BATCH_PATH  # the entity or the event id exists: the batch path tells which
    except psycopg.IntegrityError:
        cache.clear()  # a cached row is gone or changed
        return BATCH_PATH
    except psycopg.OperationalError:
        return UNCERTAIN  # the connection dropped: before or after the commit?
    result = IngestResult(events=trial.events)
    return _conclude(result, ctx, [])
