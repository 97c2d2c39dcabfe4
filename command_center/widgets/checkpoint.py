"""Durable checkpointer for the clarifier: SQLite file (embedded) or PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from command_center.settings import Settings, get_settings


@dataclass
class Checkpointer:
    """A LangGraph saver plus the function that releases its connection(s)."""

    saver: Any
    close: Callable[[], None]
    location: str  # the file or the database (without credentials) — shown in health/logs


def psycopg_url(url: str) -> str:
    """A libpq URL: drop SQLAlchemy's `+psycopg` driver suffix."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlite_checkpointer(path: Path) -> Checkpointer:
    """A `SqliteSaver` on `path` (created if needed), usable from worker threads."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    saver = SqliteSaver(connection)
    saver.setup()
    return Checkpointer(saver, connection.close, str(path))


def postgres_checkpointer(url: str, *, max_size: int = 4) -> Checkpointer:
    """A `PostgresSaver` over a small psycopg pool (tables created on first use)."""
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    conninfo = psycopg_url(url)
    pool = ConnectionPool(
        conninfo,
        min_size=1,
        max_size=max_size,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        open=True,
    )
    saver = PostgresSaver(pool)  # type: ignore[arg-type]
    saver.setup()
    location = make_url(url).render_as_string(hide_password=True)
    return Checkpointer(saver, pool.close, location)


def open_checkpointer(settings: Settings | None = None) -> Checkpointer:
    """The checkpointer for the configured database mode."""
    settings = settings or get_settings()
    if settings.database_mode == "postgresql":
        return postgres_checkpointer(settings.effective_database_url)
    return sqlite_checkpointer(settings.checkpoint_path)
