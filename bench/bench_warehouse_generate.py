"""Benchmark: generating the local warehouse, and querying it, against raw DuckDB baselines.

    PYTHONPATH=. python bench/bench_warehouse_generate.py [--rows 1000000]

Prints seconds and ratios; never asserts timings.
"""

from __future__ import annotations

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))
import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from bench.results import emit
from command_center.settings import get_settings
from command_center.warehouse.generate import connect_readonly, generate_warehouse
from command_center.warehouse.local import LocalWarehouse
from command_center.warehouse.store import build_lock

METRIC_SQL = (
    "SELECT product_name, COUNT(DISTINCT claim_id) AS claims FROM l3_asurion.ev_claim "
    "WHERE created_at >= CURRENT_DATE - INTERVAL 30 DAY GROUP BY 1 ORDER BY 2 DESC"
)


def baseline_generate(path: Path, rows: int) -> float:
    """Raw DuckDB: a table of the same row count with one hashed column (lower bound)."""
    started = time.perf_counter()
    with contextlib.closing(duckdb.connect(str(path))) as conn:
        conn.execute(f"CREATE TABLE t AS SELECT i, hash(i) AS h FROM range({rows}) r(i)")
        conn.execute("CHECKPOINT")
    return time.perf_counter() - started


async def time_queries(path: Path, runs: int, rows: int) -> tuple[float, float]:
    """Median ms of the claims-by-product metric: raw DuckDB cursor vs LocalWarehouse."""
    raw_ms = []
    with contextlib.closing(connect_readonly(path)) as conn:
        for _ in range(runs):
            started = time.perf_counter()
            conn.execute(METRIC_SQL).fetchall()
            raw_ms.append((time.perf_counter() - started) * 1000)
    settings = get_settings().model_copy(update={"warehouse_rows": rows})
    warehouse = LocalWarehouse(settings, path=path)  # reads the published snapshot
    wh_ms = []
    try:
        await warehouse.query("SELECT 1")
        for _ in range(runs):
            started = time.perf_counter()
            await warehouse.query(METRIC_SQL)
            wh_ms.append((time.perf_counter() - started) * 1000)
    finally:
        warehouse.close()
    return statistics.median(raw_ms), statistics.median(wh_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        baseline = baseline_generate(base / "baseline.duckdb", args.rows)
        settings = get_settings().model_copy(update={"warehouse_rows": args.rows, "data_dir": base})
        started = time.perf_counter()
        with build_lock(base / "warehouse.duckdb"):  # history only: no OLTP database here
            generate_warehouse(base / "warehouse.duckdb", settings)
        seconds = time.perf_counter() - started
        size_mb = (base / "warehouse.duckdb").stat().st_size / 1e6
        print(f"rows={args.rows:,}")
        print(f"baseline raw DuckDB CTAS (2 columns): {baseline:.2f}s")
        print(f"generate l3_asurion.ev_claim (14 columns): {seconds:.2f}s  ({size_mb:.0f} MB)")
        print(f"ratio generate/baseline: {seconds / baseline:.1f}x")
        raw_ms, wh_ms = asyncio.run(time_queries(base / "warehouse.duckdb", args.runs, args.rows))
        print(f"metric query median: raw DuckDB {raw_ms:.1f} ms, LocalWarehouse {wh_ms:.1f} ms")
        print(f"ratio LocalWarehouse/raw: {wh_ms / raw_ms:.2f}x")
        emit(
            f"generate l3_asurion.ev_claim, {args.rows:,} rows",
            f"{seconds:.2f} s",
            f"raw 2-column DuckDB CTAS {baseline:.2f} s",
            seconds / baseline,
            "seconds, not minutes",
            seconds < 60,
        )
        emit(
            "metric query through LocalWarehouse",
            f"median {wh_ms:.1f} ms",
            f"raw DuckDB {raw_ms:.1f} ms",
            wh_ms / raw_ms,
        )


if __name__ == "__main__":
    main()
