"""The LiveOps facade: ingest → KPI delta → hot keys (versioned) → publish → fan-out.

API routes, Reflex states and the simulator all go through one `LiveOps` per process:

    live = await start_realtime(settings)      # at app start
    result = await live.ingest(raw_events)     # POST /v1/events, simulator
    async with live.fanout.subscribe() as consumer:   # dashboard clients
        async for item in consumer: ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any, Literal

from sqlalchemy.engine import Engine

from command_center.db.models import utcnow
from command_center.instruments import record_ingest
from command_center.ops.ingest import AcceptedEvent, IngestResult, ingest_events
from command_center.ops.ingest_loop import (
    UNCERTAIN,
    AsyncPgConnections,
    attempt_loop,
    loop_connections,
)
from command_center.ops.kpis import KpiState
from command_center.ops.reconcile import ReconcileReport, reconcile_state
from command_center.realtime.bus import Bus, make_bus
from command_center.realtime.fanout import FanOut
from command_center.realtime.hotkeys import HotKeys, Snapshot, make_hotkeys
from command_center.settings import Settings, get_settings
from command_center.telemetry import observe

log = logging.getLogger(__name__)


class LiveOps:
    """Per-process live-operations runtime (see module docstring)."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        engine: Engine | None = None,
        hotkeys: HotKeys | None = None,
        bus: Bus | None = None,
        tick_seconds: float = 1.0,
        reconcile_seconds: float = 60.0,
        publish_interval: float = 0.05,
    ) -> None:
        self.settings = settings or get_settings()
        self._engine = engine
        self.hotkeys = hotkeys or make_hotkeys(self.settings)
        self.bus = bus or make_bus(self.settings, publish_interval)
        self.fanout = FanOut(self.bus, self.read_snapshot, observer=self._observe)
        self.origin = uuid.uuid4().hex
        self._stale = False
        self.state = KpiState()
        self.version = 0
        self.tick_seconds = tick_seconds
        self.reconcile_seconds = reconcile_seconds
        self.last_reconcile: ReconcileReport | None = None
        self._last_kpis: dict[str, Any] | None = None
        self._dirty = True
        self._lock = asyncio.Lock()
        self._inflight = 0
        self._gate = asyncio.Event()
        self._gate.set()
        self._drained = asyncio.Event()
        self._drained.set()
        self._tasks: list[asyncio.Task[None]] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self._loop_connections: AsyncPgConnections | Literal[False] | None = None

    @property
    def engine(self) -> Engine:
        """The OLTP engine (configured database unless one was injected)."""
        if self._engine is None:
            from command_center.db.session import get_engine

            self._engine = get_engine()
        return self._engine

    async def start(self) -> None:
        """Load the KPI state from the database, write the first snapshot, start tasks."""
        self.loop = asyncio.get_running_loop()
        now = utcnow()
        try:
            self.state = await asyncio.to_thread(self._load, now)
        except Exception as exc:  # no tables yet: start empty, reconcile will fill in
            log.warning("KPI state not loaded: %s", exc)
        await self.commit_snapshot()
        await self.bus.start()
        await self.fanout.start()
        await self.fanout.wait_live(2.0)  # so nothing published right after start is missed
        self._tasks = [asyncio.create_task(self._ticker(), name="liveops-ticker")]

    def _load(self, now: Any) -> KpiState:
        with self.engine.connect() as conn:
            return KpiState.load(conn, now)

    async def stop(self) -> None:
        """Stop background tasks and close connections."""
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.fanout.stop()
        await self.bus.close()
        await self.hotkeys.close()
        if self._loop_connections:
            await self._loop_connections.close()

    def _observe(self, message: dict[str, Any]) -> None:
        """A bus message from another process: our incremental state misses its deltas."""
        if message.get("origin") in (None, self.origin):
            return
        if int(message.get("version", 0)) > self.version:
            self.version = int(message["version"])
            self._last_kpis = dict(message.get("kpis") or {})
            self._stale = True

    async def _refresh_if_stale(self) -> None:
        """Reload the KPI state from the database when another process has written events
        or a batch failed (it may have committed).

        Runs with new ingests held and none in flight, like `reconcile`, so no delta of this
        process is lost or counted twice.
        """
        if not self._stale:
            return
        self._gate.clear()
        try:
            await self._drained.wait()
            if self._stale:
                self._stale = False
                try:
                    self.state = await asyncio.to_thread(self._load, utcnow())
                except BaseException:
                    self._stale = True  # e.g. the database is still down: next time
                    raise
        finally:
            self._gate.set()

    async def ingest(self, events_raw: list[Any]) -> IngestResult:
        """Validate, store and apply a batch; update KPIs, hot keys and publish.

        Once started, a batch runs to completion even if the caller is cancelled (a client
        disconnect, the simulator stopping): the database commit and the KPI delta must never
        be separated.
        """
        await self._refresh_if_stale()
        while not self._gate.is_set():
            await self._gate.wait()
        self._inflight += 1
        self._drained.clear()
        return await asyncio.shield(self._ingest_and_publish(events_raw))

    async def _ingest_and_publish(self, events_raw: list[Any]) -> IngestResult:
        try:
            with observe("ingest.batch") as span:
                started = time.perf_counter()
                try:
                    result = await self._ingest(events_raw)
                except Exception:
                    # The batch may have committed with the acknowledgement lost (the
                    # connection dropped after COMMIT): reload the KPIs from the database
                    # before the next batch rather than guess.
                    self._stale = True
                    raise
                seconds = time.perf_counter() - started
                record_ingest(seconds, result.accepted, result.duplicates, len(result.rejected))
                span.update(metadata={"events": len(events_raw), "accepted": result.accepted,
                                      "duplicates": result.duplicates,
                                      "rejected": len(result.rejected),
                                      "duration_ms": round(seconds * 1000, 3)})  # fmt: skip
            if result.accepted:
                self.state.apply(result.delta)
            if result.uncertain:  # an attempt may have committed unseen: reload, do not guess
                self._stale = True
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._drained.set()
        if result.accepted:
            await self.commit_snapshot(result.events)
        return result

    async def _ingest(self, events_raw: list[Any]) -> IngestResult:
        """`ingest_events` in a worker thread; a lone event first tries the one-statement
        path on the loop (`ops/ingest_loop.py`), which needs no thread."""
        options: dict[str, Any] = {}
        if len(events_raw) == 1:
            if self._loop_connections is None:
                self._loop_connections = loop_connections(self.engine) or False
            if self._loop_connections:
                outcome = await attempt_loop(self.engine, self._loop_connections, events_raw)
                if isinstance(outcome, IngestResult):
                    return outcome
                options = {"single": False, "uncertain": outcome == UNCERTAIN}
        return await asyncio.to_thread(ingest_events, events_raw, engine=self.engine, **options)

    async def commit_snapshot(self, events: list[AcceptedEvent] | None = None) -> Snapshot | None:
        """Evaluate the KPIs now, write them under a new version and publish the message."""
        async with self._lock:
            kpis = self.state.snapshot(utcnow())
            try:
                snapshot = await self.hotkeys.write(kpis, floor=self.version)
            except Exception as exc:
                self._dirty = True
                log.warning("hot keys not written (%s); will retry", exc)
                return None
            self.version, self._last_kpis, self._dirty = snapshot.version, kpis, False
            summaries = [e.as_dict() for e in (events or [])[-50:]]  # only the last 50 travel
            message = {
                **snapshot.as_dict(),
                "origin": self.origin,
                "from_version": snapshot.version,
                "published_at": time.time(),  # fan-out lag (cc_fanout_lag_seconds)
                "event": summaries[-1] if summaries else None,
                "events": summaries,
            }
            await self.bus.publish(message)
            return snapshot

    async def read_snapshot(self) -> Snapshot | None:
        """The hot-key snapshot; rewritten from local state when missing (e.g. Redis restart)."""
        snapshot = await self.hotkeys.read()
        if snapshot is None or snapshot.version < self.version:
            snapshot = await self.commit_snapshot()
        if snapshot is not None:
            self.version = max(self.version, snapshot.version)
        return snapshot

    async def current(self) -> Snapshot:
        """The current snapshot (hot keys, or local state when they are unreachable)."""
        try:
            snapshot = await self.read_snapshot()
        except Exception as exc:
            log.info("hot keys unreachable: %s", exc)
            snapshot = None
        if snapshot is None:
            snapshot = Snapshot(self.version, self.state.snapshot(utcnow()))
        return snapshot

    async def reconcile(self) -> ReconcileReport:
        """Compare incremental KPIs with a full recompute; correct and republish on mismatch."""
        self._gate.clear()  # hold new ingests so no delta is in flight during the recompute
        try:
            await self._drained.wait()
            state, report = await asyncio.to_thread(
                reconcile_state, self.state, self.engine, utcnow()
            )
            self.state = state
        finally:
            self._gate.set()
        self.last_reconcile = report
        if report.mismatches:
            log.warning("KPI reconcile corrected %s", report.mismatches)
            await self.commit_snapshot()
        return report

    async def _ticker(self) -> None:
        """Republish when windowed KPIs move with time or a write failed; reconcile periodically."""
        since_reconcile = 0.0
        while True:
            await asyncio.sleep(self.tick_seconds)
            since_reconcile += self.tick_seconds
            try:
                if since_reconcile >= self.reconcile_seconds:
                    since_reconcile = 0.0
                    await self.reconcile()
                await self._refresh_if_stale()
                if self._dirty or self.state.snapshot(utcnow()) != self._last_kpis:
                    await self.commit_snapshot()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("live ops tick failed: %s", exc)


_live: LiveOps | None = None


async def start_realtime(settings: Settings | None = None, **options: Any) -> LiveOps:
    """Create and start this process's LiveOps (idempotent within one event loop)."""
    global _live
    loop = asyncio.get_running_loop()
    if _live is not None and _live.loop is loop:
        return _live
    if _live is not None:
        _live = None  # belonged to another (closed) loop, e.g. a previous test client
    live = LiveOps(settings, **options)
    await live.start()
    _live = live
    return live


def running_live_ops() -> LiveOps | None:
    """This process's LiveOps when it has been started (None otherwise; never starts one)."""
    return _live


async def get_live_ops() -> LiveOps:
    """The running LiveOps, started on first use."""
    return await start_realtime()


async def stop_realtime() -> None:
    """Stop this process's LiveOps."""
    global _live
    if _live is not None:
        live, _live = _live, None
        await live.stop()
