"""The production build on real PostgreSQL and Redis (several Reflex workers): every tab sees
every event, whichever worker ingested it, and the badges say which backends are live."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from tests.conftest import PG_ADMIN_URL
from tests.e2e.conftest import launch_server
from tests.e2e.prod_server import ProdServer, free_port, stop_prod_server
from tests.test_bus_redis_recovery import RedisProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def services_server(tmp_path_factory, browser) -> Iterator[ProdServer]:
    """Throwaway PostgreSQL database + a private redis-server (Reflex's own state keys are not
    under our key prefix, so the shared Redis is left alone)."""
    name = f"cc_e2e_{uuid.uuid4().hex[:10]}"
    redis_server = RedisProcess(free_port())
    redis_server.start()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {
        "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
        "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0",
        "REDIS_KEY_PREFIX": "cc:",
        "STATE_MANAGER": "redis",  # Reflex keeps tab state in Redis and runs several workers
    }
    try:
        server = launch_server(tmp_path_factory.mktemp("services"), extra_env=env)
        try:
            yield server
        finally:
            stop_prod_server(server)
    finally:
        redis_server.kill()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _open_claims(page) -> int:
    return int(page.locator("#kpi-open_claims .kpi-value").inner_text().replace(",", ""))


def test_every_tab_sees_every_event_across_workers(services_server, browser) -> None:
    pages = [browser.new_page(viewport={"width": 1400, "height": 900}) for _ in range(3)]
    try:
        for page in pages:
            page.goto(services_server.url + "/")
            page.wait_for_selector("#connection-status[data-status='live']", timeout=60_000)
        assert "postgresql" in pages[0].locator("#mode-database").inner_text()
        assert "redis" in pages[0].locator("#mode-cache").inner_text()
        before = _open_claims(pages[0])
        with httpx.Client(base_url=services_server.url, timeout=10) as http:
            for _ in range(6):  # separate requests: several workers ingest them
                event = {
                    "event_id": f"e2e-{uuid.uuid4().hex}",
                    "type": "claim_filed",
                    "claim_id": f"CLM-RS{uuid.uuid4().hex[:8].upper()}",
                    "customer_id": "CUST-000001",
                    "device_id": "DEV-000001",
                    "loss_type": "water_damage",
                    "channel": "web",
                }
                response = http.post("/v1/events", json=event)
                assert response.status_code == 202 and response.json()["accepted"] == 1
        for page in pages:
            page.wait_for_function(
                "([sel, want]) => document.querySelector(sel)?.innerText.replace(/,/g,'') === want",
                arg=["#kpi-open_claims .kpi-value", str(before + 6)],
                timeout=15_000,
            )
        kpis = {
            httpx.get(services_server.url + "/v1/kpis").json()["kpis"]["open_claims"]
            for _ in range(6)
        }
        assert kpis == {before + 6}  # every worker answers the same number
        pages[0].wait_for_selector(
            "#widget-seed-open-claims-by-loss[data-status='ok']", timeout=60_000
        )
        badge = pages[0].locator("#widget-seed-open-claims-by-loss .source-badge").inner_text()
        assert badge == "PostgreSQL"
    finally:
        for page in pages:
            page.close()


@pytest.fixture(scope="module")
def outage_server(tmp_path_factory, browser) -> Iterator[tuple[ProdServer, RedisProcess]]:
    redis_server = RedisProcess(free_port())
    redis_server.start()
    env = {"REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0"}
    server = launch_server(tmp_path_factory.mktemp("outage"), extra_env=env)
    try:
        yield server, redis_server
    finally:
        stop_prod_server(server)
        redis_server.kill()


def test_redis_outage_shows_reconnecting_keeps_numbers_and_recovers(outage_server, browser):
    server, redis_server = outage_server
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(server.url + "/")
        page.wait_for_selector("#connection-status[data-status='live']", timeout=60_000)
        before = _open_claims(page)
        redis_server.kill()
        page.wait_for_selector("#connection-status[data-status='reconnecting']", timeout=15_000)
        assert _open_claims(page) == before  # the last good numbers stay on screen
        redis_server.start()
        page.wait_for_selector("#connection-status[data-status='live']", timeout=30_000)
        event = {
            "event_id": f"e2e-{uuid.uuid4().hex}",
            "type": "claim_filed",
            "claim_id": f"CLM-RO{uuid.uuid4().hex[:8].upper()}",
            "customer_id": "CUST-000001",
            "device_id": "DEV-000001",
            "loss_type": "theft",
            "channel": "app",
        }
        assert httpx.post(server.url + "/v1/events", json=event, timeout=10).json()["accepted"]
        page.wait_for_function(
            "([sel, want]) => document.querySelector(sel)?.innerText.replace(/,/g,'') === want",
            arg=["#kpi-open_claims .kpi-value", str(before + 1)],
            timeout=15_000,
        )
    finally:
        page.close()
