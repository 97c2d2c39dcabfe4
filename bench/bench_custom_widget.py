"""Benchmark: compile + first render of a 100-line custom widget in the sandbox (Chromium).

Run: python bench/bench_custom_widget.py [--rounds N]. Timings are measured inside the
sandboxed iframe (performance.now around Babel + eval + React's synchronous render):

- cold: a fresh iframe (page reloaded, runtime booted), first render of the component
  compiled at persist (server-side Babel, cached by content hash) — and, for comparison,
  compiled by Babel inside the fresh iframe;
- new source: a source the warm runtime has not compiled yet (Babel is JIT-warm);
- warm: the same source again with new rows (compiled factory cached by source).

Prints p50/p95 of each, warm/cold as a ratio, the iframe boot time and the runtime bundle
size (raw and gzip). Writes nothing.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import chromium, percentile
from bench.results import emit
from command_center.eval.sandbox_page import SANDBOX_ASSETS, SandboxHost, render
from command_center.widgets.custom.compile import compile_sources
from command_center.widgets.custom.templates import build_component, choose_template


def hundred_line_component() -> dict:
    """The status-list template padded with typed helpers to 100 lines."""
    template = choose_template("a status list of recent claims")
    assert template is not None
    spec = build_component(template, "a status list of recent claims").model_dump(mode="json")
    lines = spec["tsx_source"].splitlines()
    helpers: list[str] = []
    index = 0
    while len(lines) + len(helpers) < 100:
        helpers += [
            f"function helper{index}(value: number): number {{",
            f"  return Math.round(value * {index + 2}) / {index + 2};",
            "}",
        ]
        index += 1
    spec["tsx_source"] = "\n".join(helpers + lines)
    return spec


ROWS = [
    {"status": s, "region": r, "loss_type": "theft", "filed_at": "2026-11-29T10:00:00"}
    for s, r in [("denied", "West"), ("in_review", "East"), ("approved", "North")] * 4
]


def _stats(values: list[float]) -> str:
    p50, p95 = statistics.median(values), percentile(values, 95)
    return f"p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   (n={len(values)})"


def _short(values: list[float]) -> str:
    return f"p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 95):.1f} ms"


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    spec = hundred_line_component()
    print(f"component: {spec['display_name']}, {len(spec['tsx_source'].splitlines())} lines")
    (result,) = compile_sources([spec["tsx_source"]])
    assert result.code, result
    cold, cold_babel, fresh, warm, boot = [], [], [], [], []
    with SandboxHost() as host, chromium() as browser:
        page = browser.new_page()
        for _ in range(args.rounds):
            page.goto(host.url)
            started = time.perf_counter()
            first = render(page, spec, ROWS, compiled=result.code)
            boot.append((time.perf_counter() - started) * 1000 - first["compileMs"])
            cold.append(first["compileMs"] + first["renderMs"])
            page.goto(host.url)
            first = render(page, spec, ROWS)
            cold_babel.append(first["compileMs"] + first["renderMs"])
        page.goto(host.url)
        render(page, spec, ROWS)
        for round_ in range(args.rounds):
            variant = {**spec, "tsx_source": spec["tsx_source"] + f"\n// variant {round_}\n"}
            event = render(page, variant, ROWS)
            assert "error" not in event, event
            fresh.append(event["compileMs"] + event["renderMs"])
        for round_ in range(args.rounds):
            rows = [{**row, "region": f"R{round_}"} for row in ROWS]
            event = render(page, spec, rows)
            assert event["cached"], event
            warm.append(event["compileMs"] + event["renderMs"])
    bundle = (SANDBOX_ASSETS / "runtime.js").read_bytes()
    print(f"cold, compiled at persist {_stats(cold)}")
    print(f"cold, Babel in the iframe {_stats(cold_babel)}")
    print(f"new source (warm Babel)  {_stats(fresh)}")
    print(f"warm (cached, new rows)  {_stats(warm)}")
    print(f"iframe boot + round trip {_stats(boot)}")
    ratio = statistics.median(warm) / statistics.median(cold)
    print(f"warm / cold (p50)        {ratio:.3f}")
    size = f"{len(bundle) / 1e6:.2f} MB raw, {len(gzip.compress(bundle)) / 1e6:.2f} MB gzip"
    print(f"runtime bundle           {size}")
    cold_p50, warm_p50 = statistics.median(cold), statistics.median(warm)
    emit(
        "custom widget: first render of a 100-line TSX in a fresh iframe, compiled at persist",
        _short(cold),
        f"Babel in the fresh iframe {_short(cold_babel)}",
        cold_p50 / statistics.median(cold_babel),
        "cold ≤ 50 ms",
        cold_p50 <= 50,
    )
    emit(
        "custom widget: Babel compile + render of a new source in a warm iframe",
        _short(fresh),
        f"cold Babel {_short(cold_babel)}",
        statistics.median(fresh) / statistics.median(cold_babel),
    )
    emit(
        "custom widget: re-render, warm (compiled component cached by source, new rows)",
        _short(warm),
        f"cold {_short(cold)}",
        ratio,
        "warm ≤ 5 ms",
        warm_p50 <= 5,
    )
    emit("custom widget: sandbox runtime bundle (React, Babel, lucide, Tailwind)", size, "—", None)


if __name__ == "__main__":
    main()
