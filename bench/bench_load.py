"""Load: many live dashboards on one server process while events arrive at a steady rate.

Starts the production build (docker/entrypoint.sh) on a free port, captures the one frame a
real browser sends on Reflex's socket (the `hydrate_and_load` CONNECT packet, build-specific),
then opens N sessions that speak that same protocol (Engine.IO v4 over a websocket, a fresh
session token each) plus N/10 `/v1/dashboard/stream` wallboards, and posts `claim_filed`
events at RATE/s for DURATION seconds. For every event it measures, per client, the time from
sending the POST to the first delta that lists its `event_id` in the live feed (wallboards:
the first stream item that carries it). Reports p50/p95/p99, messages lost (a client whose
last KPI version is below the server's final version), and the server's CPU and RSS. The
baseline, measured in the same run, is the single-client p95.

    python bench/bench_load.py [--clients 1 50 200] [--rate 50] [--duration 20]
    python bench/bench_load.py --clients 1 500        # any levels; the first is the baseline
    python bench/bench_load.py --workers 2 --state-manager redis   # Redis state, 2 workers

With `--state-manager redis` the server gets REDIS_URL (`--redis-url`, a fresh key prefix per
run, so other users of that Redis are not disturbed), STATE_MANAGER=redis and GRANIAN_WORKERS
(`--workers`, which Reflex's production server reads); CPU and RSS are then the sum over
every process of the server. Each tab also counts the widget deltas it was pushed (`widget
pushes`: the shared widget refresher, command_center/ui/widget_room.py).

Live tabs are rendered by one renderer per process and sent as one room broadcast
(command_center/ui/live_room.py); figures and history: docs/operations.md, bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import chromium, prod_server, start_prod_server
from bench.harness import percentile as pct
from bench.results import emit

DASHBOARD = "command_center___ui___states___dashboard____dashboard_state"
WIDGETS = "command_center___ui___states___widgets____widgets_state"
VIEWS = "views_rx_state_"
DATA_KEYS = ("version_rx_state_", "feed_rx_state_", VIEWS)  # frames without them: not parsed
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def capture_connect_frame(url: str) -> tuple[str, str]:
    """The socket URL path and the CONNECT frame a real browser sends to this build."""
    frames: list[str] = []
    with chromium() as browser:
        page = browser.new_page()

        def route(ws) -> None:  # type: ignore[no-untyped-def]
            server = ws.connect_to_server()
            ws.on_message(lambda m: (frames.append(m), server.send(m)))
            server.on_message(ws.send)

        page.route_web_socket(re.compile(r".*/_event.*"), route)
        page.goto(url + "/")
        page.wait_for_selector("#connection-status[data-status='live']", timeout=60_000)
    connect = next(f for f in frames if isinstance(f, str) and f.startswith("40"))
    return "/_event/", connect


@dataclass
class Client:
    """What one client saw: first-seen time per event id, highest KPI version."""

    seen: dict[str, float] = field(default_factory=dict)
    version: int = 0
    errors: int = 0
    widget_pushes: int = 0  # deltas of the tab's widget views with at least one card loaded


async def reflex_client(base: str, connect_frame: str, client: Client, stop: asyncio.Event):
    token = str(uuid.uuid4())
    ws_url = base.replace("http", "ws", 1) + f"/_event/?token={token}&EIO=4&transport=websocket"
    try:
        async with websockets.connect(ws_url, max_size=None, open_timeout=60) as ws:
            await ws.recv()  # Engine.IO open packet
            await ws.send(connect_frame)
            while not stop.is_set():
                try:
                    frame = await asyncio.wait_for(ws.recv(), 1.0)
                except TimeoutError:
                    continue
                now = time.perf_counter()
                if frame == "2":
                    await ws.send("3")
                    continue
                if not frame.startswith("42") or not any(k in frame for k in DATA_KEYS):
                    continue
                payload = json.loads(frame[frame.index("[") :])[1]
                state = payload.get("delta", {})
                for name, values in state.items():
                    views = values.get(VIEWS) if name.endswith(WIDGETS) else None
                    if views and any(v.get("status") == "ok" for v in views):
                        client.widget_pushes += 1
                    if not name.endswith(DASHBOARD):
                        continue
                    client.version = max(client.version, int(values.get("version_rx_state_", 0)))
                    for entry in values.get("feed_rx_state_", []):
                        client.seen.setdefault(entry.get("id", ""), now)
    except Exception:  # a client that drops counts as an error, not a crash of the bench
        client.errors += 1


async def wallboard(base: str, client: Client, stop: asyncio.Event) -> None:
    url = base.replace("http", "ws", 1) + "/v1/dashboard/stream"
    try:
        async with websockets.connect(url, max_size=None, open_timeout=60) as ws:
            while not stop.is_set():
                try:
                    item = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
                except TimeoutError:
                    continue
                now = time.perf_counter()
                client.version = max(client.version, int(item.get("version") or 0))
                for event in item.get("events") or []:
                    client.seen.setdefault(event.get("event_id", ""), now)
    except Exception:
        client.errors += 1


def process_tree(root: int) -> list[int]:
    """The server's process group members (reflex → its backend worker)."""
    pgid = os.getpgid(root)
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
            except ProcessLookupError:
                continue
    return pids


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / CLOCK_TICKS


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total / 1024


async def post_events(base: str, rate: float, duration: float, sent: dict[str, float]) -> None:
    prefix = uuid.uuid4().hex[:6]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        count = int(rate * duration)
        start = time.perf_counter()
        for n in range(count):
            target = start + n / rate
            await asyncio.sleep(max(0.0, target - time.perf_counter()))
            event_id = f"ld-{prefix}-{n}"
            sent[event_id] = time.perf_counter()
            body = {
                "event_id": event_id,
                "type": "claim_filed",
                "claim_id": f"CLM-LD{prefix.upper()}{n}",
                "customer_id": "CUST-000001",
                "device_id": "DEV-000001",
                "loss_type": "theft",
                "channel": "web",
            }
            response = await http.post("/v1/events", json=body)
            response.raise_for_status()


async def run_level(base: str, frame: str, pids: list[int], clients: int, rate: float,
                    duration: float) -> dict:  # fmt: skip
    stop = asyncio.Event()
    browsers = [Client() for _ in range(clients)]
    boards = [Client() for _ in range(max(1, clients // 10))]
    tasks = [asyncio.create_task(reflex_client(base, frame, c, stop)) for c in browsers]
    tasks += [asyncio.create_task(wallboard(base, c, stop)) for c in boards]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        deadline = time.perf_counter() + 120  # every session hydrated and streaming
        while time.perf_counter() < deadline and any(c.version == 0 for c in browsers + boards):
            await asyncio.sleep(0.2)
        cpu0, wall0 = cpu_seconds(pids), time.perf_counter()
        own0 = time.process_time()
        sent: dict[str, float] = {}
        await post_events(base, rate, duration, sent)
        final = (await http.get("/v1/kpis")).json()["version"]
        settle = time.perf_counter() + 15
        while time.perf_counter() < settle and any(c.version < final for c in browsers + boards):
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - wall0
        cpu = (cpu_seconds(pids) - cpu0) / elapsed
        client_cpu = (time.process_time() - own0) / elapsed  # the load generator itself
        rss = rss_mb(pids)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [
        (seen - sent[eid]) * 1000
        for c in browsers + boards
        for eid, seen in c.seen.items()
        if eid in sent
    ]
    lost = sum(1 for c in browsers + boards if c.version < final)
    return {
        "clients": clients,
        "wallboards": len(boards),
        "events": len(sent),
        "p50_ms": round(pct(latencies, 50), 1),
        "p95_ms": round(pct(latencies, 95), 1),
        "p99_ms": round(pct(latencies, 99), 1),
        "lost_clients": lost,
        "errors": sum(c.errors for c in browsers + boards),
        "server_cpu": round(cpu, 2),
        "client_cpu": round(client_cpu, 2),
        "server_rss_mb": round(rss),
        "widget_pushes_per_tab": round(statistics.fmean(c.widget_pushes for c in browsers), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 50, 200])
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--json", type=Path, default=Path("bench/load.json"))
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--state-manager", choices=["memory", "redis"], default="memory")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    results = []
    env = {"GRANIAN_WORKERS": str(args.workers)}
    if args.state_manager == "redis":
        env |= {
            "REDIS_URL": args.redis_url,
            "STATE_MANAGER": "redis",
            "REDIS_KEY_PREFIX": f"cc-bench-{uuid.uuid4().hex[:8]}:",
        }
    elif args.workers != 1:
        parser.error("several workers need --state-manager redis (tabs' state is per process)")
    with prod_server(partial(start_prod_server, extra_env=env)) as server:
        _path, frame = capture_connect_frame(server.url)
        pids = process_tree(server.process.pid)
        for level in args.clients:
            result = asyncio.run(run_level(server.url, frame, pids, level, args.rate,
                                           args.duration))  # fmt: skip
            results.append(result)
            print(json.dumps(result), flush=True)
    base_p95 = results[0]["p95_ms"] or 1.0
    setup = "" if args.state_manager == "memory" else f", {args.workers} workers, Redis state"
    for r in results:
        emit(
            f"{r['clients']} live tabs + {r['wallboards']} wallboards, {args.rate:g} ev/s, "
            f"POST → feed delta{setup}",
            f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms, "
            f"lost {r['lost_clients']}, server CPU {r['server_cpu']} (load generator "
            f"{r['client_cpu']}), RSS {r['server_rss_mb']} MB",
            f"1 tab p95 {base_p95} ms",
            r["p95_ms"] / base_p95,
            "≤ 3× at 200 tabs, 0 lost",
            (r["p95_ms"] / base_p95 <= 3 and r["lost_clients"] == 0)
            if r["clients"] == 200
            else r["lost_clients"] == 0,
        )
    print(f"\nworkers {args.workers}, state manager {args.state_manager}")
    print(f"\n{'clients':>8} {'p50':>8} {'p95':>8} {'p99':>8} {'×p95(1)':>8} {'lost':>5} "
          f"{'cpu':>5} {'rss MB':>7} {'widget pushes/tab':>18}")  # fmt: skip
    for r in results:
        print(f"{r['clients']:>8} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['p99_ms']:>8} "
              f"{r['p95_ms'] / base_p95:>8.2f} {r['lost_clients']:>5} {r['server_cpu']:>5} "
              f"{r['server_rss_mb']:>7} {r['widget_pushes_per_tab']:>18}")  # fmt: skip
    args.json.write_text(json.dumps({"rate": args.rate, "duration": args.duration,
                                     "workers": args.workers,
                                     "state_manager": args.state_manager,
                                     "results": results}, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
