"""Dashboard pub/sub bus: `{version, kpis, event}` on `{prefix}pubsub:dashboard`.

Publishing is coalesced: a publisher task sends at most every `interval` seconds and always
the latest state; a coalesced message lists the events it covers and carries `from_version`,
the first version it includes, so subscribers can tell coalescing from loss.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any, Protocol

from command_center.realtime.hotkeys import COMMAND_TIMEOUT, redis_client
from command_center.settings import Settings

log = logging.getLogger(__name__)
CHANNEL = "pubsub:dashboard"
MAX_EVENTS_PER_MESSAGE = 50
MAX_NOTICES = 100


def merge_messages(older: dict[str, Any] | None, newer: dict[str, Any]) -> dict[str, Any]:
    """Coalesce two dashboard messages: newer state, events of both, older `from_version`."""
    if older is None:
        return newer
    merged = dict(newer)
    merged["from_version"] = min(
        older.get("from_version", older["version"]), newer.get("from_version", newer["version"])
    )
    events = list(older.get("events", [])) + list(newer.get("events", []))
    merged["events"] = events[-MAX_EVENTS_PER_MESSAGE:]
    if merged.get("event") is None:
        merged["event"] = older.get("event")
    return merged


class BusSubscription(Protocol):
    """One open subscription to the dashboard channel."""

    async def get(self, timeout: float) -> dict[str, Any] | None:
        """The next message, or None after `timeout` s; raises on a lost connection."""
        ...

    async def close(self) -> None:
        """Unsubscribe."""
        ...


class CoalescingPublisher:
    """Base class: keeps the latest pending message and sends it from one task."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self._pending: dict[str, Any] | None = None
        self._notices: list[dict[str, Any]] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start the publisher task."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="dashboard-bus-publisher")

    async def publish(self, message: dict[str, Any]) -> None:
        """Queue `message` (coalesced with any message not sent yet).

        A `kind="notice"` message (e.g. "dashboard 3's layout changed") carries no KPI state:
        it is never merged, and is sent before the next state message.
        """
        if message.get("kind") == "notice":
            self._notices = [*self._notices[-MAX_NOTICES + 1 :], message]
        else:
            self._pending = merge_messages(self._pending, message)
        self._idle.clear()
        self._wake.set()
        if self._task is None:
            await self.start()

    async def flush(self, timeout: float = 5.0) -> None:
        """Wait until nothing is pending (best effort)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._idle.wait()

    async def _run(self) -> None:
        backoff = self.interval
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._notices:
                notice = self._notices.pop(0)
                try:
                    await self._send(notice)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # at most once, like pub/sub
                    log.warning("notice not published: %s", exc)
            message, self._pending = self._pending, None
            if message is None:
                self._idle.set()
                continue
            try:
                await self._send(message)
                backoff = self.interval
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # keep it for the next attempt, merged with newer ones
                log.warning("dashboard publish failed: %s", exc)
                self._pending = merge_messages(message, self._pending) if self._pending else message
                self._wake.set()
                backoff = min(backoff * 2, 2.0)
                await asyncio.sleep(backoff)
                continue
            if self._pending is None:
                self._idle.set()
            await asyncio.sleep(self.interval)

    async def _send(self, message: dict[str, Any]) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        """Stop the publisher task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class _QueueSubscription:
    def __init__(self, bus: InProcessBus) -> None:
        self._bus = bus
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)

    async def get(self, timeout: float) -> dict[str, Any] | None:
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
        try:
            async with asyncio.timeout(timeout):
                return await self.queue.get()
        except TimeoutError:
            return None

    async def close(self) -> None:
        self._bus._subscriptions.discard(self)


class InProcessBus(CoalescingPublisher):
    """Pub/sub inside this process (asyncio queues)."""

    def __init__(self, channel: str = CHANNEL, interval: float = 0.05) -> None:
        super().__init__(interval)
        self.channel = channel
        self._subscriptions: set[_QueueSubscription] = set()

    async def _send(self, message: dict[str, Any]) -> None:
        for sub in list(self._subscriptions):
            with contextlib.suppress(asyncio.QueueFull):  # lost like pub/sub; gap → resync
                sub.queue.put_nowait(message)

    async def open_subscription(self) -> BusSubscription:
        """Subscribe to the channel."""
        sub = _QueueSubscription(self)
        self._subscriptions.add(sub)
        return sub


class _RedisSubscription:
    def __init__(self, pubsub: Any) -> None:
        self._pubsub = pubsub

    async def get(self, timeout: float) -> dict[str, Any] | None:
        message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
        if message is None or message.get("type") != "message":
            return None
        return json.loads(message["data"])

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()


class RedisBus(CoalescingPublisher):
    """Pub/sub through Redis (redis.asyncio)."""

    def __init__(self, url: str, prefix: str = "", interval: float = 0.05) -> None:
        super().__init__(interval)

        self.url = url
        self.channel = f"{prefix}{CHANNEL}"
        self._client = redis_client(url)

    async def _send(self, message: dict[str, Any]) -> None:
        async with asyncio.timeout(COMMAND_TIMEOUT):
            await self._client.publish(self.channel, json.dumps(message, separators=(",", ":")))

    async def open_subscription(self) -> BusSubscription:
        """SUBSCRIBE on a dedicated connection; raises when Redis is unreachable."""
        pubsub = self._client.pubsub()
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT):
                await pubsub.subscribe(self.channel)
        except BaseException:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            raise
        return _RedisSubscription(pubsub)

    async def close(self) -> None:
        """Stop publishing and close connections."""
        await super().close()
        await self._client.aclose()


Bus = InProcessBus | RedisBus


def make_bus(settings: Settings, interval: float = 0.05) -> Bus:
    """A Redis bus when `redis_url` is set, in-process otherwise."""
    if settings.redis_url:
        return RedisBus(settings.redis_url, settings.redis_key_prefix, interval)
    return InProcessBus(CHANNEL, interval)
