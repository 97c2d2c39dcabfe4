"""Dashboard with 24 widgets in headless Chromium: first meaningful paint and time until every
widget shows data, cold (nothing cached) and cached; and a drag that reorders the grid: time
from mouse-up to the saved layout.

Baselines in the same run: the page's own DOMContentLoaded (paint), the bare widget-data API
for the same 24 widgets fetched in parallel from the page (data), and one direct
`PUT /v1/dashboards/{id}/layout` round trip (drag; the grid waits 400 ms after a drop before
saving, on purpose, so a burst of moves is one write).

    python bench/bench_dashboard_grid.py [--url http://127.0.0.1:3000] [--widgets 24]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import chromium, prod_server
from bench.results import emit

KINDS = ["bar", "line", "area", "pie", "scatter", "radar", "radial_bar", "composed"]
DIMS = [["region"], ["channel"], ["loss_type"]]

PAINT_JS = """
async (count) => {
  const nav = performance.getEntriesByType('navigation')[0];
  const until = (test) => new Promise((resolve) => {
    const check = () => test() ? resolve(performance.now()) : requestAnimationFrame(check);
    check();
  });
  const painted = await until(() => document.querySelectorAll('.react-grid-item').length >= count);
  const loaded = await until(() => document.querySelectorAll(
    ".widget-card[data-status='ok'], .widget-card[data-status='error']").length >= count);
  return {dcl: nav.domContentLoadedEventEnd, painted, loaded};
}
"""
API_JS = """
async (ids) => {
  const t0 = performance.now();
  await Promise.all(ids.map((id) => fetch(`/v1/widgets/${id}/data`, {method: 'POST'})));
  return performance.now() - t0;
}
"""
SAVE_JS = """
async ([board, before]) => {
  const t0 = performance.now();
  for (;;) {
    const r = await fetch(`/v1/dashboards/${board}/layout`);
    const text = JSON.stringify((await r.json()).layout);
    if (text !== before) return performance.now() - t0;
    await new Promise((res) => setTimeout(res, 10));
  }
}
"""


def _setup(url: str, count: int) -> tuple[int, list[str]]:
    with httpx.Client(base_url=url, timeout=30) as api:
        board = api.post("/v1/dashboards", json={"name": f"Bench {time.time():.0f}"}).json()["id"]
        ids = []
        for i in range(count):
            spec = {
                "type": "chart",
                "title": f"Widget {i}",
                "chart_kind": KINDS[i % len(KINDS)],
                "data_intent": {
                    "metric": "claims_filed",
                    "dimensions": DIMS[i % len(DIMS)],
                    "window_days": 30 + i,  # distinct cache keys: a cold load really is cold
                },
            }
            response = api.post("/v1/widgets", json={"spec": spec, "dashboard_id": board})
            response.raise_for_status()
            ids.append(response.json()["id"])
    return board, ids


def _load(browser, url: str, board: int, count: int) -> dict:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/?dashboard={board}")
    timing = page.evaluate(PAINT_JS, count)
    context.close()
    return timing


def run(url: str, count: int) -> None:
    board, ids = _setup(url, count)
    with chromium() as browser:
        cold = _load(browser, url, board, count)
        cached = _load(browser, url, board, count)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        page.goto(f"{url}/?dashboard={board}")
        page.wait_for_selector(".react-grid-item", timeout=60_000)
        api_ms = page.evaluate(API_JS, ids)
        layout = page.evaluate(f"fetch('/v1/dashboards/{board}/layout').then(r => r.json())")
        before = page.evaluate(
            f"fetch('/v1/dashboards/{board}/layout').then(r => r.json())"
            ".then(j => JSON.stringify(j.layout))"
        )
        handle = page.locator(f"#widget-{ids[0]} .widget-drag-handle")
        box = handle.bounding_box()
        page.mouse.move(box["x"] + 5, box["y"] + 5)
        page.mouse.down()
        page.mouse.move(box["x"] + 40, box["y"] + 40, steps=4)
        page.mouse.move(box["x"] + 700, box["y"] + 450, steps=12)
        page.mouse.up()
        saved = page.evaluate(SAVE_JS, [board, before])
        t0 = time.perf_counter()
        with httpx.Client(base_url=url, timeout=30) as api:
            api.put(f"/v1/dashboards/{board}/layout", json={"layouts": layout["layout"]["layouts"]})
        put_ms = (time.perf_counter() - t0) * 1000
        context.close()
    for name, t in (("cold", cold), ("cached", cached)):
        paint = t["painted"]
        emit(
            f"{count} widgets, {name}: first meaningful paint (grid laid out)",
            f"{paint:.0f} ms",
            f"DOMContentLoaded {t['dcl']:.0f} ms",
            paint / max(t["dcl"], 1),
        )
        emit(
            f"{count} widgets, {name}: every widget shows data",
            f"{t['loaded']:.0f} ms",
            f"bare data API, 24 in parallel {api_ms:.0f} ms",
            t["loaded"] / max(api_ms, 1),
        )
    emit(
        f"drag-reorder of {count} widgets → layout saved (incl. 400 ms debounce)",
        f"{saved:.0f} ms",
        f"direct PUT layout {put_ms:.0f} ms",
        saved / max(put_ms, 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="", help="a running server (default: start one)")
    parser.add_argument("--widgets", type=int, default=24)
    args = parser.parse_args()
    if args.url:
        run(args.url.rstrip("/"), args.widgets)
        return
    with prod_server() as server:
        run(server.url, args.widgets)


if __name__ == "__main__":
    main()
