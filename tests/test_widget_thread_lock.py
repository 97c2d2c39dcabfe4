"""Two resumes of one clarifier thread can never run at once — across processes too."""

from __future__ import annotations

import threading

from command_center.widgets.checkpoint import psycopg_url
from command_center.widgets.thread_lock import ThreadRunLock


def test_in_process_lock_is_exclusive_and_reusable() -> None:
    first, second = ThreadRunLock("t-local"), ThreadRunLock("t-local")
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_advisory_lock_excludes_another_process(pg_url: str) -> None:
    conninfo = psycopg_url(pg_url)
    # separate local locks stand in for two worker processes sharing one PostgreSQL
    worker_a = ThreadRunLock("t-shared", conninfo, local=threading.Lock())
    worker_b = ThreadRunLock("t-shared", conninfo, local=threading.Lock())
    other_thread = ThreadRunLock("t-other", conninfo, local=threading.Lock())
    assert worker_a.acquire()
    try:
        assert not worker_b.acquire()
        assert other_thread.acquire()  # a different clarifier thread is not blocked
        other_thread.release()
    finally:
        worker_a.release()
    assert worker_b.acquire()
    worker_b.release()
