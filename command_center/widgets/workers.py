"""The clarifier's worker threads: graph runs reuse them (starting a thread per turn blocked
the event loop for milliseconds under load), and a count of runs in flight tells a turn that
arrives while every worker is busy that it waits (the `queued` stage) instead of a silent wait.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

WORKER_COUNT = 32
WORKERS = ThreadPoolExecutor(max_workers=WORKER_COUNT, thread_name_prefix="clarifier")
QUEUED_STAGE = "queued"  # a `stage` event sent first when every worker is busy


class Occupancy:
    """Graph runs submitted and not yet finished in this process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def enter(self) -> int:
        """Count one more run; return how many were already in flight."""
        with self._lock:
            self.count += 1
            return self.count - 1

    def leave(self) -> None:
        """One run finished."""
        with self._lock:
            self.count -= 1


IN_FLIGHT = Occupancy()
