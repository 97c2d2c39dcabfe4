"""Shared fixtures: throwaway PostgreSQL databases, namespaced Redis, isolated settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from command_center.settings import Settings, get_settings
from tests.fake_bedrock import FakeBedrock

PG_ADMIN_URL = os.environ.get("CC_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_TEST_URL = os.environ.get("CC_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("CC_REQUIRE_SERVICES") == "1"


def _unavailable(what: str, exc: Exception) -> None:
    message = f"{what} not reachable: {exc}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (CC_REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database (SQLAlchemy URL), dropped after the test."""
    import psycopg

    name = f"cc_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except Exception as exc:
        _unavailable("PostgreSQL", exc)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        from command_center.db import session as session_module

        for url in list(session_module._known_urls):
            if name in url:
                session_module.engine_for(url).dispose()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The shared Redis server's URL; keys under the test's prefix are deleted afterwards."""
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:
        _unavailable("Redis", exc)
    yield REDIS_TEST_URL
    client.close()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A unique key/channel prefix; every key under it is deleted after the test."""
    import redis

    prefix = f"cctest:{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(autouse=True)
def _open_demo_unless_asked(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Tests run the labelled open demo (no sign-in) unless they set AUTH_MODE themselves
    (tests/security does)."""
    for name in list(os.environ):
        if name.startswith(("AUTH_", "OIDC_", "ADMIN_")):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AUTH_MODE", "open")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# Settings a test never inherits from the machine: services, credentials, tokens, tracing.
ISOLATED_PREFIXES = ("DATABASE_", "REDIS_", "DATABRICKS_", "BUILDER_", "LANGFUSE_", "API_")


def isolate_settings(
    patch: pytest.MonkeyPatch, root: Path, *, rows: int = 5000, customers: int = 50
) -> Path:
    """Data under `root` (also the working directory: no .env), none of `ISOLATED_PREFIXES`
    from the environment; returns the data dir. For fixtures of any scope."""
    for name in list(os.environ):
        if name.startswith(ISOLATED_PREFIXES):
            patch.delenv(name, raising=False)
    patch.setenv("DATA_DIR", str(root / "data"))
    patch.setenv("WAREHOUSE_ROWS", str(rows))
    patch.setenv("SEED_CUSTOMERS", str(customers))
    patch.chdir(root)
    get_settings.cache_clear()
    return root / "data"


@pytest.fixture
def settings_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Isolate settings: data dir in tmp, no Redis/Postgres/Databricks unless a test sets them."""
    yield isolate_settings(monkeypatch, tmp_path)
    get_settings.cache_clear()


@pytest.fixture
def settings(settings_env: Path) -> Settings:
    """Settings isolated to a temporary data dir."""
    return get_settings()


@pytest.fixture
def fake() -> Iterator[FakeBedrock]:
    """A scripted local Bedrock Converse endpoint (see tests/fake_bedrock.py)."""
    server = FakeBedrock().start()
    yield server
    server.stop()


@pytest.fixture
def catalog_db(settings: Settings) -> Any:
    """The settings' database, migrated, with the metric catalog seeded."""
    from command_center.db.migrate import upgrade_to_head
    from command_center.db.seed import seed_catalog
    from command_center.db.session import engine_for

    upgrade_to_head(settings.effective_database_url)
    engine = engine_for(settings.effective_database_url)
    seed_catalog(engine)
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_engine(request: pytest.FixtureRequest, settings: Settings) -> Any:
    """A migrated database with the metric catalog seeded: SQLite, then PostgreSQL."""
    from command_center.db.migrate import upgrade_to_head
    from command_center.db.seed import seed_catalog
    from command_center.db.session import engine_for

    url = (
        settings.effective_database_url
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    upgrade_to_head(url)
    engine = engine_for(url)
    seed_catalog(engine)
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, settings: Settings) -> Engine:
    """The OLTP engine on embedded SQLite, then on a throwaway PostgreSQL database, each with
    reference data (3 customers × 2 devices, `ops/fixtures.py`): the ingest tests run on both.
    A module that defines its own `engine` fixture uses that one instead."""
    from command_center.db.session import engine_for, get_engine
    from command_center.ops.fixtures import create_reference_data

    eng = (
        get_engine() if request.param == "sqlite" else engine_for(request.getfixturevalue("pg_url"))
    )
    create_reference_data(eng, customers=3, devices_per_customer=2)
    return eng


# Browser tests that start a production server of their own. Every server builds into the
# shared `.web/` (whose env.json names the backend port), so they run after all the tests of
# the session-wide server, whose frontend they overwrite.
OWN_SERVER_FIXTURES = {
    "live_server",
    "services_server",
    "outage_server",
    "warehouse_down_server",
    "auth_server",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run browser tests last (Playwright's sync API keeps an event loop running in the main
    thread for the whole session, which asyncio tests collected after it cannot share), and
    among them the ones with their own server after the ones on the session server."""

    def order(item: pytest.Item) -> tuple[bool, bool]:
        browser = "/e2e/" in str(item.path).replace("\\", "/")
        own_server = bool(OWN_SERVER_FIXTURES & set(getattr(item, "fixturenames", ())))
        return browser, own_server

    items.sort(key=order)
