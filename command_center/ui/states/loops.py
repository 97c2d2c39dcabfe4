"""Per-tab background loops: at most one of each kind per tab in this process.

The guard lives in the process, not in Reflex state: with the Redis state manager a flag in
state could outlive the loop (a Redis outage interrupts the `finally` that clears it) and
block the tab's loop for good.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

_running: set[tuple[str, str]] = set()


@contextlib.contextmanager
def single_loop(kind: str, token: str) -> Iterator[bool]:
    """Yield True when this is the only `kind` loop for the tab `token` (and hold the slot)."""
    key = (kind, token)
    if key in _running:
        yield False
        return
    _running.add(key)
    try:
        yield True
    finally:
        _running.discard(key)
