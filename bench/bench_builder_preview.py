"""Request → preview painted in headless Chromium (offline builder), beside the service turn.

Starts the production build (docker/entrypoint.sh) on a free port with a temporary data dir,
opens the builder and, for each of N requests (labelled requests that build a preview without
a question), measures in the browser's own clock the time from the Enter keydown in the
composer to the preview card being in the DOM and painted (next animation frame). Between
requests the builder is cancelled and reopened (outside the measurement). Baseline in the
same run: the service-level clarifier turn for the same requests (`start_clarification` →
`result`, in process, in-memory checkpointer), so the ratio shows what the UI path adds
(Reflex event round trip over the socket, background task, state deltas, React render).

    python bench/bench_builder_preview.py [--requests 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import chromium, percentile, prod_server
from bench.results import emit

ARM_JS = """
() => {
  window.__t0 = null;
  window.__staged = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (document.querySelector('#builder-panel .builder-stage')) {
        observer.disconnect(); resolve(performance.now());
      }
    });
    observer.observe(document.body, {childList: true, subtree: true});
  });
  window.__painted = new Promise((resolve) => {
    const done = () => requestAnimationFrame(() => resolve(performance.now()));
    const observer = new MutationObserver(() => {
      if (document.querySelector('#builder-preview .widget-card')) {
        observer.disconnect(); done();
      }
    });
    observer.observe(document.body, {childList: true, subtree: true});
  });
  document.querySelector('#builder-input').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') window.__t0 = performance.now();
  }, {once: true, capture: true});
}
"""
WAIT_JS = """
async () => {
  const painted = await Promise.race([window.__painted,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no preview')), 15000))]);
  const staged = await window.__staged;
  return [staged - window.__t0, painted - window.__t0];
}
"""


def _requests(count: int) -> tuple[list[str], list[float], list[float]]:
    """`count` labelled requests that build a (non-custom) preview without a question, and
    the service-level turn of each (ms)."""
    import yaml

    from tests.widget_helpers import LABELLED_PATH, by_name, collect, memory_runner

    runner = memory_runner()
    labelled = [i["request"] for i in yaml.safe_load(LABELLED_PATH.read_text()) if "ask" not in i]

    async def turn(text: str) -> tuple[bool, float]:
        started = time.perf_counter()
        events = await collect(runner.start_clarification(text))
        elapsed = (time.perf_counter() - started) * 1000
        results = by_name(events, "result")
        spec = results[-1]["spec"] if results else None
        return bool(spec) and spec.get("type") != "custom", elapsed

    chosen: list[str] = []
    for text in labelled:
        ok, _ = asyncio.run(turn(text))
        if ok:
            chosen.append(text)
    chosen = [chosen[i % len(chosen)] for i in range(count)]
    asyncio.run(turn(chosen[0]))  # warm the layer
    service = [asyncio.run(turn(text))[1] for text in chosen]
    from command_center.widgets.checkpoint import sqlite_checkpointer

    with tempfile.TemporaryDirectory() as tmp:  # the app's checkpointer: SQLite on disk
        runner = memory_runner(checkpointer=sqlite_checkpointer(Path(tmp) / "cp.sqlite"))
        asyncio.run(turn(chosen[0]))
        on_disk = [asyncio.run(turn(text))[1] for text in chosen]
        runner.close()
    return chosen, service, on_disk


def main() -> int:
    """Run the measurement and print p50/p95 for both paths."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    requests, service_ms, disk_ms = _requests(args.requests)
    browser_ms: list[float] = []
    staged_ms: list[float] = []
    with prod_server() as server, chromium() as browser:
        page = browser.new_page()
        page.goto(server.url + "/")
        page.wait_for_selector(".kpi-tile", timeout=60_000)
        for index, text in enumerate([requests[0], *requests]):  # first = warm-up
            page.click("#add-widget")
            page.wait_for_selector("#builder-preview-empty", timeout=30_000)
            page.evaluate(ARM_JS)
            box = page.locator("#builder-input")
            box.fill(text)
            box.press("Enter")
            staged, elapsed = page.evaluate(WAIT_JS)
            if index:
                browser_ms.append(elapsed)
                staged_ms.append(staged)
            page.click("#cancel-builder")
            page.wait_for_selector("#builder-panel", state="detached", timeout=30_000)
    for name, values in (
        ("service turn (memory)", service_ms),
        ("service turn (SQLite cp)", disk_ms),
        ("Enter → first stage", staged_ms),
        ("Enter → preview painted", browser_ms),
    ):
        print(
            f"{name:24s} n={len(values)} p50={percentile(values, 50):7.1f} ms "
            f"p95={percentile(values, 95):7.1f} ms max={max(values):7.1f} ms "
            f"mean={statistics.fmean(values):7.1f} ms"
        )
    ratio = percentile(browser_ms, 95) / percentile(service_ms, 95)
    emit(
        f"Request → builder preview painted in headless Chromium, offline ({len(browser_ms)})",
        f"p50 {percentile(browser_ms, 50):.1f} ms, p95 {percentile(browser_ms, 95):.1f} ms",
        f"service turn p50 {percentile(service_ms, 50):.1f} ms, "
        f"p95 {percentile(service_ms, 95):.1f} ms",
        ratio,
        "p95 ≤ 250 ms",
        percentile(browser_ms, 95) <= 250,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
