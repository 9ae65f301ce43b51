"""Alembic environment: the URL comes from `lawful.store.migrate.alembic_config`."""

from __future__ import annotations

from alembic import context

from lawful.store.db import create_store_engine
from lawful.store.metadata import load_metadata


def run_migrations() -> None:
    url = context.config.attributes["url"]
    metadata = load_metadata()
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


run_migrations()
