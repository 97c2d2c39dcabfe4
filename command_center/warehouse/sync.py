"""The warehouse sync: keeps the local DuckDB warehouse in step with the operational claims.

One process per deployment (per warehouse file) runs it: every worker's lifespan starts a
`WarehouseSync`, which takes a non-blocking exclusive `flock` on `<warehouse>.sync.lock`; the
one that gets it leads, the others retry each interval and take over if the leader dies (the
kernel drops the lock with the process). A file lock, not a PostgreSQL advisory lock, because
the warehouse is a per-host file: every host with its own `DATA_DIR` needs its own sync.

Each step (every `WAREHOUSE_SYNC_SECONDS`): under the writers' lock, open the working file,
apply the claim changes after the high-water mark in one transaction (`warehouse/oltp.py`),
checkpoint, close, and publish a snapshot when rows changed (`warehouse/store.py`). A step
whose predecessor left the mark at the OLTP's newest event id, with the working file and the
snapshot pointer untouched since, has nothing to do: it reads that one id and returns (no lock,
no DuckDB open). Off when Databricks is configured (its own pipeline fills `ev_claim`) or the
interval is 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, Any

from command_center.settings import Settings, get_settings
from command_center.warehouse.oltp import GapTracker, OltpSource, StepResult, apply_changes
from command_center.warehouse.store import (
    META_TABLE,
    build_lock,
    connect_writer,
    pointer_stamp,
    publish,
)

log = logging.getLogger(__name__)


class WarehouseSync:
    """The sync job of one process; `step()` is one micro-batch, `run()` the loop."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        engine: Any = None,
        path: Path | None = None,
        interval: float | None = None,
        gap_grace: float | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.path = path or self.settings.warehouse_path
        self.interval = self.settings.warehouse_sync_seconds if interval is None else interval
        self.gap_grace = 5 * self.interval if gap_grace is None else gap_grace
        self._engine = engine
        self._gaps = GapTracker()
        self._lock_file: IO[str] | None = None
        self._caught_up: tuple[tuple[Any, ...], StepResult] | None = None
        self.steps = 0

    # ------------------------------------------------------------------ leadership

    @property
    def leading(self) -> bool:
        """True while this instance holds the sync lock."""
        return self._lock_file is not None

    def try_lead(self) -> bool:
        """Take the deployment's sync lock if free (non-blocking); True when leading."""
        if self._lock_file is not None:
            return True
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path.with_name(self.path.name + ".sync.lock"), "a+")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_file = handle
        log.info("warehouse sync: this process (pid %s) leads", os.getpid())
        return True

    def release(self) -> None:
        """Give up the sync lock."""
        if self._lock_file is not None:
            self._lock_file.close()  # closing the descriptor releases the flock
            self._lock_file = None

    # ------------------------------------------------------------------ work

    def _marker(self, source: OltpSource) -> tuple[Any, ...] | None:
        """The OLTP's newest event id, and the working file and snapshot pointer as they are."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        files = (stat.st_ino, stat.st_mtime_ns, stat.st_size, pointer_stamp(self.path))
        return (source.max_event_id(), *files)

    def step(self) -> StepResult | None:
        """Apply one micro-batch and publish it (blocking); None when there is no warehouse."""
        if not self.path.exists():
            return None
        source = OltpSource.for_settings(self.settings, self._engine)
        if self._caught_up is not None and self._caught_up[0] == self._marker(source):
            last = self._caught_up[1]  # nothing new since a step that left the mark at the top
            self.steps += 1
            return StepResult(hwm=last.hwm, seq=last.seq, as_of=last.as_of)
        meta: dict[str, str] = {}
        with build_lock(self.path):
            with contextlib.closing(connect_writer(self.path)) as conn:
                before = conn.execute(
                    f"SELECT value FROM {META_TABLE} WHERE key = 'sync_seq'"
                ).fetchone()
                result = apply_changes(
                    conn, source, gap_grace_seconds=self.gap_grace, gaps=self._gaps
                )
                if before is None or str(result.seq) != before[0]:
                    conn.execute("CHECKPOINT")
                    meta = dict(conn.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
            if meta:  # rows changed: readers move to a new snapshot
                publish(self.path, meta)
        marker = self._marker(source)
        caught_up = marker is not None and marker[0] == result.hwm
        self._caught_up = (marker, result) if caught_up else None
        self.steps += 1
        return result

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: lead if possible, then step every interval. Errors are logged and
        retried next interval (the mark only moves with committed rows)."""
        while not stop.is_set():
            try:
                if self.try_lead():
                    result = await asyncio.to_thread(self.step)
                    if result and result.claims:
                        log.debug("warehouse sync: %s claims, %.3fs", result.claims, result.seconds)
            except Exception:  # keep the loop alive; the next step retries
                log.exception("warehouse sync step failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
        self.release()


def sync_enabled(settings: Settings) -> bool:
    """The sync runs for the local warehouse only, and only with a positive interval."""
    return settings.warehouse_mode == "local" and settings.warehouse_sync_seconds > 0


@contextlib.asynccontextmanager
async def warehouse_sync_lifespan(settings: Settings | None = None) -> AsyncIterator[None]:
    """Lifespan task: run this process's `WarehouseSync` loop (it leads or stands by)."""
    settings = settings or get_settings()
    if not sync_enabled(settings):
        yield
        return
    stop = asyncio.Event()
    job = WarehouseSync(settings)
    task = asyncio.create_task(job.run(stop), name="warehouse-sync")
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await task
