"""The exclusive right to run one clarifier thread, so two resumes can never fork it.

In one process a `threading.Lock` per thread id decides. When the checkpointer lives in
PostgreSQL (several app workers share it), a session-level advisory lock on a dedicated
connection decides across processes too. Both are taken without waiting: the loser gets a
`conflict` error instead of a second, diverging run.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


def local_lock(thread_id: str) -> threading.Lock:
    """This process's lock for `thread_id`."""
    with _local_guard:
        return _local_locks.setdefault(thread_id, threading.Lock())


class ThreadRunLock:
    """Held while a clarifier thread runs; `acquire()` never blocks."""

    def __init__(
        self, thread_id: str, pg_conninfo: str | None = None, *, local: threading.Lock | None = None
    ) -> None:
        self.thread_id = thread_id
        self._pg_conninfo = pg_conninfo
        self._local = local or local_lock(thread_id)
        self._connection: Any = None

    def acquire(self) -> bool:
        """Take the lock, or return False when another run (here or elsewhere) holds it."""
        if not self._local.acquire(blocking=False):
            return False
        if self._pg_conninfo is None:
            return True
        try:
            import psycopg

            connection = psycopg.connect(self._pg_conninfo, autocommit=True, connect_timeout=5)
            row = connection.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))",
                (f"clarifier:{self.thread_id}",),
            ).fetchone()
        except Exception:
            self._local.release()
            raise
        if not (row and row[0]):
            connection.close()
            self._local.release()
            return False
        self._connection = connection
        return True

    def release(self) -> None:
        """Give the lock back: unlocked on the server before the session closes (a close
        alone frees it only when the backend has exited, so another worker resuming at once
        could still be refused)."""
        connection, self._connection = self._connection, None
        try:
            if connection is not None:
                with contextlib.suppress(Exception):  # closing the session frees it anyway
                    connection.execute(
                        "SELECT pg_advisory_unlock(hashtextextended(%s, 0))",
                        (f"clarifier:{self.thread_id}",),
                    )
                connection.close()
        finally:
            self._local.release()
