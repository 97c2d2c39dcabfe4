"""One bus subscriber per process, fanned out to N local consumers (asyncio queues).

A consumer first receives the current snapshot (`kind="snapshot"`), then only newer
messages (`kind="update"`), plus `kind="status"` items ("live" / "reconnecting") and
`kind="notice"` items (layout/widget changes, delivered as published, never versioned). Pub/sub is
at-most-once: a version gap re-reads the snapshot (the source of truth) and sends it as a
snapshot. When the bus connection drops, consumers are told "reconnecting", the subscriber
retries with backoff and resyncs by itself once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from command_center.instruments import CONNECTED_CLIENTS, record_fanout_lag
from command_center.realtime.bus import Bus
from command_center.realtime.hotkeys import Snapshot

log = logging.getLogger(__name__)
SnapshotSource = Callable[[], Awaitable[Snapshot | None]]


def snapshot_item(snapshot: Snapshot, *, resync: bool = False) -> dict[str, Any]:
    """A `kind="snapshot"` item."""
    return {"kind": "snapshot", **snapshot.as_dict(), "resync": resync}


class Consumer:
    """One local consumer (the process's dashboard renderer, a wallboard WebSocket)."""

    def __init__(self, maxsize: int) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=maxsize)
        self.version = 0

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self

    async def __anext__(self) -> dict[str, Any]:
        return await self.get()

    async def get(self, timeout: float | None = None) -> dict[str, Any]:
        """The next item (raises TimeoutError after `timeout` s)."""
        if timeout is None:
            return await self.queue.get()
        async with asyncio.timeout(timeout):  # not wait_for: it can swallow cancellation on 3.11
            return await self.queue.get()


class FanOut:
    """The process's single dashboard subscriber."""

    def __init__(
        self,
        bus: Bus,
        snapshot_source: SnapshotSource,
        *,
        queue_size: int = 256,
        max_backoff: float = 2.0,
        observer: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.bus = bus
        self._observer = observer
        self._source = snapshot_source
        self._queue_size = queue_size
        self._max_backoff = max_backoff
        self._consumers: set[Consumer] = set()
        self._notice_consumers: set[Consumer] = set()  # notices only (widget refreshers)
        self._task: asyncio.Task[None] | None = None
        self.status = "starting"
        self.version = 0
        self.latest: Snapshot | None = None
        self.resyncs = 0
        self.reconnects = 0

    @property
    def consumer_count(self) -> int:
        """How many consumers are subscribed."""
        return len(self._consumers)

    async def start(self) -> None:
        """Start the subscriber task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="dashboard-fanout")

    async def wait_live(self, timeout: float) -> bool:
        """Wait (up to `timeout` s) until subscribed to the bus; True when live."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.status != "live":
                    await asyncio.sleep(0.005)
        return self.status == "live"

    async def stop(self) -> None:
        """Stop the subscriber task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @contextlib.asynccontextmanager
    async def subscribe(self, *, notices_only: bool = False) -> AsyncIterator[Consumer]:
        """Register a consumer; its first item is the current snapshot (when one exists).

        A `notices_only` consumer (the process's widget refresher) receives only `notice`
        items: KPI updates, snapshots and status changes are never queued for it.
        """
        consumer = Consumer(self._queue_size)
        if notices_only:
            self._notice_consumers.add(consumer)
            try:
                yield consumer
            finally:
                self._notice_consumers.discard(consumer)
            return
        snapshot = await self._read_snapshot()
        if snapshot is not None and (self.latest is None or snapshot.version > self.latest.version):
            self.latest = snapshot
            self.version = max(self.version, snapshot.version)
        if self.latest is not None:
            self._put(consumer, snapshot_item(self.latest))
            consumer.version = self.latest.version
        if self.status != "live":
            self._put(consumer, {"kind": "status", "status": self.status})
        self._consumers.add(consumer)
        CONNECTED_CLIENTS.inc()
        try:
            yield consumer
        finally:
            self._consumers.discard(consumer)
            CONNECTED_CLIENTS.dec()

    async def _read_snapshot(self) -> Snapshot | None:
        try:
            return await self._source()
        except Exception as exc:
            log.info("snapshot unavailable: %s", exc)
            return None

    def _put(self, consumer: Consumer, item: dict[str, Any]) -> None:
        try:
            consumer.queue.put_nowait(item)
        except asyncio.QueueFull:  # a slow consumer: drop its backlog, send the latest state
            while not consumer.queue.empty():
                consumer.queue.get_nowait()
            if self.latest is not None:
                consumer.queue.put_nowait(snapshot_item(self.latest, resync=True))
                consumer.version = self.latest.version
            if item.get("kind") == "status":
                consumer.queue.put_nowait(item)

    def _put_notice(self, consumer: Consumer, item: dict[str, Any]) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # a slow consumer misses a notice
            consumer.queue.put_nowait(item)

    def _set_status(self, status: str, detail: str = "") -> None:
        if status == self.status:
            return
        self.status = status
        item = {"kind": "status", "status": status, "detail": detail}
        for consumer in list(self._consumers):
            self._put(consumer, item)

    async def resync(self) -> None:
        """Re-read the snapshot and send it to every consumer that is behind."""
        snapshot = await self._read_snapshot()
        if snapshot is None:
            return
        self.resyncs += 1
        self.version = max(self.version, snapshot.version)
        if self.latest is None or snapshot.version >= self.latest.version:
            self.latest = snapshot
        for consumer in list(self._consumers):
            if consumer.version < snapshot.version:
                self._put(consumer, snapshot_item(snapshot, resync=True))
                consumer.version = snapshot.version

    async def _deliver(self, message: dict[str, Any]) -> None:
        record_fanout_lag(message)
        if message.get("kind") == "notice":  # no KPI state: every consumer, as it is
            for consumer in [*self._consumers, *self._notice_consumers]:
                self._put_notice(consumer, message)
            return
        if self._observer is not None:
            self._observer(message)
        version = int(message["version"])
        first = int(message.get("from_version", version))
        if self.version and first > self.version + 1:
            log.info("dashboard version gap %s → %s: resync", self.version, first)
            await self.resync()
        if version <= self.version and self.latest is not None and version <= self.latest.version:
            return
        self.version = max(self.version, version)
        self.latest = Snapshot(version, dict(message["kpis"]), message.get("as_of", ""))
        item = {"kind": "update", **message}
        for consumer in list(self._consumers):
            if version <= consumer.version:
                continue
            if first > consumer.version + 1:  # this consumer missed something: full state
                self._put(consumer, snapshot_item(self.latest, resync=True))
            else:
                self._put(consumer, item)
            consumer.version = version

    async def _run(self) -> None:
        backoff = 0.05
        while True:
            subscription = None
            try:
                subscription = await self.bus.open_subscription()
                self._set_status("live")
                await self.resync()  # whatever was published before we listened
                backoff = 0.05
                while True:
                    message = await subscription.get(timeout=1.0)
                    if message is not None:
                        await self._deliver(message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.reconnects += 1
                self._set_status("reconnecting", str(exc)[:200])
                log.warning("dashboard subscriber lost (%s); retrying in %.2fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
            finally:
                if subscription is not None:
                    with contextlib.suppress(Exception):
                        await subscription.close()
