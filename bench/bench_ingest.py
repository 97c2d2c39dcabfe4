"""Ingest throughput through POST /v1/events vs raw psycopg INSERTs of the same rows.

Creates and drops a throwaway PostgreSQL database. Run:
    python bench/bench_ingest.py [--admin postgresql://postgres@127.0.0.1:5432/postgres]

Both sides write the same rows into the same tables, one transaction per batch: for every
`claim_filed` event one `claims` row (external_id, customer_id, device_id, status,
loss_type, region, channel, filed_at; id from the sequence) and one `events` row (event_id,
type, occurred_at, received_at, subject_id, JSON payload).

- raw: psycopg `executemany` of pre-built tuples on one open connection (pipeline mode),
  with the foreign keys computed in Python from the fixture layout, no reads at all.
- ingest: POST /v1/events through the ASGI app (JSON in and out; the request bodies are
  encoded before the clock starts, as the raw side's tuples are built before it; the route's
  fast path, `api/events_fast.py`, answers them), then `LiveOps.ingest`: validation, entity
  look-ups (rows locked `FOR UPDATE`), de-duplication on `event_id` (a concurrently stored
  id aborts the batch, which is retried), the claim state machine, the two inserts and the
  COMMIT, the KPI delta, the hot-key snapshot and the publish. A lone creating event (one
  per request) skips the look-ups once its customer and device are known: same handlers on
  cached immutable rows, its two inserts as one statement (its own transaction, sent from
  the event loop: no worker thread), any constraint violation sending it the batch way
  (`command_center/ops/ingest_single.py`, `ingest_loop.py`).

Many short rounds, each timing raw and ingest back to back (fresh ids each time), the order
alternating so neither side always runs first or on the smaller table: on a shared machine
the load changes within seconds, and a ratio is only like-for-like when both sides of it
ran under the same load. The start-up heap is frozen (`gc.freeze`) as the app's lifespan
does, and a full garbage collection runs before every timed section on both sides. The
figures printed are medians over the rounds, with the range of the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import psycopg

from bench.results import emit
from command_center.api.app import build_api
from command_center.db.session import engine_for
from command_center.ops.fixtures import create_reference_data, customer_id, device_id
from command_center.ops.live import start_realtime, stop_realtime
from command_center.settings import Settings

CUSTOMERS = 200
T0 = datetime.now(UTC) - timedelta(hours=1)


def make_events(prefix: str, n: int) -> list[dict]:
    events = []
    for i in range(n):
        c = 1 + i % CUSTOMERS
        events.append(
            {
                "event_id": f"{prefix}-{i}",
                "type": "claim_filed",
                "occurred_at": (T0 + timedelta(milliseconds=i)).isoformat(),
                "claim_id": f"CLM-{prefix}{i}",
                "customer_id": customer_id(c),
                "device_id": device_id(c, 1),
                "loss_type": "theft",
                "channel": "app",
            }
        )
    return events


def raw_rows(events: list[dict]) -> tuple[list[tuple], list[tuple]]:
    claims, rows = [], []
    for e in events:
        c = int(e["customer_id"].split("-")[1])
        claims.append(
            (
                e["claim_id"],
                c,
                2 * c - 1,
                "filed",
                e["loss_type"],
                "West",
                e["channel"],
                e["occurred_at"],
            )
        )
        payload = {k: v for k, v in e.items() if k not in {"event_id", "type", "occurred_at"}}
        rows.append(
            (
                e["event_id"],
                e["type"],
                e["occurred_at"],
                e["occurred_at"],
                e["claim_id"],
                json.dumps(payload),
            )
        )
    return claims, rows


CLAIM_SQL = (
    "INSERT INTO claims (external_id, customer_id, device_id, status, loss_type, region, "
    "channel, filed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
EVENT_SQL = (
    "INSERT INTO events (event_id, type, occurred_at, received_at, subject_id, payload) "
    "VALUES (%s, %s, %s, %s, %s, %s)"
)


def raw_insert(dsn: str, events: list[dict], batch: int) -> float:
    """Events per second for raw INSERTs of the same rows (connection opened untimed)."""
    claims, rows = raw_rows(events)
    with psycopg.connect(dsn) as conn:
        gc.collect()
        started = time.perf_counter()
        for start in range(0, len(events), batch):
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(CLAIM_SQL, claims[start : start + batch])
                cur.executemany(EVENT_SQL, rows[start : start + batch])
        return len(events) / (time.perf_counter() - started)


async def http_ingest(client: httpx.AsyncClient, events: list[dict], batch: int) -> float:
    """Events per second through POST /v1/events (one request per batch)."""
    bodies = [  # encoded untimed, as the raw side's tuples are built untimed
        (json.dumps(chunk[0] if batch == 1 else chunk).encode(), len(chunk))
        for chunk in (events[start : start + batch] for start in range(0, len(events), batch))
    ]
    headers = {"content-type": "application/json"}
    gc.collect()
    started = time.perf_counter()
    for body, size in bodies:
        response = await client.post("/v1/events", content=body, headers=headers)
        assert response.status_code == 202 and response.json()["accepted"] == size, response.text[
            :300
        ]
    return len(events) / (time.perf_counter() - started)


def _line(label: str, http: list[float], raw: list[float], suffix: str = "") -> str:
    ratios = [h / r for h, r in zip(http, raw, strict=True)]
    return (
        f"{label}: {statistics.median(http):9.0f} ev/s  raw {statistics.median(raw):9.0f} ev/s  "
        f"ratio {statistics.median(ratios):.2f} (range {min(ratios):.2f}-{max(ratios):.2f})"
        f"{suffix}"
    )


async def run(admin: str, single: int, batched: int, batch: int, rounds: int) -> None:
    name = f"cc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    dsn = f"{base}/{name}"
    url = dsn.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        engine = engine_for(url)
        create_reference_data(engine, customers=CUSTOMERS, devices_per_customer=2)
        settings = Settings(database_url=url, redis_url="")
        await start_realtime(settings, engine=engine, tick_seconds=3600)
        # As the app's lifespan does once LiveOps is up (command_center/command_center.py):
        # start-up objects stay out of every later collection. Without it each full
        # collection walks the whole loaded app (~100 ms here) and lands in ingest's time.
        gc.freeze()
        # The route gets this process's LiveOps the way the app does (`start_realtime`), not
        # via a dependency override: FastAPI re-inspects overrides on every request and runs a
        # sync one in its thread pool, which the app never pays.
        transport = httpx.ASGITransport(app=build_api())
        client = httpx.AsyncClient(transport=transport, base_url="http://bench")
        raw_single: list[float] = []
        raw_batched: list[float] = []
        http_single: list[float] = []
        http_batched: list[float] = []
        try:
            for n in range(rounds):
                raw_first = n % 2 == 0  # alternate, so neither side always goes first
                for size, per, raw, http in (
                    (1, single, raw_single, http_single),
                    (batch, batched, raw_batched, http_batched),
                ):
                    for side in ("raw", "http") if raw_first else ("http", "raw"):
                        events = make_events(f"{side}{size}r{n}x", per)
                        if side == "raw":
                            raw.append(raw_insert(dsn, events, size))
                        else:
                            http.append(await http_ingest(client, events, size))
        finally:
            await client.aclose()
            await stop_realtime()
        engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for label, http, raw, goal in (
        ("POST /v1/events, one event per request", http_single, raw_single, 0.5),
        (f"POST /v1/events, batches of {batch}", http_batched, raw_batched, 0.8),
    ):
        ratio = statistics.median([h / r for h, r in zip(http, raw, strict=True)])
        emit(
            label + f" (PostgreSQL, median of {rounds} rounds)",
            f"{statistics.median(http):,.0f} ev/s",
            f"raw psycopg INSERT {statistics.median(raw):,.0f} ev/s",
            ratio,
            f"≥ {goal}",
            ratio >= goal,
        )
    print(_line("ingest single  ", http_single, raw_single))
    print(
        _line("ingest batched ", http_batched, raw_batched, f"  (batch {batch}, {rounds} rounds)")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--single", type=int, default=100, help="events per side and round")
    parser.add_argument("--batched", type=int, default=2000, help="events per side and round")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    asyncio.run(run(args.admin, args.single, args.batched, args.batch, args.rounds))


if __name__ == "__main__":
    main()
