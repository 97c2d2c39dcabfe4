"""The same batch posted concurrently by several clients is applied exactly once (issue 12)."""

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
from tests.api_helpers import prepared_client

CLIENTS = 6


@pytest.fixture
def client(
    settings_env: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    monkeypatch.setenv("DATABASE_URL", pg_url)
    get_settings.cache_clear()
    yield from prepared_client()


def test_identical_batches_from_several_clients_apply_once(client: TestClient) -> None:
    generator = EventGenerator(load_world(get_engine(), customers=50), random.Random(11))
    batch = [generator.next_event() for _ in range(40)]
    before = client.get("/v1/kpis").json()["version"]
    barrier = threading.Barrier(CLIENTS)
    answers: list[dict] = []

    def post() -> None:
        barrier.wait()
        response = client.post("/v1/events", json=batch)
        assert response.status_code == 202, response.text
        answers.append(response.json())

    threads = [threading.Thread(target=post) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(answers) == CLIENTS
    rejected = {item["index"] for answer in answers for item in answer["rejected"]}
    valid = len(batch) - len(rejected)
    assert valid > 30, answers[0]["rejected"][:3]
    assert sum(a["accepted"] for a in answers) == valid
    assert sum(a["duplicates"] for a in answers) == valid * (CLIENTS - 1)

    ids = [e["event_id"] for e in batch]
    with get_engine().connect() as conn:
        counts = conn.execute(
            text(
                "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM events WHERE event_id = ANY(:ids)"
            ),
            {"ids": ids},
        ).one()
    assert tuple(counts) == (valid, valid)
    assert client.get("/v1/kpis").json()["version"] > before
    report = client.post("/v1/kpis/reconcile").json()
    assert report["mismatches"] == {}
