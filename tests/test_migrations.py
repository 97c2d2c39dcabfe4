"""Alembic migrations create the schema on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from command_center.db.migrate import upgrade_to_head
from command_center.db.session import engine_for

TABLES = {
    "customers",
    "devices",
    "plans",
    "issue_sessions",
    "claims",
    "events",
    "widgets",
    "metrics_catalog",
    "dashboard_layouts",
    "sql_generation_log",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("pg_url")


def test_upgrade_creates_schema_with_constraints(database_url) -> None:
    upgrade_to_head(database_url)
    upgrade_to_head(database_url)  # idempotent: nothing pending the second time
    inspector = inspect(engine_for(database_url))
    assert set(inspector.get_table_names()) >= TABLES
    unique_event_ids = [c["column_names"] for c in inspector.get_unique_constraints("events")] + [
        i["column_names"] for i in inspector.get_indexes("events") if i["unique"]
    ]
    assert ["event_id"] in unique_event_ids
    claim_fks = {fk["referred_table"] for fk in inspector.get_foreign_keys("claims")}
    assert {"customers", "devices"} <= claim_fks
    claim_indexes = {tuple(i["column_names"]) for i in inspector.get_indexes("claims")}
    assert ("status", "filed_at") in claim_indexes
    with engine_for(database_url).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_migrations_match_models(database_url) -> None:
    import command_center.db.models  # noqa: F401

    upgrade_to_head(database_url)
    with engine_for(database_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], f"models changed without a migration: {diff}"


def test_duplicate_event_id_rejected_by_schema(database_url) -> None:
    upgrade_to_head(database_url)
    insert = text(
        "INSERT INTO events (event_id, type, occurred_at, received_at, subject_id, payload) "
        "VALUES ('e-1', 'claim_filed', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'CLM-1', '{}')"
    )
    with engine_for(database_url).begin() as conn:
        conn.execute(insert)
    with pytest.raises(Exception, match=r"(?i)unique"), engine_for(database_url).begin() as conn:
        conn.execute(insert)


def test_reflex_db_migrate_applies_the_same_migrations(tmp_path) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": ""}
    result = subprocess.run(
        [sys.executable, "-m", "reflex", "db", "migrate"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    url = f"sqlite:///{tmp_path / 'data' / 'command_center.db'}"
    assert set(inspect(engine_for(url)).get_table_names()) >= TABLES
