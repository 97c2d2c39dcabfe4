"""Warehouses: local DuckDB, Databricks, PostgreSQL/SQLite behind one interface.

Callers use `warehouse_for(backend)` and `await warehouse.query(sql)`; failures are typed
`WarehouseError`s (kinds: timeout, auth, unavailable, query). Driver modules are imported
lazily, so importing this package stays cheap.
"""

from command_center.warehouse.base import HealthResult, QueryResult, Warehouse
from command_center.warehouse.errors import (
    WarehouseAuthError,
    WarehouseError,
    WarehouseQueryError,
    WarehouseTimeout,
    WarehouseUnavailable,
    classify_error,
)
from command_center.warehouse.factory import close_all, prepare_warehouse, warehouse_for

__all__ = [
    "HealthResult",
    "QueryResult",
    "Warehouse",
    "WarehouseAuthError",
    "WarehouseError",
    "WarehouseQueryError",
    "WarehouseTimeout",
    "WarehouseUnavailable",
    "classify_error",
    "close_all",
    "prepare_warehouse",
    "warehouse_for",
]
