"""The connections the PostgreSQL ingest fast path runs on: plain psycopg connections kept
per engine, outside SQLAlchemy's pool.

A batch costs two round trips (reads; writes + COMMIT), so the pool's pre-ping (a third) and
its checkout/reset bookkeeping were a large share of a one-event request. No ping is needed
here: a connection that died while idle (a database restart) fails its attempt with
`OperationalError`, which the caller retries; the failure also drops every other idle
connection of that engine, so the retry and later batches connect afresh (what
SQLAlchemy's pool invalidation does). The connections are closed when the engine is
disposed.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    import psycopg

KEEP_IDLE = 8  # idle connections kept per engine (ingest runs in the default thread pool)


class PgConnections:
    """Idle psycopg connections to one database, handed out one per batch."""

    def __init__(self, conninfo: str, keep: int = KEEP_IDLE) -> None:
        self.conninfo = conninfo
        self.keep = keep
        self._idle: list[psycopg.Connection[Any]] = []
        self._guard = threading.Lock()

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection with no transaction open; on an exception it is rolled back (or
        closed when broken, with every idle one) and the exception propagates."""
        import psycopg

        conn = self._take() or psycopg.connect(self.conninfo)
        try:
            yield conn
        except BaseException:
            self._discard(conn)
            raise
        self._give_back(conn)

    def _take(self) -> psycopg.Connection[Any] | None:
        with self._guard:
            return self._idle.pop() if self._idle else None

    def _give_back(self, conn: psycopg.Connection[Any]) -> None:
        from psycopg.pq import TransactionStatus

        if conn.closed or conn.info.transaction_status != TransactionStatus.IDLE:
            self._discard(conn)
            return
        with self._guard:
            if len(self._idle) < self.keep:
                self._idle.append(conn)
                return
        conn.close()

    def _discard(self, conn: psycopg.Connection[Any]) -> None:
        import psycopg

        if not conn.closed:
            try:
                conn.rollback()
                self._give_back(conn)
                return
            except psycopg.Error:
                conn.close()
        self.close()  # the server went away: the idle ones are dead too

    def close(self) -> None:
        """Close every idle connection."""
        with self._guard:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


_by_engine: weakref.WeakKeyDictionary[Engine, PgConnections] = weakref.WeakKeyDictionary()
_by_engine_guard = threading.Lock()


def pg_connections(engine: Engine) -> PgConnections:
    """The ingest connections of `engine` (a PostgreSQL engine on psycopg 3)."""
    with _by_engine_guard:
        found = _by_engine.get(engine)
        if found is None:
            url = engine.url.set(drivername="postgresql")
            found = _by_engine[engine] = PgConnections(url.render_as_string(hide_password=False))
            event.listen(engine, "engine_disposed", lambda _engine: found.close())
        return found
