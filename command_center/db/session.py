"""Engines and sessions for the OLTP database (SQLite embedded, PostgreSQL in deployment)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from command_center.settings import get_settings


def make_engine(url: str) -> Engine:
    """Create an engine for `url` with the pragmas/pool settings the app relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


_known_urls: set[str] = set()


@lru_cache(maxsize=32)
def engine_for(url: str) -> Engine:
    """A cached engine per URL."""
    _known_urls.add(url)
    return make_engine(url)


def get_engine() -> Engine:
    """The engine for the configured database (creating `data/` for SQLite)."""
    settings = get_settings()
    if settings.database_mode == "sqlite":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return engine_for(settings.effective_database_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
