"""Benchmark: widget-data resolution vs raw Redis GET (hits) and raw DuckDB (misses).

Run: python bench/bench_widget_data.py [--hits N] [--misses N] [--redis URL]

Uses a temporary DATA_DIR with the default 1,000,000-row local warehouse (built in ~2 s),
the Redis server at 127.0.0.1:6379 under a unique key prefix (deleted afterwards), and
prints p50/p95 for each path with the ratio against its baseline:

- cache hit:  `resolve_widget_data` on a warm key vs a redis-py asyncio GET of the same
  payload bytes (target ≤ 2×);
- cache miss: `resolve_widget_data` with a fresh widget id per call vs the same final SQL
  on a raw read-only DuckDB connection (target ≤ 1.2×).

Starts no server; removes the temp dir and every Redis key it wrote.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results import emit

METRIC = "claims_by_product_l3_asurion"
SPEC = {
    "type": "chart",
    "chart_kind": "bar",
    "title": "Claims by product · 30 d",
    "data_intent": {"metric": METRIC, "dimensions": ["product_name"], "refresh_seconds": 300},
}
TARGETS = {"hit": 2.0, "miss": 1.2}


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


async def _timed(op, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for i in range(rounds):
        started = time.perf_counter()
        await op(i)
        samples.append(time.perf_counter() - started)
    return samples


async def _interleaved(op_a, op_b, rounds: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Alternate the two ops so both see the same machine state."""
    a: list[float] = []
    b: list[float] = []
    for i in range(rounds):
        for op, out in ((op_a, a), (op_b, b)):
            started = time.perf_counter()
            await op(i)
            out.append(time.perf_counter() - started)
    return a, b


async def run(hits: int, misses: int, redis_url: str) -> list[tuple[str, list[float], list[float]]]:
    """Prepare everything, measure both paths, return `(name, ours, baseline)` rows."""
    import redis.asyncio as aioredis

    from command_center import resolver
    from command_center.bootstrap import prepare
    from command_center.settings import get_settings
    from command_center.warehouse.generate import connect_readonly

    settings = get_settings()
    started = time.perf_counter()
    prepare(settings)
    print(
        f"prepared {settings.warehouse_rows:,}-row warehouse in "
        f"{time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    prefix = settings.redis_key_prefix
    raw_redis = aioredis.Redis.from_url(redis_url)
    results = []
    try:
        # ---- cache hit: warm one key, then time resolve vs a raw GET of the same bytes
        warm = await resolver.resolve_widget_data("bench-hit", SPEC)
        assert (await resolver.resolve_widget_data("bench-hit", SPEC)).cached
        assert not resolver.widget_cache().degraded, "Redis backend degraded"
        redis_key = prefix + warm.cache_key
        payload = await raw_redis.get(redis_key)
        assert payload, f"payload not in Redis under {redis_key}"

        async def resolve_hit(_i: int) -> None:
            await resolver.resolve_widget_data("bench-hit", SPEC)

        async def raw_get(_i: int) -> None:
            await raw_redis.get(redis_key)

        await _timed(resolve_hit, 50)  # warm-up
        await _timed(raw_get, 50)
        ours, base = await _interleaved(resolve_hit, raw_get, hits)
        results.append(("hit", ours, base))

        # ---- cache miss: fresh widget id per call vs the same SQL on raw DuckDB
        conn = connect_readonly(settings.warehouse_path)
        sql = warm.sql
        run_id = uuid.uuid4().hex[:6]

        async def resolve_miss(i: int) -> None:
            data = await resolver.resolve_widget_data(f"bench-miss-{run_id}-{i}", SPEC)
            assert not data.cached

        async def raw_duckdb(_i: int) -> None:
            cursor = conn.cursor()
            try:
                cursor.execute(sql)
                cursor.fetchall()
            finally:
                cursor.close()

        await _timed(raw_duckdb, 3)
        ours, base = await _interleaved(resolve_miss, raw_duckdb, misses)
        results.append(("miss", ours, base))
        conn.close()
        await resolver.drain_background()
    finally:
        keys = [key async for key in raw_redis.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await raw_redis.delete(*keys)
        await raw_redis.aclose()
    return results


def main() -> int:
    """Set up an isolated environment, run the benchmark, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hits", type=int, default=2000)
    parser.add_argument("--misses", type=int, default=40)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="cc-bench-widget-"))
    for name in list(os.environ):
        if name.startswith(("DATABASE_", "DATABRICKS_", "REDIS_", "WAREHOUSE_", "SEED_")):
            del os.environ[name]
    os.environ.update(
        DATA_DIR=str(data_dir),
        REDIS_URL=args.redis,
        REDIS_KEY_PREFIX=f"bench:{uuid.uuid4().hex[:8]}:",
        SEED_CUSTOMERS="25000",  # the default density: 1 M history rows ≈ 13 years
    )
    from command_center.settings import get_settings
    from command_center.warehouse.factory import close_all

    get_settings.cache_clear()
    try:
        rows = asyncio.run(run(args.hits, args.misses, args.redis))
    finally:
        close_all()
        shutil.rmtree(data_dir, ignore_errors=True)

    header = f"{'path':<6} {'n':>5} {'ours p50':>10} {'ours p95':>10} {'base p50':>10} "
    header += f"{'base p95':>10} {'p50 ×':>7} {'target':>7}  verdict"
    print(header)
    print("-" * len(header))
    ok = True
    for name, ours, base in rows:
        ratio = statistics.median(ours) / statistics.median(base)
        passed = ratio <= TARGETS[name]
        ok &= passed
        emit(
            f"widget data, cache {name}",
            f"p50 {_pct(ours, 0.5):.3f} ms, p95 {_pct(ours, 0.95):.3f} ms",
            f"p50 {_pct(base, 0.5):.3f} ms, p95 {_pct(base, 0.95):.3f} ms",
            ratio,
            f"≤ {TARGETS[name]}×",
            passed,
        )
        print(
            f"{name:<6} {len(ours):>5} {_pct(ours, 0.5):>8.3f}ms {_pct(ours, 0.95):>8.3f}ms "
            f"{_pct(base, 0.5):>8.3f}ms {_pct(base, 0.95):>8.3f}ms {ratio:>6.2f}× "
            f"{TARGETS[name]:>6.1f}×  {'ok' if passed else 'MISS'}"
        )
    print("baselines: hit = redis-py asyncio GET of the same payload; miss = raw DuckDB")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
