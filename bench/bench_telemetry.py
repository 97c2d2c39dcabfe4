"""Benchmark: tracing off costs nothing — traced code vs the same code untraced, same run.

Run: python bench/bench_telemetry.py [--calls N]. With no Langfuse keys:
- a function under `@traced` / `traced_node` is the function itself (ratio 1.00× up to noise);
- a block under `with observe(...)` pays one settings check and a shared no-op: reported in
  nanoseconds per block and as a ratio against an empty function.
Bare and traced runs alternate (median of 9 rounds). Writes nothing; results go in
bench/RESULTS.md by hand.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

for name in ("LANGFUSE_PUBLIC_KEY", "LANGFUSE_SECRET_KEY"):
    os.environ.pop(name, None)

from bench.results import emit  # noqa: E402
from command_center.telemetry import observe, traced, traced_node  # noqa: E402


def node(state: dict, deps: object = None) -> dict:
    """A node-shaped function that does almost nothing (the worst case for overhead)."""
    return {"draft": state}


def in_block(state: dict) -> dict:
    with observe("warehouse.query") as span:
        result = node(state)
        span.update(metadata={"rows": 1})
    return result


def rounds(fns: list[Callable[[dict], dict]], calls: int, repeats: int = 9) -> list[float]:
    """Median seconds per call of each fn, measured in alternation."""
    state = {"request": "claims by region"}
    samples: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for index, fn in enumerate(fns):
            started = time.perf_counter()
            for _ in range(calls):
                fn(state)
            samples[index].append((time.perf_counter() - started) / calls)
    return [statistics.median(s) for s in samples]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    calls = parser.parse_args().calls
    decorated = traced("bench")(node)
    wrapped = traced_node("intentExtractor", node)
    assert decorated is node and wrapped is node, "tracing is on: unset LANGFUSE_* keys"
    bare, dec, block = rounds([node, decorated, in_block], calls)
    print(f"empty node function   {bare * 1e9:7.0f} ns")
    print(f"@traced / traced_node {dec * 1e9:7.0f} ns  ratio {dec / bare:.2f}x (the same object)")
    print(f"inside observe()      {block * 1e9:7.0f} ns  ratio {block / bare:.2f}x "
          f"(+{(block - bare) * 1e9:.0f} ns per traced block)")  # fmt: skip
    emit(
        "tracing off: @traced function vs the bare function",
        f"{dec * 1e9:.0f} ns",
        f"{bare * 1e9:.0f} ns",
        dec / bare,
        "the same object (1.0×)",
        decorated is node,
    )
    emit(
        "tracing off: `with observe()` block overhead vs an empty function",
        f"+{(block - bare) * 1e9:.0f} ns",
        f"{bare * 1e9:.0f} ns",
        block / bare,
        "(report)",
    )


if __name__ == "__main__":
    main()
