"""A realistic random event stream against existing entities.

In-process (the UI toggle): `sim = Simulator(live, rate=5); sim.start(); …; await sim.stop()`
From a shell: `python -m command_center.ops.simulator --url http://localhost:3000 --rate 5`
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from command_center.db.models import Claim, Customer, Device, IssueSession, utcnow
from command_center.ops.state_machine import CLAIM_OPEN_STATES, SESSION_ACTIVE_STATES

log = logging.getLogger(__name__)
LOSS_TYPES = ["cracked_screen", "water_damage", "theft", "loss", "battery", "malfunction"]
CHANNELS = ["app", "web", "phone", "retail"]
TOPICS = ["claim_status", "device_setup", "billing", "coverage_question", "repair_scheduling"]
# claim status -> [(event type, weight)]
CLAIM_STEPS = {
    "filed": [("claim_review_started", 6), ("claim_approved", 1), ("claim_cancelled", 1)],
    "in_review": [("claim_approved", 7), ("claim_denied", 2), ("claim_cancelled", 1)],
    "approved": [("claim_fulfilled", 9), ("claim_cancelled", 1)],
}
SESSION_STEPS = {
    "open": [("session_resolved", 4), ("session_escalated", 1)],
    "escalated": [("session_resolved", 1)],
}


@dataclass
class World:
    """What the generator knows: customers with devices, and open claims/sessions."""

    devices: dict[str, list[str]]  # customer external id -> device external ids
    claims: dict[str, str] = field(default_factory=dict)  # open claim -> status
    sessions: dict[str, str] = field(default_factory=dict)  # active session -> status


def load_world(engine: Engine, customers: int = 500, seed: int | None = None) -> World:
    """Read some customers with their devices, plus open claims and active sessions."""
    cu, dv, cl, ss = Customer.__table__, Device.__table__, Claim.__table__, IssueSession.__table__
    with engine.connect() as conn:
        ids = list(conn.scalars(select(cu.c.id).order_by(cu.c.id).limit(customers)))
        rows = conn.execute(
            select(cu.c.external_id, dv.c.external_id)
            .join(dv, dv.c.customer_id == cu.c.id)
            .where(cu.c.id.in_(ids))
        )
        devices: dict[str, list[str]] = {}
        for customer, device in rows:
            devices.setdefault(customer, []).append(device)
        claims = dict(
            conn.execute(
                select(cl.c.external_id, cl.c.status)
                .where(cl.c.status.in_(sorted(CLAIM_OPEN_STATES)))
                .limit(2000)
            ).all()
        )
        sessions = dict(
            conn.execute(
                select(ss.c.external_id, ss.c.status)
                .where(ss.c.status.in_(sorted(SESSION_ACTIVE_STATES)))
                .limit(2000)
            ).all()
        )
    if not devices:
        raise RuntimeError("no customers with devices in the database: seed it first")
    return World(devices, claims, sessions)


class EventGenerator:
    """Produces plausible events (mostly legal transitions of known claims and sessions)."""

    def __init__(self, world: World, rng: random.Random | None = None) -> None:
        self.world = world
        self.rng = rng or random.Random()

    def _base(self, type_: str) -> dict[str, Any]:
        return {
            "event_id": f"sim-{uuid.uuid4().hex}",
            "type": type_,
            "occurred_at": utcnow().isoformat(),
        }

    def next_event(self) -> dict[str, Any]:
        """The next event; applies it to the generator's own view of the world."""
        rng, world = self.rng, self.world
        roll = rng.random()
        if world.claims and roll < 0.45:
            claim = rng.choice(list(world.claims))
            steps = CLAIM_STEPS[world.claims[claim]]
            kind = rng.choices([s for s, _ in steps], weights=[w for _, w in steps])[0]
            event = {**self._base(kind), "claim_id": claim}
            if kind == "claim_fulfilled":
                event["payout_amount"] = round(rng.uniform(49, 1_199), 2)
            status = {"claim_review_started": "in_review", "claim_approved": "approved"}.get(kind)
            if status:
                world.claims[claim] = status
            else:
                del world.claims[claim]
            return event
        if world.sessions and roll < 0.6:
            session = rng.choice(list(world.sessions))
            steps = SESSION_STEPS[world.sessions[session]]
            kind = rng.choices([s for s, _ in steps], weights=[w for _, w in steps])[0]
            if kind == "session_escalated":
                world.sessions[session] = "escalated"
            else:
                del world.sessions[session]
            return {**self._base(kind), "session_id": session}
        customer = rng.choice(list(world.devices))
        device = rng.choice(world.devices[customer])
        if roll < 0.85:
            claim = f"CLM-S{uuid.uuid4().hex[:12].upper()}"
            world.claims[claim] = "filed"
            return {
                **self._base("claim_filed"),
                "claim_id": claim,
                "customer_id": customer,
                "device_id": device,
                "loss_type": rng.choice(LOSS_TYPES),
                "channel": rng.choices(CHANNELS, weights=[45, 25, 20, 10])[0],
            }
        session = f"SES-S{uuid.uuid4().hex[:12].upper()}"
        world.sessions[session] = "open"
        return {
            **self._base("session_opened"),
            "session_id": session,
            "customer_id": customer,
            "device_id": device,
            "channel": rng.choice(CHANNELS),
            "topic": rng.choice(TOPICS),
        }


class Simulator:
    """An in-process background task posting generated events through LiveOps."""

    def __init__(self, live: Any, rate: float | None = None) -> None:
        from command_center.settings import get_settings

        self.live = live
        self.rate = rate or get_settings().simulator_rate
        self.sent = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """True while the task runs."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start posting events (no-op when already running)."""
        if not self.running:
            self._task = asyncio.create_task(self._run(), name="ops-simulator")

    async def stop(self) -> None:
        """Stop posting events."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        world = await asyncio.to_thread(load_world, self.live.engine)
        generator = EventGenerator(world)
        while True:
            try:
                await self.live.ingest([generator.next_event()])
                self.sent += 1
            except Exception as exc:
                log.warning("simulator event failed: %s", exc)
            await asyncio.sleep(1.0 / self.rate)


async def post_events(url: str, rate: float, token: str = "", count: int = 0) -> int:
    """Post generated events to `{url}/v1/events` at `rate`/s; returns how many were sent."""
    import httpx

    from command_center.db.session import get_engine

    generator = EventGenerator(await asyncio.to_thread(load_world, get_engine()))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    sent = 0
    async with httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=10) as http:
        while not count or sent < count:
            response = await http.post("/v1/events", json=generator.next_event())
            if response.status_code != 202:
                log.warning("POST /v1/events → %s %s", response.status_code, response.text[:200])
            elif response.json()["rejected"]:
                log.info("rejected: %s", response.json()["rejected"][0]["problem"]["detail"])
            sent += 1
            await asyncio.sleep(1.0 / rate)
    return sent


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    from command_center.settings import die_on_bad_settings

    settings = die_on_bad_settings()
    parser = argparse.ArgumentParser(description="Post a random operational event stream.")
    parser.add_argument("--url", default="http://localhost:3000")
    parser.add_argument("--rate", type=float, default=settings.simulator_rate, help="events/s")
    parser.add_argument("--count", type=int, default=0, help="stop after N events (0 = never)")
    parser.add_argument("--token", default=settings.api_token)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        sent = asyncio.run(post_events(args.url, args.rate, args.token, args.count))
        print(f"simulator: sent {sent} events")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
