"""PostgreSQL stopped and restarted under a steady ingest (issue 12).

While the database is down `/v1/events` answers 503 with a problem document and
`Retry-After`; afterwards every event answered 2xx is stored exactly once, the live KPIs
equal a full recompute, and nothing needed a restart.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from command_center.db.session import get_engine
from command_center.ops.simulator import EventGenerator, load_world
from command_center.settings import get_settings
from tests.api_helpers import assert_problem, prepared_client
from tests.resilience.servers import PrivatePostgres, private_postgres


@pytest.fixture
def outage_pg() -> Iterator[PrivatePostgres]:
    with private_postgres() as server:
        yield server


@pytest.fixture
def client(
    settings_env: Path, outage_pg: PrivatePostgres, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setenv("DATABASE_URL", outage_pg.url)
    get_settings.cache_clear()
    yield from prepared_client()


class SteadyIngest(threading.Thread):
    """Posts small batches in a loop and records every answer, until told to stop."""

    def __init__(self, client: TestClient, generator: EventGenerator) -> None:
        super().__init__(daemon=True)
        self.client, self.generator = client, generator
        self.accepted_ids: list[str] = []
        self.statuses: list[int] = []
        self.unavailable = threading.Event()
        self.recovered = threading.Event()
        self.halt = threading.Event()
        self.problems: list[dict] = []

    def run(self) -> None:
        while not self.halt.is_set():
            batch = [self.generator.next_event() for _ in range(5)]
            response = self.client.post("/v1/events", json=batch)
            self.statuses.append(response.status_code)
            if response.status_code == 202:
                body = response.json()
                assert body["accepted"] + body["duplicates"] + len(body["rejected"]) == 5
                rejected = {item["index"] for item in body["rejected"]}
                self.accepted_ids += [
                    e["event_id"] for i, e in enumerate(batch) if i not in rejected
                ]
                if self.unavailable.is_set():
                    self.recovered.set()
            else:
                self.problems.append(
                    {
                        "status": response.status_code,
                        "retry": response.headers.get("retry-after"),
                        "type": response.headers.get("content-type"),
                        "body": response.json(),
                    }
                )
                self.unavailable.set()


def test_ingest_survives_a_postgres_restart(client: TestClient, outage_pg: PrivatePostgres) -> None:
    generator = EventGenerator(load_world(get_engine(), customers=50), random.Random(7))
    for _ in range(3):  # steady state before the outage
        assert client.post("/v1/events", json=[generator.next_event()]).status_code == 202

    poster = SteadyIngest(client, generator)
    poster.start()
    outage_pg.stop("fast")
    assert poster.unavailable.wait(60), "no request failed while PostgreSQL was down"
    outage_pg.start()
    recovered = poster.recovered.wait(60)
    poster.halt.set()
    poster.join(60)
    assert recovered, f"ingest did not recover: {poster.problems[-3:]}"

    assert poster.problems, "expected answers while the database was down"
    for problem in poster.problems:
        assert problem["status"] == 503, problem
        assert problem["type"].startswith("application/problem+json")
        assert problem["retry"] and int(problem["retry"]) > 0
        assert problem["body"]["status"] == 503 and problem["body"]["title"]

    # Every 2xx event is stored exactly once.
    with get_engine().connect() as conn:
        stored = dict(
            conn.execute(
                text(
                    "SELECT event_id, COUNT(*) FROM events WHERE event_id = ANY(:ids) "
                    "GROUP BY event_id"
                ),
                {"ids": poster.accepted_ids},
            ).all()
        )
    assert set(stored) == set(poster.accepted_ids)
    assert set(stored.values()) == {1}

    # The live KPIs equal a full recompute from the database: nothing lost or counted twice.
    report = client.post("/v1/kpis/reconcile")
    assert report.status_code == 200, report.text
    assert report.json()["mismatches"] == {}


def test_requests_during_an_outage_are_problem_documents(
    client: TestClient, outage_pg: PrivatePostgres
) -> None:
    outage_pg.stop("immediate")
    try:
        response = client.post(
            "/v1/events",
            json={
                "event_id": "outage-1",
                "type": "session_opened",
                "occurred_at": "2026-01-01T00:00:00Z",
                "session_id": "SES-1",
                "customer_id": "CUST-000001",
                "channel": "app",
                "topic": "billing",
            },
        )
        body = assert_problem(response, 503)
        assert response.headers["retry-after"] == str(body["retry_after"])
        widgets = client.get("/v1/widgets")
        assert_problem(widgets, 503)
    finally:
        outage_pg.start()
    assert client.get("/v1/widgets").status_code == 200
