"""Warehouse sync under load: event accepted → visible in a warehouse query, cost per batch,
and warehouse query latency during syncs as a ratio of the idle latency (same run).

    PYTHONPATH=. python bench/bench_warehouse_sync.py [--rate 50] [--seconds 60]

Embedded mode (SQLite OLTP, default seed of 25,000 customers, 1,000,000-row warehouse). The
simulator's event mix is ingested at `--rate` events/s; the sync steps every
`--interval` seconds in its own thread (as the lifespan task runs it); a separate
`LocalWarehouse` (what every worker uses) polls for each filed claim every 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERY = (
    "SELECT claim_status, COUNT(DISTINCT claim_id) AS value FROM l3_asurion.ev_claim "
    "WHERE created_at >= CURRENT_TIMESTAMP - INTERVAL '30' DAY GROUP BY 1 ORDER BY 2 DESC"
)


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values`, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def query_latencies(warehouse, count: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Run the status-mix widget query `count` times; milliseconds each."""
    out = []
    for _ in range(count):
        started = time.perf_counter()
        warehouse._query_sync(QUERY, 30.0)
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=50.0, help="events per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="load duration")
    parser.add_argument("--interval", type=float, default=2.0, help="WAREHOUSE_SYNC_SECONDS")
    parser.add_argument("--customers", type=int, default=25_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    os.environ.update(
        DATA_DIR=str(tmp / "data"),
        SEED_CUSTOMERS=str(args.customers),
        WAREHOUSE_ROWS=str(args.rows),
        WAREHOUSE_SYNC_SECONDS=str(args.interval),
    )
    for name in ("DATABASE_URL", "REDIS_URL", "DATABRICKS_HOST"):
        os.environ.pop(name, None)

    from bench.results import emit
    from command_center.bootstrap import prepare
    from command_center.db.session import get_engine
    from command_center.ops.ingest import ingest_events
    from command_center.ops.simulator import EventGenerator, load_world
    from command_center.settings import get_settings
    from command_center.warehouse.local import LocalWarehouse
    from command_center.warehouse.sync import WarehouseSync

    settings = get_settings()
    started = time.perf_counter()
    timings = prepare(settings)
    print(
        f"prepared in {time.perf_counter() - started:.1f}s "
        + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    )
    reader = LocalWarehouse(settings)
    rows = reader._query_sync("SELECT count(*) AS n FROM l3_asurion.ev_claim", 30.0).rows[0]["n"]
    print(f"warehouse rows: {rows:,}  (file {settings.warehouse_path.stat().st_size / 1e6:.0f} MB)")

    query_latencies(reader, 5)  # warm
    idle = query_latencies(reader, 40)

    engine = get_engine()
    generator = EventGenerator(load_world(engine, customers=2000))
    job = WarehouseSync(settings)
    assert job.try_lead()
    stop = threading.Event()
    steps: list[tuple[float, int, int]] = []  # (seconds, claims, events)
    accepted: dict[str, float] = {}
    lags: list[float] = []
    lock = threading.Lock()

    def sync_loop() -> None:
        while not stop.is_set():
            began = time.perf_counter()
            result = job.step()
            if result and result.claims:
                steps.append((time.perf_counter() - began, result.claims, result.events))
            stop.wait(args.interval)

    def load_loop() -> None:
        tick = 0.1
        per_tick = args.rate * tick
        owed = 0.0
        deadline = time.perf_counter() + args.seconds
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            owed += per_tick
            batch = [generator.next_event() for _ in range(int(owed))]
            owed -= len(batch)
            if batch:
                result = ingest_events(batch, engine=engine)
                done = time.perf_counter()
                with lock:
                    for event in batch:
                        if event["type"] == "claim_filed":
                            accepted[event["claim_id"]] = done
                _ = result
            time.sleep(max(0.0, tick - (time.perf_counter() - began)))

    def probe_loop() -> None:
        probe = LocalWarehouse(settings)
        while not stop.is_set():
            with lock:
                pending = list(accepted)
            if pending:
                ids = ", ".join(f"'{c}'" for c in pending[:500])
                seen = probe._query_sync(
                    f"SELECT claim_id FROM l3_asurion.ev_claim WHERE claim_id IN ({ids})", 30.0
                ).rows
                now = time.perf_counter()
                with lock:
                    for row in seen:
                        at = accepted.pop(row["claim_id"], None)
                        if at is not None:
                            lags.append(now - at)
            stop.wait(0.05)
        probe.close()

    threads = [threading.Thread(target=f, daemon=True) for f in (sync_loop, probe_loop)]
    for thread in threads:
        thread.start()
    loader = threading.Thread(target=load_loop, daemon=True)
    loader.start()
    busy: list[float] = []
    while loader.is_alive():
        busy.extend(query_latencies(reader, 5))
    time.sleep(args.interval * 2 + 1)  # let the last claims become visible
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    reader.close()

    print(f"\nload: {args.rate:g} events/s for {args.seconds:g}s, sync every {args.interval:g}s")
    if lags:
        print(
            f"lag accepted → visible: n={len(lags)} p50 {pct(lags, 0.5):.2f}s "
            f"p95 {pct(lags, 0.95):.2f}s max {max(lags):.2f}s  (unseen: {len(accepted)})"
        )
        emit(
            f"sync lag, event accepted → visible in a warehouse query, p50 / p95 "
            f"({args.rate:g} ev/s, n={len(lags)})",
            f"{pct(lags, 0.5):.2f} s / {pct(lags, 0.95):.2f} s",
            f"sync interval {args.interval:g} s",
            pct(lags, 0.95) / args.interval,
            "p95 ≤ interval + 1 s",
            pct(lags, 0.95) <= args.interval + 1,
        )
    if steps:
        secs = [s for s, _c, _e in steps]
        claims = [c for _s, c, _e in steps]
        print(
            f"batches: {len(steps)}  claims/batch p50 {statistics.median(claims):.0f}  "
            f"step (apply + checkpoint + snapshot) p50 {pct(secs, 0.5) * 1000:.0f} ms "
            f"p95 {pct(secs, 0.95) * 1000:.0f} ms  = {statistics.mean(secs) / args.interval:.1%} "
            "of the interval"
        )
        emit(
            f"sync step (apply + checkpoint + snapshot), p50 / p95, "
            f"{statistics.median(claims):.0f} claims/batch, {rows:,} rows",
            f"{pct(secs, 0.5) * 1000:.0f} ms / {pct(secs, 0.95) * 1000:.0f} ms",
            f"interval {args.interval:g} s",
            statistics.mean(secs) / args.interval,
            "< 25% of the interval",
            statistics.mean(secs) / args.interval < 0.25,
        )
    idle50, busy50, busy95 = pct(idle, 0.5), pct(busy, 0.5), pct(busy, 0.95)
    print(
        f"widget query (status mix, 30 d): idle p50 {idle50:.1f} ms; during load+sync "
        f"p50 {busy50:.1f} ms (x{busy50 / idle50:.2f}), p95 {busy95:.1f} ms "
        f"(x{busy95 / pct(idle, 0.95):.2f} of idle p95)"
    )
    emit(
        "warehouse widget query p50 during load + sync vs idle (same run)",
        f"{busy50:.1f} ms",
        f"idle {idle50:.1f} ms",
        busy50 / idle50,
        "≤ 2×",
        busy50 / idle50 <= 2,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
