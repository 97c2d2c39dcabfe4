"""One warehouse per backend per process, chosen from settings."""

from __future__ import annotations

import threading
from typing import Literal

from command_center.settings import Settings, get_settings
from command_center.warehouse.base import Warehouse

Backend = Literal["postgres", "databricks"]

_lock = threading.Lock()
_cache: dict[tuple[str, ...], Warehouse] = {}


def _cache_key(backend: Backend, settings: Settings) -> tuple[str, ...]:
    if backend == "postgres":
        return ("postgres", settings.effective_database_url)
    if settings.warehouse_mode == "databricks":
        return (
            "databricks",
            settings.databricks_host,
            settings.databricks_http_path,
            str(hash(settings.databricks_token)),
            str(settings.databricks_pool_size),
            str(settings.databricks_timeout_seconds),
        )
    return ("local", str(settings.warehouse_path), str(settings.warehouse_rows))


def build_warehouse(backend: Backend, settings: Settings) -> Warehouse:
    """A new (uncached) warehouse for `backend` as configured by `settings`."""
    if backend == "postgres":
        from command_center.warehouse.postgres import OltpWarehouse

        return OltpWarehouse(
            settings.effective_database_url, timeout=settings.databricks_timeout_seconds
        )
    if backend != "databricks":
        raise ValueError(f"unknown backend {backend!r}")
    if settings.warehouse_mode == "databricks":
        from command_center.warehouse.databricks import DatabricksWarehouse

        return DatabricksWarehouse(
            settings.databricks_host,
            settings.databricks_http_path,
            settings.databricks_token,
            pool_size=settings.databricks_pool_size,
            timeout=settings.databricks_timeout_seconds,
        )
    from command_center.warehouse.local import LocalWarehouse

    return LocalWarehouse(settings)


def warehouse_for(backend: Backend, settings: Settings | None = None) -> Warehouse:
    """The process-wide warehouse serving metrics routed to `backend`.

    "databricks" is a `DatabricksWarehouse` when Databricks is configured, otherwise the
    `LocalWarehouse` (whose `name` is "local"); "postgres" is the OLTP database (PostgreSQL,
    or SQLite in embedded mode, `name` "sqlite"). Cached per backend and configuration.
    """
    settings = settings or get_settings()
    key = _cache_key(backend, settings)
    with _lock:
        warehouse = _cache.get(key)
        if warehouse is None:
            warehouse = build_warehouse(backend, settings)
            _cache[key] = warehouse
        return warehouse


def close_all() -> None:
    """Close and forget every cached warehouse (shutdown, tests)."""
    with _lock:
        warehouses = list(_cache.values())
        _cache.clear()
    for warehouse in warehouses:
        warehouse.close()


def prepare_warehouse(settings: Settings | None = None) -> Warehouse:
    """Blocking start-up step: build/open the local DuckDB file now, not on the first query.

    A no-op beyond construction for Databricks (connections are opened lazily).
    """
    warehouse = warehouse_for("databricks", settings)
    prepare = getattr(warehouse, "prepare", None)
    if callable(prepare):
        prepare()
    return warehouse
