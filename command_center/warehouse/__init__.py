"""Warehouses: local DuckDB, Databricks, PostgreSQL behind one interface."""
