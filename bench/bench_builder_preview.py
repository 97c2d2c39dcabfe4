"""Request → preview painted in headless Chromium (offline builder), beside the service turn.

Starts the production build (docker/entrypoint.sh) on a free port with a temporary data dir,
opens the builder and, for each of N requests (labelled requests that build a preview without
a question), measures in the browser's own clock the time from the Enter keydown in the
composer to: the request echoed in the chat (the first state push: the Reflex event round
trip), the arrival of the websocket message that brings the preview, the preview card in the
DOM and painted (next animation frame; arrival → paint is React's render), and the card
showing real rows (its source badge is no longer the sample rows' "preview"). It also counts
the websocket messages the page receives per turn (≈ state pushes). Between requests the builder
is cancelled and reopened (outside the measurement). Baselines in the same run: the
service-level clarifier turn for the same requests (`start_clarification` → `result`, in
process; in-memory checkpointer, and the app's SQLite checkpointer on disk), so the ratio
shows what the UI path adds (Reflex event round trip, state pushes, React render).

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

FRAMES_JS = """
(() => {
  window.__frames = [];  // arrival time of every websocket message (state pushes)
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => window.__frames.push(performance.now()));
    }
  };
})();
"""
ARM_JS = """
() => {
  window.__t0 = null;
  const when = (test, settle) => new Promise((resolve) => {
    const check = () => {
      if (!test()) return false;
      observer.disconnect();
      settle ? requestAnimationFrame(() => resolve(performance.now())) : resolve(performance.now());
      return true;
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, {childList: true, subtree: true, characterData: true});
  });
  window.__echoed = when(() => document.querySelector('#builder-panel .builder-msg-user'), false);
  window.__painted = when(() => document.querySelector('#builder-preview .widget-card'), true);
  window.__real = when(() => {
    const badge = document.querySelector('#builder-preview .source-badge');
    return badge && badge.innerText.trim().toLowerCase() !== 'preview';
  }, true);
  document.querySelector('#builder-input').addEventListener('keydown', (event) => {
    if (event.key === 'Enter') window.__t0 = performance.now();
  }, {once: true, capture: true});
}
"""
WAIT_JS = """
async () => {
  const late = (ms) => new Promise((_, reject) =>
      setTimeout(() => reject(new Error('no preview')), ms));
  const painted = await Promise.race([window.__painted, late(15000)]);
  const real = await Promise.race([window.__real, late(15000)]);
  const echoed = await window.__echoed;
  const t0 = window.__t0;
  const turn = window.__frames.filter((t) => t >= t0);
  const arrived = Math.max(t0, ...turn.filter((t) => t <= painted));
  return [echoed - t0, arrived - t0, painted - t0, real - t0, turn.length];
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
    marks: dict[str, list[float]] = {k: [] for k in ("echoed", "push", "painted", "real", "frames")}
    with prod_server() as server, chromium() as browser:
        page = browser.new_page()
        page.add_init_script(FRAMES_JS)
        page.goto(server.url + "/")
        page.wait_for_selector(".kpi-tile", timeout=60_000)
        for index, text in enumerate([requests[0], *requests]):  # first = warm-up
            page.click("#add-widget")
            page.wait_for_selector("#builder-preview-empty", timeout=30_000)
            page.evaluate(ARM_JS)
            box = page.locator("#builder-input")
            box.fill(text)
            box.press("Enter")
            figures = page.evaluate(WAIT_JS)
            if index:
                for key, value in zip(marks, figures, strict=True):
                    marks[key].append(value)
            page.click("#cancel-builder")
            page.wait_for_selector("#builder-panel", state="detached", timeout=30_000)
    browser_ms = marks["painted"]
    for name, values in (
        ("service turn (memory)", service_ms),
        ("service turn (SQLite cp)", disk_ms),
        ("Enter → request echoed", marks["echoed"]),
        ("Enter → preview pushed", marks["push"]),
        ("push → preview painted", [p - a for p, a in zip(browser_ms, marks["push"], strict=True)]),
        ("Enter → preview painted", browser_ms),
        ("Enter → real rows shown", marks["real"]),
    ):
        print(
            f"{name:24s} n={len(values)} p50={percentile(values, 50):7.1f} ms "
            f"p95={percentile(values, 95):7.1f} ms max={max(values):7.1f} ms "
            f"mean={statistics.fmean(values):7.1f} ms"
        )
    print(f"websocket messages per turn (≈ state pushes): {statistics.median(marks['frames'])}")
    ratio = percentile(browser_ms, 95) / percentile(service_ms, 95)
    real = marks["real"]
    emit(
        f"Request → builder preview painted in headless Chromium, offline ({len(browser_ms)})",
        f"p50 {percentile(browser_ms, 50):.1f} ms, p95 {percentile(browser_ms, 95):.1f} ms "
        f"(real rows p50 {percentile(real, 50):.1f} ms, p95 {percentile(real, 95):.1f} ms)",
        f"service turn p50 {percentile(service_ms, 50):.1f} ms, "
        f"p95 {percentile(service_ms, 95):.1f} ms",
        ratio,
        "p95 ≤ 250 ms",
        percentile(browser_ms, 95) <= 250,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
