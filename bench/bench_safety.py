"""Benchmark: the sqlglot safety gate vs a bare sqlglot parse of the same queries.

The gate runs as the repo's callers run it: with the data dictionary (column and sensitivity
checks via sqlglot's qualify) and a target backend (LIMIT, transpile, then the final text is
tokenized, parsed and checked again) — so it does roughly twice the work of one analysis.

Run: python bench/bench_safety.py [--rounds N] [--target postgres]. Prints per-op mean and
p50 for both and the ratio check_sql / parse_one (target ≤ 12×). Writes nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlglot

from bench.results import emit
from command_center.metrics.definitions import SEEDED_METRICS
from command_center.sql.compiler import compile_metric_sql
from command_center.sql.dictionary import load_dictionary
from command_center.sql.intent import DataIntent
from command_center.sql.safety import check_sql

ALLOWED = {"claims", "devices", "customers", "issue_sessions", "l3_asurion.ev_claim"}
QUERIES = [
    compile_metric_sql(SEEDED_METRICS[0], DataIntent(metric=SEEDED_METRICS[0].id)),
    compile_metric_sql(
        SEEDED_METRICS[2],
        DataIntent(metric=SEEDED_METRICS[2].id, dimensions=["region"], filters={"channel": "app"}),
    ),
    compile_metric_sql(SEEDED_METRICS[8], DataIntent(metric=SEEDED_METRICS[8].id)),
    "SELECT product_name, claim_status FROM `L3_ASURION`.`EV_CLAIM` LIMIT 10000",
    "WITH recent AS (SELECT * FROM claims WHERE filed_at >= current_timestamp() - INTERVAL 7 DAYS)"
    " SELECT region, COUNT(*) AS n FROM recent GROUP BY region",
    "SELECT region, status FROM claims QUALIFY row_number() OVER (PARTITION BY customer_id"
    " ORDER BY filed_at DESC) = 1",
    "SELECT d.make, COUNT(*) AS n, AVG(c.payout_amount) AS avg_payout FROM claims AS c"
    " JOIN devices AS d ON c.device_id = d.id JOIN customers AS cu ON c.customer_id = cu.id"
    " WHERE cu.segment = 'enterprise' GROUP BY d.make ORDER BY n DESC",
    "SELECT region FROM claims UNION SELECT region FROM customers",
    "SELECT date_trunc('day', filed_at) AS day, SUM(COALESCE(CAST(payout_amount AS DOUBLE), 0))"
    " AS paid, AVG(CASE WHEN status = 'approved' THEN 1 ELSE 0 END) AS rate FROM claims"
    " WHERE customer_id IN (SELECT id FROM customers WHERE region = 'east') GROUP BY 1",
    "SELECT region FROM claims WHERE EXISTS (SELECT 1 FROM issue_sessions s WHERE s.claim_id ="
    " claims.id) AND status IN ('filed', 'in_review')",
]


def _time(op: Callable[[str], object], rounds: int) -> list[float]:
    """Per-op seconds: every query once per round, interleaving nothing else."""
    samples: list[float] = []
    for _ in range(rounds):
        for sql in QUERIES:
            start = time.perf_counter()
            op(sql)
            samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--target", default="postgres", help="backend of the OLTP tables")
    args = parser.parse_args()
    dictionary = load_dictionary()
    known = dictionary.tables.keys()

    def parse(sql: str) -> object:
        return sqlglot.parse_one(sql, read="databricks")

    def gate(sql: str) -> object:
        target = "duckdb" if "ev_claim" in sql.lower() else args.target  # the warehouse
        result = check_sql(sql, ALLOWED, known_tables=known, dictionary=dictionary, target=target)
        assert result.passed, result.failed
        return result

    for op in (parse, gate):  # warm-up (imports, caches)
        _time(op, 20)
    # Alternate the two ops in blocks so drift affects both alike.
    base: list[float] = []
    safe: list[float] = []
    for _ in range(5):
        base += _time(parse, args.rounds // 5)
        safe += _time(gate, args.rounds // 5)

    def row(name: str, samples: list[float]) -> tuple[float, float]:
        mean, p50 = statistics.fmean(samples), statistics.median(samples)
        print(f"{name:<32} n={len(samples):<6} mean={mean * 1e6:9.1f} µs  p50={p50 * 1e6:9.1f} µs")
        return mean, p50

    print(
        f"sqlglot {sqlglot.__version__}, {len(QUERIES)} queries, {args.rounds} rounds,"
        f" target {args.target}"
    )
    base_mean, base_p50 = row("sqlglot.parse_one (databricks)", base)
    safe_mean, safe_p50 = row("check_sql", safe)
    emit(
        f"safety gate vs bare sqlglot.parse_one ({len(QUERIES)} queries)",
        f"mean {safe_mean * 1e6:.0f} µs, p50 {safe_p50 * 1e6:.0f} µs",
        f"mean {base_mean * 1e6:.0f} µs, p50 {base_p50 * 1e6:.0f} µs",
        safe_mean / base_mean,
        "≤ 12×",
        safe_mean / base_mean <= 12,
    )
    print(f"ratio check_sql / parse_one: mean {safe_mean / base_mean:.2f}x, "
          f"p50 {safe_p50 / base_p50:.2f}x (target <= 12x)")  # fmt: skip


if __name__ == "__main__":
    main()
