"""Alembic environment: the schema is SQLModel.metadata; the URL comes from settings."""

from sqlmodel import SQLModel

import command_center.db.models  # noqa: F401  (registers the tables)
from alembic import context
from command_center.db.session import engine_for
from command_center.settings import get_settings

target_metadata = SQLModel.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().effective_database_url
    with engine_for(url).connect() as conn:
        _run(conn)
        conn.commit()
