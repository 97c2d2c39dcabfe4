"""Ingest throughput through POST /v1/events vs raw psycopg INSERTs of the same rows.

Creates and drops a throwaway PostgreSQL database. Run:
    python bench/bench_ingest.py [--admin postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import psycopg

from command_center.api.app import build_api
from command_center.db.session import engine_for
from command_center.ops.fixtures import create_reference_data, customer_id, device_id
from command_center.ops.live import LiveOps, get_live_ops
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
    claims, rows = raw_rows(events)
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        for start in range(0, len(events), batch):
            with conn.transaction(), conn.cursor() as cur:
                cur.executemany(CLAIM_SQL, claims[start : start + batch])
                cur.executemany(EVENT_SQL, rows[start : start + batch])
    return len(events) / (time.perf_counter() - started)


async def http_ingest(live: LiveOps, events: list[dict], batch: int) -> float:
    api = build_api()
    api.dependency_overrides[get_live_ops] = lambda: live
    transport = httpx.ASGITransport(app=api)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        started = time.perf_counter()
        for start in range(0, len(events), batch):
            chunk = events[start : start + batch]
            body = chunk[0] if batch == 1 else chunk
            response = await client.post("/v1/events", json=body)
            assert response.status_code == 202 and response.json()["accepted"] == len(chunk), (
                response.text[:300]
            )
        return len(events) / (time.perf_counter() - started)


async def run(admin: str, single: int, batched: int, batch: int) -> None:
    name = f"cc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin.rsplit("/", 1)[0]
    dsn = f"{base}/{name}"
    url = dsn.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        engine = engine_for(url)
        create_reference_data(engine, customers=CUSTOMERS, devices_per_customer=2)
        live = LiveOps(Settings(database_url=url, redis_url=""), engine=engine, tick_seconds=3600)
        await live.start()
        try:
            raw_single = raw_insert(dsn, make_events("rs", single), 1)
            raw_batched = raw_insert(dsn, make_events("rb", batched), batch)
            http_single = await http_ingest(live, make_events("hs", single), 1)
            http_batched = await http_ingest(live, make_events("hb", batched), batch)
        finally:
            await live.stop()
        engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(
        f"ingest single  : {http_single:9.0f} ev/s  raw {raw_single:9.0f} ev/s  "
        f"ratio {http_single / raw_single:.2f}"
    )
    print(
        f"ingest batched : {http_batched:9.0f} ev/s  raw {raw_batched:9.0f} ev/s  "
        f"ratio {http_batched / raw_batched:.2f}  (batch {batch})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--single", type=int, default=300)
    parser.add_argument("--batched", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(run(args.admin, args.single, args.batched, args.batch))


if __name__ == "__main__":
    main()
