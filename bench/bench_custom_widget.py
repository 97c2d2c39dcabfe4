"""Benchmark: compile + first render of a 100-line custom widget in the sandbox (Chromium).

Run: python bench/bench_custom_widget.py [--rounds N]. Timings are measured inside the
sandboxed iframe (performance.now around Babel + eval + React's synchronous render):

- cold: a fresh iframe (page reloaded, runtime booted), first render of the component
  compiled at persist (server-side Babel, cached by content hash) — and, for comparison,
  compiled by Babel inside the fresh iframe (which first loads compiler.js on demand);
- new source: a source the warm runtime has not compiled yet (Babel is JIT-warm);
- warm: the same source again with new rows (compiled factory cached by source);
- boot: page loaded → first `rendered`, minus compile and render: loading and running the
  runtime bundle and the handshake.

Cold and boot are measured, round by round in the same run, for the runtime as shipped
(React + lucide + Tailwind; Babel in compiler.js, loaded only when needed) and for a
baseline bundle that also carries Babel at boot (runtime + compiler in one script, as before
the split). Prints p50/p95 and ratios, and the bundle sizes. Writes nothing.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import chromium, percentile
from bench.results import emit
from command_center.eval.sandbox_page import SANDBOX_ASSETS, SandboxHost, bundle, render
from command_center.widgets.custom.checks import RUNTIME_DIR
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


def build_baseline(out: Path) -> Path:
    """The runtime with Babel at boot: compiler.js + sandbox.js in one bundle, in `out`."""
    entry = out / "baseline_entry.js"
    entry.write_text(
        f'import "{RUNTIME_DIR / "compiler.js"}";\nimport "{RUNTIME_DIR / "sandbox.js"}";\n'
    )
    bundle(entry, out / "runtime.js")
    for name in ("run.html", "compiler.js"):
        shutil.copy(SANDBOX_ASSETS / name, out / name)
    return out


def _stats(values: list[float]) -> str:
    p50, p95 = statistics.median(values), percentile(values, 95)
    return f"p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   (n={len(values)})"


def _short(values: list[float]) -> str:
    return f"p50 {statistics.median(values):.1f} ms, p95 {percentile(values, 95):.1f} ms"


def _cold(page: Any, url: str, spec: dict, compiled: str) -> tuple[float, float]:
    """A fresh frame's first render: (boot ms, compile + render ms)."""
    page.goto(url)
    started = time.perf_counter()
    first = render(page, spec, ROWS, compiled=compiled)
    assert "error" not in first, first
    inside = first["loadMs"] + first["compileMs"] + first["renderMs"]
    return (time.perf_counter() - started) * 1000 - inside, inside


def _size(data: bytes) -> str:
    return f"{len(data) / 1e6:.2f} MB raw, {len(gzip.compress(data)) / 1e6:.2f} MB gzip"


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    spec = hundred_line_component()
    print(f"component: {spec['display_name']}, {len(spec['tsx_source'].splitlines())} lines")
    (result,) = compile_sources([spec["tsx_source"]])
    assert result.code, result
    cold, cold_base, cold_babel, boot, boot_base = [], [], [], [], []
    fresh, warm = [], []
    with (
        tempfile.TemporaryDirectory(prefix="cc-bench-baseline-") as tmp,
        SandboxHost() as host,
        SandboxHost(build_baseline(Path(tmp))) as baseline,
        chromium() as browser,
    ):
        page = browser.new_page()
        for _ in range(args.rounds):
            for url, boots, colds in ((host.url, boot, cold), (baseline.url, boot_base, cold_base)):
                took_boot, took = _cold(page, url, spec, result.code)
                boots.append(took_boot)
                colds.append(took)
            cold_babel.append(_cold(page, host.url, spec, "")[1])  # + loading compiler.js
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
        baseline_bundle = (Path(tmp) / "runtime.js").read_bytes()
    runtime = (SANDBOX_ASSETS / "runtime.js").read_bytes()
    compiler = (SANDBOX_ASSETS / "compiler.js").read_bytes()
    print(f"cold, compiled at persist {_stats(cold)}")
    print(f"  baseline (Babel at boot) {_stats(cold_base)}")
    print(f"cold, Babel in the iframe {_stats(cold_babel)}   (incl. loading compiler.js)")
    print(f"new source (warm Babel)  {_stats(fresh)}")
    print(f"warm (cached, new rows)  {_stats(warm)}")
    print(f"iframe boot + round trip {_stats(boot)}")
    print(f"  baseline (Babel at boot) {_stats(boot_base)}")
    print(f"boot / baseline (p50)    {statistics.median(boot) / statistics.median(boot_base):.3f}")
    print(f"runtime bundle (boot)    {_size(runtime)}")
    print(f"compiler (on demand)     {_size(compiler)}")
    print(f"baseline bundle          {_size(baseline_bundle)}")
    cold_p50, cold_p95 = statistics.median(cold), percentile(cold, 95)
    emit(
        "custom widget: first render of a 100-line TSX in a fresh iframe, compiled at persist",
        _short(cold),
        f"Babel at boot {_short(cold_base)}",
        cold_p95 / percentile(cold_base, 95),
        "cold ≤ 50 ms (p95)",
        cold_p95 <= 50,
    )
    emit(
        "custom widget: fresh iframe, Babel compiling in the frame (compiler.js loaded then)",
        _short(cold_babel),
        f"compiled at persist {_short(cold)}",
        statistics.median(cold_babel) / cold_p50,
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
        statistics.median(warm) / cold_p50,
        "warm ≤ 5 ms",
        statistics.median(warm) <= 5,
    )
    emit(
        "custom widget: iframe boot (runtime bundle loaded, handshake)",
        _short(boot),
        f"Babel at boot {_short(boot_base)}",
        statistics.median(boot) / statistics.median(boot_base),
    )
    emit(
        "custom widget: sandbox runtime bundle loaded at boot (React, lucide, Tailwind)",
        _size(runtime),
        f"with Babel {_size(baseline_bundle)}",
        len(runtime) / len(baseline_bundle),
    )
    emit("custom widget: on-demand compiler.js (@babel/standalone)", _size(compiler), "—", None)


if __name__ == "__main__":
    main()
