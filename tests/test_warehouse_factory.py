"""warehouse_for: the right warehouse per routing backend and mode, cached per process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from command_center.settings import get_settings
from command_center.warehouse import factory
from command_center.warehouse.databricks import DatabricksWarehouse
from command_center.warehouse.health import all_warehouse_health, warehouse_health
from command_center.warehouse.local import LocalWarehouse
from command_center.warehouse.postgres import OltpWarehouse


@pytest.fixture(autouse=True)
def _fresh_cache(settings_env) -> Iterator[None]:
    factory.close_all()
    yield
    factory.close_all()


def test_local_when_databricks_not_configured(settings) -> None:
    warehouse = factory.warehouse_for("databricks", settings)
    assert isinstance(warehouse, LocalWarehouse)
    assert warehouse.name == "local" and warehouse.dialect == "duckdb"
    assert factory.warehouse_for("databricks", settings) is warehouse
    assert factory.warehouse_for("databricks") is warehouse  # settings default to get_settings()


def test_databricks_when_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABRICKS_HOST", "https://dbc-1.cloud.databricks.com/")
    monkeypatch.setenv("DATABRICKS_HTTP_PATH", "/sql/1.0/warehouses/w")
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-test")
    monkeypatch.setenv("DATABRICKS_POOL_SIZE", "3")
    get_settings.cache_clear()
    warehouse = factory.warehouse_for("databricks", get_settings())
    assert isinstance(warehouse, DatabricksWarehouse)
    assert warehouse.name == "databricks"
    assert warehouse.host == "dbc-1.cloud.databricks.com"
    assert warehouse.pool.size == 3
    assert warehouse.pool.open_count == 0  # lazy: nothing connected yet


def test_postgres_backend_is_sqlite_in_embedded_mode(settings) -> None:
    warehouse = factory.warehouse_for("postgres", settings)
    assert isinstance(warehouse, OltpWarehouse)
    assert warehouse.name == "sqlite" and warehouse.dialect == "sqlite"


def test_postgres_backend_with_database_url(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_url)
    get_settings.cache_clear()
    warehouse = factory.warehouse_for("postgres", get_settings())
    assert warehouse.name == "postgres" and warehouse.dialect == "postgres"


def test_unknown_backend() -> None:
    with pytest.raises(ValueError):
        factory.build_warehouse("oracle", get_settings())  # type: ignore[arg-type]


async def test_health_helpers(settings) -> None:
    factory.prepare_warehouse(settings)
    assert settings.warehouse_path.exists()
    health = await warehouse_health(settings)
    assert health.ok and health.backend == "local" and health.rows_sampled == 100
    both = await all_warehouse_health(settings)
    assert both["databricks"].ok
    # the embedded OLTP file has no claims table yet: reported, not raised
    assert both["postgres"].backend == "sqlite"
    assert not both["postgres"].ok and both["postgres"].error_kind == "query"
