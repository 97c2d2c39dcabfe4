"""Offline clarifier turn latency (p50/p95) against the same graph shape with no-op nodes.

Run: python bench/bench_clarifier.py [--turns 200]
Both graphs use the same in-memory checkpointer type and the same runner, in the same run,
so the ratio isolates the cost of the offline nodes (parsing, matching, synthesis, critic).
"""

from __future__ import annotations

import sys as _sys
from pathlib import Path as _Path

_sys.path.insert(0, str(_Path(__file__).resolve().parents[1]))
import argparse
import asyncio
import statistics
import time
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver

from bench.results import emit
from command_center.llm.offline import OfflineLLM
from command_center.widgets.checkpoint import Checkpointer
from command_center.widgets.context import load_dictionary, seeded_catalog
from command_center.widgets.graph import STAGES, build_graph
from command_center.widgets.runner import ClarifierRunner

REQUESTS = [
    "bar chart of claims filed by region last 7 days",
    "approval rate for Samsung in the West",
    "trend of new claims over the past 2 weeks via app",
    "pie of claims by product in the warehouse",
    "average payout by loss type as a table",
    "kpi tile for backlog today",
]


def _noop(state: Any, deps: Any) -> dict[str, Any]:
    return {}


def _noop_synth(state: Any, deps: Any) -> dict[str, Any]:
    return {"spec": {"type": "kpi"}}


def _noop_critic(state: Any, deps: Any) -> dict[str, Any]:
    return {"critic_ok": True}


def _runner(noop: bool) -> ClarifierRunner:
    runner = ClarifierRunner(
        llm=OfflineLLM(),
        checkpointer=Checkpointer(InMemorySaver(), lambda: None, "memory"),
        catalog_loader=seeded_catalog,
        dictionary=load_dictionary(),
    )
    if noop:
        nodes = {name: _noop for name in STAGES}
        nodes["specSynthesizer"], nodes["critic"] = _noop_synth, _noop_critic
        runner.graph = build_graph(runner.deps, runner.checkpointer.saver, nodes=nodes)
    return runner


async def _turns(runner: ClarifierRunner, turns: int, noop: bool) -> list[float]:
    timings = []
    for i in range(turns):
        started = time.perf_counter()
        names = [e.name async for e in runner.start_clarification(REQUESTS[i % len(REQUESTS)])]
        timings.append((time.perf_counter() - started) * 1000)
        assert names[-1] == "result", names
    return timings


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


async def main(turns: int) -> None:
    """Measure both graphs (warm-up first) and print p50/p95 and ratios."""
    results = {}
    for label, noop in (("no-op nodes", True), ("offline clarifier", False)):
        runner = _runner(noop)
        await _turns(runner, 10, noop)  # warm-up
        results[label] = await _turns(runner, turns, noop)
    base = results["no-op nodes"]
    print(f"clarifier turn latency over {turns} turns (ms, one full turn to `result`)")
    for label, values in results.items():
        p50, p95 = _pct(values, 50), _pct(values, 95)
        print(
            f"  {label:<18} p50 {p50:7.2f}  p95 {p95:7.2f}   "
            f"x{p50 / _pct(base, 50):.2f} / x{p95 / _pct(base, 95):.2f} vs no-op"
        )
    ours = results["offline clarifier"]
    emit(
        f"offline clarifier turn ({turns} turns)",
        f"p50 {_pct(ours, 50):.2f} ms, p95 {_pct(ours, 95):.2f} ms",
        f"no-op graph p50 {_pct(base, 50):.2f} ms, p95 {_pct(base, 95):.2f} ms",
        _pct(ours, 95) / _pct(base, 95),
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=200)
    asyncio.run(main(parser.parse_args().turns))
