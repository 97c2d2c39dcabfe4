"""Running a PostgreSQL ingest attempt: plain psycopg connections kept per engine, outside
SQLAlchemy's pool, and the two pipelines.

A batch costs two round trips (reads; writes + COMMIT), so the pool's pre-ping (a third)
and its checkout/reset bookkeeping were a large share of a one-event request. (psycopg's
asyncio connections on the event loop were measured too: slower than a worker thread here,
each pipeline wait being a loop round.) No ping is needed: a connection that died while
idle (a database restart) fails its attempt with `OperationalError`, which the caller
retries; the failure also drops every other idle connection (they died with it), so the
retry connects afresh — what SQLAlchemy's pool invalidation does.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.pq import TransactionStatus
from psycopg.rows import namedtuple_row
from sqlalchemy import event
from sqlalchemy.engine import Engine

from command_center.ops.ingest_apply import apply_batch
from command_center.ops.ingest_batch import IngestResult, _Context, _Race
from command_center.ops.ingest_pg import (
    Statement,
    load_context,
    load_statements,
    stored_check,
    write_statements,
)

KEEP_IDLE = 8  # idle connections kept per engine (ingest runs in the default thread pool)
# Every statement on these connections reaches its rows by a unique key (`= ANY(array)` on
# an external id or event id, the primary key in UPDATE … FROM, the external id in the
# COALESCE look-ups), so index probes are always the right plan. The planner does not
# always know: in a table growing faster than its statistics (a fresh database under steady
# ingest) it estimated a few hundred rows and scanned all of them, comparing each with every
# key of the array — the load step went from 35 to 300 ms per 500-event batch within a
# minute. Sequential scans are therefore off for them, and every statement is prepared on
# first use with one generic plan (no re-planning per batch).
SERVER_OPTIONS = "-c enable_seqscan=off -c plan_cache_mode=force_generic_plan"


class PgConnections:
    """Idle connections to one database (LIFO, at most `keep`), one handed out per attempt."""

    def __init__(self, conninfo: str, keep: int = KEEP_IDLE, autocommit: bool = False) -> None:
        self.conninfo, self.keep, self.autocommit = conninfo, keep, autocommit
        self._idle: list[psycopg.Connection[Any]] = []
        self._guard = threading.Lock()
        self._pid = os.getpid()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection with no transaction open; on an exception it is rolled back (or,
        when broken, dropped with every idle one) and the exception propagates."""
        with self._guard:
            if self._pid != os.getpid():  # a forked child: those sockets are the parent's
                self._idle, self._pid = [], os.getpid()
            conn = self._idle.pop() if self._idle else None
        conn = conn or psycopg.connect(
            self.conninfo, prepare_threshold=0, autocommit=self.autocommit
        )
        try:
            yield conn
        except BaseException:
            if not conn.closed:
                try:
                    conn.rollback()
                except psycopg.Error:
                    conn.close()
            if conn.closed:
                self.close()
            raise
        finally:
            if not self._keep(conn):
                conn.close()

    def _keep(self, conn: psycopg.Connection[Any]) -> bool:
        """Keep `conn` if it is clean and there is room (False: the caller closes it)."""
        if conn.closed or conn.info.transaction_status != TransactionStatus.IDLE:
            return False
        with self._guard:
            if len(self._idle) < self.keep:
                self._idle.append(conn)
                return True
        return False

    def close(self) -> None:
        """Close every idle connection."""
        with self._guard:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def conninfo(engine: Engine) -> str:
    """libpq connection string of a SQLAlchemy PostgreSQL engine, with `SERVER_OPTIONS`
    added to any `options` the URL already carries, and a connect timeout (the URL's, else
    `CONNECT_TIMEOUT_SECONDS`): an unreachable server fails the attempt in seconds instead
    of holding a worker thread for the OS's TCP timeout."""
    url = engine.url.set(drivername="postgresql")
    given = url.query.get("options")
    options = " ".join(filter(None, (given if isinstance(given, str) else None, SERVER_OPTIONS)))
    base = url.difference_update_query(["options"]).render_as_string(hide_password=False)
    timeout = url.query.get("connect_timeout") or CONNECT_TIMEOUT_SECONDS
    return make_conninfo(base, options=options, connect_timeout=timeout)


CONNECT_TIMEOUT_SECONDS = 5

_by_engine: weakref.WeakKeyDictionary[Engine, dict[bool, PgConnections]] = (
    weakref.WeakKeyDictionary()
)
_by_engine_guard = threading.Lock()


def pg_connections(engine: Engine, autocommit: bool = False) -> PgConnections:
    """The blocking ingest connections of `engine` (transactions, or `autocommit` ones for
    statements that are their own transaction), closed when it is disposed."""
    with _by_engine_guard:
        kinds = _by_engine.setdefault(engine, {})
        found = kinds.get(autocommit)
        if found is None:
            found = kinds[autocommit] = PgConnections(conninfo(engine), autocommit=autocommit)
            event.listen(engine, "engine_disposed", lambda _engine: found.close())
        return found


# ---------------------------------------------------------------- the attempt
#
# Each pipeline sends its statements back to back and syncs once; statements run in order
# on the server, so later ones see what earlier ones wrote; the COMMIT is queued behind the
# writes and skipped by the server when one of them failed. The first failing statement's
# error is raised (once the pipeline has been closed cleanly).


def run_pipeline(
    conn: psycopg.Connection[Any], statements: Sequence[Statement], commit: bool = False
) -> list[psycopg.Cursor[Any]]:
    """Send `statements` (and a COMMIT) back to back, sync once; the cursors in order."""
    cursors: list[psycopg.Cursor[Any]] = []
    error: psycopg.Error | None = None
    try:
        with conn.pipeline():
            for sql, params in statements:
                cursors.append(conn.cursor(row_factory=namedtuple_row))
                try:
                    cursors[-1].execute(sql, params)
                except psycopg.Error as exc:  # an earlier statement failed; stop sending
                    error = exc
                    break
            if commit and error is None:
                conn.commit()
    except psycopg.Error:  # the statements queued after the failure report "aborted"
        if error is None:
            raise
    if error is not None:
        raise error
    return cursors


def run_alone(conn: psycopg.Connection[Any], statement: Statement) -> None:
    """One statement as its own transaction on an autocommit connection (no BEGIN, no
    COMMIT message): a single round trip, atomic like any statement."""
    assert conn.autocommit, "a statement alone needs an autocommit connection"
    conn.execute(*statement)


def attempt_pg(
    connections: PgConnections, parsed: list[tuple[int, Any]], now: datetime, result: IngestResult
) -> _Context:
    """Load, apply and write one batch in one transaction (two round trips; three when
    events were rejected: none of them may have been stored concurrently)."""
    with connections.connection() as conn:
        loads = load_statements(parsed)
        cursors = run_pipeline(conn, [statement for _name, statement in loads])
        ctx = load_context(
            {name: c.fetchall() for (name, _s), c in zip(loads, cursors, strict=True)}
        )
        accepted, rejected_ids = apply_batch(ctx, parsed, result)
        writes = write_statements(ctx, accepted, now)
        if not rejected_ids:
            run_pipeline(conn, writes, commit=True)
            return ctx
        if run_pipeline(conn, [*writes, stored_check(rejected_ids)])[-1].fetchone() is not None:
            raise _Race("a rejected event was stored concurrently")
        conn.commit()
    return ctx
