"""Hot keys: the current KPI snapshot and its monotonically increasing version.

Kept in Redis (`{prefix}kpi:snapshot`, `{prefix}kpi:version`, written atomically by a Lua
script) when `REDIS_URL` is set, otherwise in-process. Both share the `HotKeys` interface.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from command_center.db.models import utcnow
from command_center.settings import Settings


@dataclass(frozen=True)
class Snapshot:
    """A KPI snapshot with its version (`as_of` is an ISO timestamp)."""

    version: int
    kpis: dict[str, Any]
    as_of: str = field(default_factory=lambda: utcnow().isoformat())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: `{version, kpis, as_of}`."""
        return {"version": self.version, "kpis": self.kpis, "as_of": self.as_of}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Snapshot:
        """Inverse of `as_dict`."""
        return cls(int(data["version"]), dict(data["kpis"]), str(data.get("as_of", "")))


class HotKeys(Protocol):
    """Where the current snapshot lives."""

    async def read(self) -> Snapshot | None:
        """The current snapshot, or None when none was written (or Redis lost it)."""
        ...

    async def write(self, kpis: dict[str, Any], floor: int = 0) -> Snapshot:
        """Store `kpis` under version max(current, floor) + 1, atomically; returns it."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class InProcessHotKeys:
    """Hot keys in this process's memory."""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._version = 0
        self._lock = asyncio.Lock()

    async def read(self) -> Snapshot | None:
        """The current snapshot."""
        return self._snapshot

    async def write(self, kpis: dict[str, Any], floor: int = 0) -> Snapshot:
        """Store under the next version."""
        async with self._lock:
            self._version = max(self._version, floor) + 1
            self._snapshot = Snapshot(self._version, dict(kpis))
            return self._snapshot

    async def close(self) -> None:
        """Nothing to release."""


COMMAND_TIMEOUT = 5.0
_WRITE_LUA = """
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local floor = tonumber(ARGV[2])
if floor > current then current = floor end
current = current + 1
redis.call('SET', KEYS[2], current)
redis.call('SET', KEYS[1], '{"version":' .. current .. ',' .. string.sub(ARGV[1], 2))
return current
"""


def redis_client(url: str) -> Any:
    """An asyncio Redis client that fails fast when Redis is down.

    No socket_timeout: redis-py would wrap each read in `asyncio.wait_for`, which can swallow
    a task cancellation on Python 3.11; callers bound each command with `asyncio.timeout`.
    """
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    return aioredis.Redis.from_url(
        url,
        socket_connect_timeout=1.0,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
    )


class RedisHotKeys:
    """Hot keys in Redis, namespaced by the key prefix."""

    def __init__(self, url: str, prefix: str = "") -> None:
        self.snapshot_key = f"{prefix}kpi:snapshot"
        self.version_key = f"{prefix}kpi:version"
        self._client = redis_client(url)
        self._script = self._client.register_script(_WRITE_LUA)

    async def read(self) -> Snapshot | None:
        """GET the snapshot key."""
        async with asyncio.timeout(COMMAND_TIMEOUT):
            raw = await self._client.get(self.snapshot_key)
        return Snapshot.from_dict(json.loads(raw)) if raw else None

    async def write(self, kpis: dict[str, Any], floor: int = 0) -> Snapshot:
        """Run the Lua script: bump the version and store the snapshot in one step."""
        as_of = utcnow().isoformat()
        body = json.dumps({"kpis": kpis, "as_of": as_of}, separators=(",", ":"))
        async with asyncio.timeout(COMMAND_TIMEOUT):
            version = await self._script(
                keys=[self.snapshot_key, self.version_key], args=[body, floor]
            )
        return Snapshot(int(version), dict(kpis), as_of)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def make_hotkeys(settings: Settings) -> HotKeys:
    """Redis hot keys when `redis_url` is set, in-process otherwise."""
    if settings.redis_url:
        return RedisHotKeys(settings.redis_url, settings.redis_key_prefix)
    return InProcessHotKeys()
