"""Widget-data cache: Redis or in-process, single flight per key (across processes on Redis),
degrades to direct queries on outage."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from command_center.instruments import record_cache

log = logging.getLogger(__name__)


PEER_LOCK_MS = 30_000  # longest a process may hold a key's compute lock
PEER_WAIT_SECONDS = 20.0  # how long to wait for another process's result
PEER_POLL_SECONDS = 0.02


class CacheUnavailable(RuntimeError):
    """The cache backend could not be reached."""


class CacheBackend(Protocol):
    """Byte-valued key/value store with per-key TTL."""

    name: str

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...

    async def delete_matching(self, prefix: str) -> int: ...

    async def try_lock(self, key: str, ttl_ms: int) -> str | None: ...

    async def unlock(self, key: str, token: str) -> None: ...

    async def lock_held(self, key: str) -> bool: ...


class InProcessBackend:
    """A bounded LRU dict with expiry; the embedded default."""

    name = "in-process"

    def __init__(self, max_entries: int = 2_000) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max_entries = max_entries

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            self._entries.pop(key, None)
            return None
        self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        """Store `value` for `ttl_seconds`, evicting the least recently used beyond the bound."""
        self._entries[key] = (time.monotonic() + ttl_seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def try_lock(self, key: str, ttl_ms: int) -> str | None:
        """One process only: the in-process single flight already serialises."""
        return "local"

    async def unlock(self, key: str, token: str) -> None:
        """Nothing to release."""

    async def lock_held(self, key: str) -> bool:
        """Never held by another process."""
        return False

    async def delete_matching(self, prefix: str) -> int:
        """Delete every key starting with `prefix`."""
        doomed = [key for key in self._entries if key.startswith(prefix)]
        for key in doomed:
            del self._entries[key]
        return len(doomed)


class RedisBackend:
    """Redis, with every key under `key_prefix`; one client per event loop.

    Clients are keyed by the loop object itself (an `id(loop)` key could hand a new loop a
    dead loop's client when ids are reused); clients of closed loops are dropped.
    """

    name = "redis"

    def __init__(self, url: str, key_prefix: str = "", timeout: float = 0.5) -> None:
        self._url, self._prefix, self._timeout = url, key_prefix, timeout
        self._clients: dict[asyncio.AbstractEventLoop, Any] = {}

    def _client(self):  # type: ignore[no-untyped-def]
        import redis.asyncio as redis

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            for finished in [other for other in self._clients if other.is_closed()]:
                del self._clients[finished]
            # No socket_timeout: redis-py then wraps every write in `asyncio.wait_for` (a task
            # per command); the deadline is enforced around each call with `asyncio.timeout`.
            client = redis.Redis.from_url(
                self._url, socket_connect_timeout=self._timeout, retry_on_timeout=False
            )
            self._clients[loop] = client
        return client

    async def get(self, key: str) -> bytes | None:
        """GET the prefixed key."""
        try:
            async with asyncio.timeout(self._timeout):
                return await self._client().get(self._prefix + key)
        except Exception as exc:
            raise CacheUnavailable(str(exc)) from exc

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        """SET the prefixed key with an expiry."""
        try:
            async with asyncio.timeout(self._timeout):
                await self._client().set(self._prefix + key, value, ex=max(ttl_seconds, 1))
        except Exception as exc:
            raise CacheUnavailable(str(exc)) from exc

    async def delete_matching(self, prefix: str) -> int:
        """Delete every prefixed key starting with `prefix` (SCAN, not KEYS)."""
        try:
            async with asyncio.timeout(max(self._timeout, 5.0)):
                client = self._client()
                match = self._prefix + prefix + "*"
                keys = [key async for key in client.scan_iter(match=match, count=1000)]
                return await client.delete(*keys) if keys else 0
        except Exception as exc:
            raise CacheUnavailable(str(exc)) from exc

    async def _call(self, operation: Callable[[Any], Awaitable[Any]]) -> Any:
        try:
            async with asyncio.timeout(self._timeout):
                return await operation(self._client())
        except Exception as exc:
            raise CacheUnavailable(str(exc)) from exc

    async def try_lock(self, key: str, ttl_ms: int) -> str | None:
        """SET NX PX a random token on `{key}:lock`: the token, or None when another holds it."""
        token, name = uuid.uuid4().hex, self._prefix + key + ":lock"
        acquired = await self._call(lambda c: c.set(name, token, nx=True, px=ttl_ms))
        return token if acquired else None

    async def unlock(self, key: str, token: str) -> None:
        """Delete the lock only if it is still ours (compare-and-delete in Lua)."""
        name = self._prefix + key + ":lock"
        await self._call(lambda c: c.eval(_UNLOCK, 1, name, token))

    async def lock_held(self, key: str) -> bool:
        """Whether some process holds the key's lock."""
        name = self._prefix + key + ":lock"
        return bool(await self._call(lambda c: c.exists(name)))


_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class WidgetDataCache:
    """Cache-aside with single flight: concurrent misses for one key run one computation.

    When the backend is down, reads miss and writes are skipped (`degraded` is set), so
    callers still get answers straight from the source.
    """

    def __init__(self, backend: CacheBackend) -> None:
        self.backend = backend
        self.degraded = False
        # in-flight computations per (event loop, key): a future only works in its own loop
        self._inflight: dict[tuple[int, str], asyncio.Future[bytes]] = {}

    async def get(self, key: str) -> bytes | None:
        """Read through the backend; an outage reads as a miss."""
        try:
            value = await self.backend.get(key)
        except CacheUnavailable as exc:
            self._mark_degraded(exc)
            return None
        self.degraded = False
        return value

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        """Write through the backend; an outage skips the write."""
        try:
            await self.backend.set(key, value, ttl_seconds)
        except CacheUnavailable as exc:
            self._mark_degraded(exc)

    async def get_or_compute(
        self,
        key: str,
        ttl_seconds: int | Callable[[], int],
        compute: Callable[[], Awaitable[bytes]],
    ) -> tuple[bytes, bool]:
        """Return `(value, cached)`; on a miss run `compute` once for all concurrent callers.

        `ttl_seconds` may be a callable, read after `compute` (for TTLs only known then).
        An exception in `compute` reaches every waiter; nothing is cached, so the next
        call computes again.
        """
        cached = await self.get(key)
        record_cache(cached is not None)
        if cached is not None:
            return cached, True
        loop = asyncio.get_running_loop()
        flight = (id(loop), key)
        while (pending := self._inflight.get(flight)) is not None:
            try:
                return await asyncio.shield(pending), False
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise
                # the leader was cancelled, not us: take over (or join the next leader)
        future: asyncio.Future[bytes] = loop.create_future()
        self._inflight[flight] = future

        async def compute_and_store() -> bytes:
            value = await compute()
            ttl = ttl_seconds() if callable(ttl_seconds) else ttl_seconds
            if ttl > 0:
                await self.set(key, value, ttl)
            return value

        try:
            value = await self._compute_across_processes(key, compute_and_store)
        except asyncio.CancelledError:
            future.cancel()  # waiters take over the computation themselves
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it themselves
            raise
        else:
            future.set_result(value)
            return value, False
        finally:
            self._inflight.pop(flight, None)

    async def _compute_across_processes(
        self, key: str, compute: Callable[[], Awaitable[bytes]]
    ) -> bytes:
        """Run `compute` (which stores its value) unless another process is already computing
        `key`; then wait for its value (and compute ourselves if it gives up, fails, or the
        cache is down). The lock is released only after the value is stored, so a waiting
        peer never sees the lock free and the key empty for a value that was computed."""
        try:
            token = await self.backend.try_lock(key, PEER_LOCK_MS)
        except CacheUnavailable as exc:
            self._mark_degraded(exc)
            return await compute()
        if token is not None:
            try:
                return await compute()
            finally:
                with contextlib.suppress(CacheUnavailable):
                    await self.backend.unlock(key, token)
        deadline = time.monotonic() + PEER_WAIT_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(PEER_POLL_SECONDS)
            value = await self.get(key)
            if value is not None:
                return value
            try:
                if not await self.backend.lock_held(key):
                    break  # the peer finished without caching (error, TTL 0): our turn
            except CacheUnavailable as exc:
                self._mark_degraded(exc)
                break
        return await compute()

    async def invalidate(self, prefix: str) -> int:
        """Drop every entry under `prefix` (e.g. one widget's keys)."""
        try:
            return await self.backend.delete_matching(prefix)
        except CacheUnavailable as exc:
            self._mark_degraded(exc)
            return 0

    def _mark_degraded(self, exc: Exception) -> None:
        if not self.degraded:
            log.warning("widget cache unavailable, serving uncached: %s", exc)
        self.degraded = True
