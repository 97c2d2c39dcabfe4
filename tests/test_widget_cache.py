"""WidgetDataCache: single flight, error propagation, TTLs, LRU bound, Redis outage and recovery."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import redis

from command_center.realtime import widget_cache as widget_cache_module
from command_center.realtime.widget_cache import (
    CacheUnavailable,
    InProcessBackend,
    RedisBackend,
    WidgetDataCache,
)

DOWN_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


class Counter:
    """A compute function that counts its calls and yields to the loop before answering."""

    def __init__(self, value: bytes = b"rows", fail: Exception | None = None) -> None:
        self.calls = 0
        self.value, self.fail = value, fail
        self.release = asyncio.Event()

    async def __call__(self) -> bytes:
        self.calls += 1
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return self.value


@pytest.fixture(params=["in-process", "redis"])
def make_cache(request, redis_url: str, redis_prefix: str) -> Callable[[], WidgetDataCache]:
    def make() -> WidgetDataCache:
        if request.param == "redis":
            return WidgetDataCache(RedisBackend(redis_url, key_prefix=redis_prefix))
        return WidgetDataCache(InProcessBackend())

    return make


async def _start(cache: WidgetDataCache, key: str, compute: Counter, n: int) -> list[asyncio.Task]:
    tasks = [asyncio.create_task(cache.get_or_compute(key, 60, compute)) for _ in range(n)]
    for _ in range(20):  # let every task reach the cache and join the flight
        await asyncio.sleep(0.01)
    return tasks


async def test_single_flight_runs_compute_once(make_cache) -> None:
    cache = make_cache()
    compute = Counter(b'{"rows":[1,2,3]}')
    tasks = await _start(cache, "widget:data:w1:a:b", compute, 50)
    assert compute.calls == 1
    compute.release.set()
    results = await asyncio.gather(*tasks)
    assert compute.calls == 1
    assert {value for value, _ in results} == {b'{"rows":[1,2,3]}'}
    assert all(cached is False for _, cached in results)
    assert not cache._inflight  # nothing left behind

    value, cached = await cache.get_or_compute("widget:data:w1:a:b", 60, compute)
    assert (value, cached) == (b'{"rows":[1,2,3]}', True)
    assert compute.calls == 1


async def test_different_keys_do_not_share_a_flight(make_cache) -> None:
    cache = make_cache()
    compute = Counter()
    compute.release.set()
    await asyncio.gather(
        cache.get_or_compute("k1", 60, compute), cache.get_or_compute("k2", 60, compute)
    )
    assert compute.calls == 2


async def test_exception_reaches_every_waiter_and_next_call_retries(make_cache) -> None:
    cache = make_cache()
    failing = Counter(fail=RuntimeError("warehouse exploded"))
    tasks = await _start(cache, "k", failing, 10)
    failing.release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert failing.calls == 1
    assert len(results) == 10
    assert all(isinstance(r, RuntimeError) and "exploded" in str(r) for r in results)
    assert await cache.get("k") is None  # nothing cached

    working = Counter(b"second")
    working.release.set()
    assert await cache.get_or_compute("k", 60, working) == (b"second", False)
    assert working.calls == 1
    assert await cache.get_or_compute("k", 60, working) == (b"second", True)


async def test_cancelled_leader_hands_over_to_a_waiter() -> None:
    cache = WidgetDataCache(InProcessBackend())
    compute = Counter(b"late")
    leader = asyncio.create_task(cache.get_or_compute("k", 60, compute))
    await asyncio.sleep(0.01)
    waiter = asyncio.create_task(cache.get_or_compute("k", 60, compute))
    await asyncio.sleep(0.01)
    leader.cancel()
    compute.release.set()
    assert await waiter == (b"late", False)  # the waiter was not cancelled with the leader
    assert compute.calls == 2
    assert leader.cancelled()


async def test_zero_ttl_is_not_cached(make_cache) -> None:
    cache = make_cache()
    compute = Counter()
    compute.release.set()
    await cache.get_or_compute("k", 0, compute)
    await cache.get_or_compute("k", 0, compute)
    assert compute.calls == 2


async def test_ttl_may_be_decided_by_the_computation(make_cache) -> None:
    cache = make_cache()
    compute = Counter()
    compute.release.set()
    decided: list[int] = []
    await cache.get_or_compute("late-ttl", lambda: decided[0], _then(decided, 30, compute))
    assert await cache.get("late-ttl") == b"rows"


def _then(box: list[int], ttl: int, compute: Counter):  # type: ignore[no-untyped-def]
    async def run() -> bytes:
        value = await compute()
        box.append(ttl)
        return value

    return run


async def test_in_process_entries_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(widget_cache_module.time, "monotonic", lambda: now[0])
    cache = WidgetDataCache(InProcessBackend())
    compute = Counter(b"v1")
    compute.release.set()
    assert await cache.get_or_compute("k", 1, compute) == (b"v1", False)
    now[0] += 0.5
    assert await cache.get_or_compute("k", 1, compute) == (b"v1", True)
    now[0] += 0.6  # 1.1 s after the write: expired
    assert await cache.get("k") is None
    assert await cache.get_or_compute("k", 1, compute) == (b"v1", False)
    assert compute.calls == 2


async def test_in_process_lru_is_bounded() -> None:
    backend = InProcessBackend(max_entries=3)
    for key in ("a", "b", "c"):
        await backend.set(key, key.encode(), 60)
    assert await backend.get("a") == b"a"  # touch a: b is now the oldest
    await backend.set("d", b"d", 60)
    assert await backend.get("b") is None
    assert [await backend.get(k) for k in ("a", "c", "d")] == [b"a", b"c", b"d"]


async def test_invalidate_drops_only_the_prefix(make_cache) -> None:
    cache = make_cache()
    for key in ("widget:data:w1:x:y", "widget:data:w1:z:y", "widget:data:w2:x:y"):
        await cache.set(key, b"v", 60)
    assert await cache.invalidate("widget:data:w1:") == 2
    assert await cache.get("widget:data:w1:x:y") is None
    assert await cache.get("widget:data:w2:x:y") == b"v"


async def test_redis_keys_are_prefixed_and_carry_the_ttl(redis_url: str, redis_prefix: str) -> None:
    cache = WidgetDataCache(RedisBackend(redis_url, key_prefix=redis_prefix))
    compute = Counter(b"payload")
    compute.release.set()
    await cache.get_or_compute("widget:data:w:1:2", 42, compute)
    raw = redis.Redis.from_url(redis_url)
    try:
        assert raw.get(redis_prefix + "widget:data:w:1:2") == b"payload"
        assert 0 < raw.ttl(redis_prefix + "widget:data:w:1:2") <= 42
        assert raw.get("widget:data:w:1:2") is None or redis_prefix == ""
    finally:
        raw.close()


async def test_redis_down_degrades_then_recovers(redis_url: str, redis_prefix: str) -> None:
    backend = RedisBackend(DOWN_URL, key_prefix=redis_prefix, timeout=0.5)
    with pytest.raises(CacheUnavailable):
        await backend.get("k")
    cache = WidgetDataCache(backend)
    compute = Counter(b"fresh")
    compute.release.set()
    assert await cache.get_or_compute("k", 60, compute) == (b"fresh", False)
    assert cache.degraded is True
    assert await cache.get_or_compute("k", 60, compute) == (b"fresh", False)
    assert compute.calls == 2  # nothing could be cached
    assert await cache.invalidate("k") == 0

    # Redis comes back: the same cache object caches again and clears the flag.
    backend._url = redis_url
    backend._clients.clear()
    assert await cache.get_or_compute("k", 60, compute) == (b"fresh", False)
    assert cache.degraded is False
    assert await cache.get_or_compute("k", 60, compute) == (b"fresh", True)
    assert compute.calls == 3


def test_redis_backend_works_across_event_loops(redis_url: str, redis_prefix: str) -> None:
    cache = WidgetDataCache(RedisBackend(redis_url, key_prefix=redis_prefix))

    async def roundtrip(i: int) -> bytes | None:
        await cache.set(f"k{i}", str(i).encode(), 60)
        return await cache.get(f"k{i}")

    for i in range(5):  # each asyncio.run is a new loop; clients must not leak across them
        assert asyncio.run(roundtrip(i)) == str(i).encode()
        assert cache.degraded is False
    assert len(cache.backend._clients) <= 1  # finished loops' clients are dropped


async def test_single_flight_across_processes_on_redis(redis_url: str, redis_prefix: str) -> None:
    # two caches with their own in-process flights stand in for two worker processes; a
    # generous Redis deadline: on a loaded machine a 0.5 s one can lapse, and a cache that
    # degrades queries directly (by design), which is not what this test is about
    worker_a = WidgetDataCache(RedisBackend(redis_url, redis_prefix, timeout=5.0))
    worker_b = WidgetDataCache(RedisBackend(redis_url, redis_prefix, timeout=5.0))
    calls = 0
    release, querying = asyncio.Event(), asyncio.Event()

    async def slow_query() -> bytes:
        nonlocal calls
        calls += 1
        querying.set()
        await release.wait()
        return b"rows"

    first = asyncio.create_task(worker_a.get_or_compute("k-shared", 60, slow_query))
    await asyncio.wait_for(querying.wait(), 10)  # worker A holds the key's lock and queries
    second = asyncio.create_task(worker_b.get_or_compute("k-shared", 60, slow_query))
    await asyncio.sleep(0.1)
    assert calls == 1  # worker B waits for A instead of querying too
    assert not worker_b.degraded
    release.set()
    assert (await first)[0] == b"rows"
    assert (await second)[0] == b"rows"
    assert calls == 1


async def test_peer_keeps_its_lock_until_the_value_is_stored(
    redis_url: str, redis_prefix: str
) -> None:
    """A waiting peer that looks between the leader's compute and its cache write must see
    the lock still held (it once saw the lock free and the key empty, and queried again)."""
    storing, peer_looked = asyncio.Event(), asyncio.Event()

    class SlowStore(RedisBackend):
        async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
            storing.set()
            await peer_looked.wait()  # the peer polls while the leader's write is pending
            await super().set(key, value, ttl_seconds)

    class Watching(RedisBackend):
        async def lock_held(self, key: str) -> bool:
            held = await super().lock_held(key)
            if storing.is_set():
                peer_looked.set()
            return held

    worker_a = WidgetDataCache(SlowStore(redis_url, redis_prefix, timeout=5.0))
    worker_b = WidgetDataCache(Watching(redis_url, redis_prefix, timeout=5.0))
    calls = 0
    querying = asyncio.Event()

    async def query() -> bytes:
        nonlocal calls
        calls += 1
        querying.set()
        return b"rows"

    first = asyncio.create_task(worker_a.get_or_compute("k-store", 60, query))
    await asyncio.wait_for(storing.wait(), 10)
    second = asyncio.create_task(worker_b.get_or_compute("k-store", 60, query))
    assert (await asyncio.wait_for(first, 10))[0] == b"rows"
    assert (await asyncio.wait_for(second, 10))[0] == b"rows"
    assert calls == 1


async def test_peer_that_fails_hands_the_query_over(redis_url: str, redis_prefix: str) -> None:
    worker_a = WidgetDataCache(RedisBackend(redis_url, redis_prefix))
    worker_b = WidgetDataCache(RedisBackend(redis_url, redis_prefix))
    fail = asyncio.Event()

    async def failing() -> bytes:
        await fail.wait()
        raise RuntimeError("warehouse timeout")

    async def working() -> bytes:
        return b"fresh"

    first = asyncio.create_task(worker_a.get_or_compute("k-fail", 60, failing))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(worker_b.get_or_compute("k-fail", 60, working))
    await asyncio.sleep(0.05)
    fail.set()
    with pytest.raises(RuntimeError):
        await first
    assert await second == (b"fresh", False)
