"""Apply Alembic migrations programmatically (the app does this at start)."""

from __future__ import annotations

from alembic.config import Config
from sqlalchemy import inspect, text

from alembic import command
from command_center.db.session import engine_for
from command_center.settings import PROJECT_ROOT, get_settings

_PG_MIGRATION_LOCK = 74_210_001


def alembic_config() -> Config:
    """The project's Alembic config, independent of the current directory."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    return config


def upgrade_to_head(url: str | None = None) -> None:
    """Bring the database at `url` (default: the configured one) to the latest revision.

    On PostgreSQL an advisory lock serialises concurrent starters (several workers).
    """
    url = url or get_settings().effective_database_url
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = engine_for(url)
    config = alembic_config()
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        try:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_MIGRATION_LOCK})
                connection.commit()


def current_tables(url: str) -> set[str]:
    """Names of the tables present in the database at `url`."""
    return set(inspect(engine_for(url)).get_table_names())
