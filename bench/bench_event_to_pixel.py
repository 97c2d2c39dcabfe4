"""Event → pixel: POST /v1/events → the KPI tile's text changes in headless Chromium.

Starts the production build (docker/entrypoint.sh) on a free port with a temporary data dir,
opens the dashboard, and for each of N events measures, in the browser's own clock, the time
from sending the POST to the mutation of the "Open claims" tile. Baseline in the same run:
the bare HTTP round trip of the same POST (fetch → 202), so the ratio shows what the
pipeline (ingest → hot keys → bus → fan-out → Reflex state → React) adds.

    python bench/bench_event_to_pixel.py [--events 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import chromium, percentile, prod_server
from bench.results import emit

MEASURE_JS = """
async ([index, prefix]) => {
  const tile = document.querySelector('#kpi-open_claims .kpi-value');
  const before = tile.innerText;
  const changed = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      if (tile.innerText !== before) { observer.disconnect(); resolve(performance.now()); }
    });
    observer.observe(tile, {childList: true, subtree: true, characterData: true});
  });
  const body = {event_id: `${prefix}-${index}`, type: 'claim_filed',
                claim_id: `CLM-B${prefix}${index}`, customer_id: 'CUST-000001',
                device_id: 'DEV-000001', loss_type: 'theft', channel: 'web'};
  const started = performance.now();
  const response = await fetch('/v1/events', {method: 'POST',
      headers: {'content-type': 'application/json'}, body: JSON.stringify(body)});
  const acked = performance.now();
  if (response.status !== 202) throw new Error('status ' + response.status);
  const painted = await Promise.race([changed,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no change')), 5000))]);
  return [acked - started, painted - started];
}
"""


def main() -> int:
    """Run the measurement and print p50/p95 for both paths."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    args = parser.parse_args()
    with prod_server() as server, chromium() as browser:
        page = browser.new_page()
        page.goto(server.url + "/")
        page.wait_for_selector("#connection-status[data-status='live']", timeout=60_000)
        http_ms, pixel_ms = [], []
        for index in range(args.events):
            acked, painted = page.evaluate(MEASURE_JS, [index, "bench"])
            http_ms.append(acked)
            pixel_ms.append(painted)
            page.wait_for_timeout(20)
    for name, values in (("POST → 202 (baseline)", http_ms), ("POST → tile changed", pixel_ms)):
        print(
            f"{name:26s} n={len(values)} p50={percentile(values, 50):7.1f} ms "
            f"p95={percentile(values, 95):7.1f} ms max={max(values):7.1f} ms "
            f"mean={statistics.fmean(values):7.1f} ms"
        )
    ratio = percentile(pixel_ms, 95) / percentile(http_ms, 95)
    emit(
        f"POST → tile changed in headless Chromium ({len(pixel_ms)} events)",
        f"p50 {percentile(pixel_ms, 50):.1f} ms, p95 {percentile(pixel_ms, 95):.1f} ms",
        f"POST → 202 p50 {percentile(http_ms, 50):.1f} ms, p95 {percentile(http_ms, 95):.1f} ms",
        ratio,
        "p95 < 250 ms",
        percentile(pixel_ms, 95) < 250,
    )
    print(
        f"event→pixel p95 = {percentile(pixel_ms, 95):.1f} ms (target < 250 ms); "
        f"{ratio:.2f}× the bare POST round trip"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
