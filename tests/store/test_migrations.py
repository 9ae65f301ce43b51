"""The platform store's schema comes from the migrations, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from lawful.store.metadata import load_metadata
from lawful.store.migrate import (
    StoreNotReadyError,
    current_revisions,
    ensure_store,
    head_revisions,
    upgrade_database,
)

from ..support.databases import ThrowawayDatabases


@pytest.fixture(scope="module")
def pg_url(pg_database_factory: ThrowawayDatabases) -> Iterator[str]:
    """An empty PostgreSQL database of the module's own."""
    url = pg_database_factory("lawful_store")
    yield url
    pg_database_factory.drop(url)


def _differences(url: str) -> list[object]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), load_metadata())
    engine.dispose()
    return list(diffs)


def test_migrations_build_exactly_the_models_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lawful.db'}"
    upgrade_database(url=url)
    assert current_revisions(url=url) == head_revisions()
    assert _differences(url) == []


def test_migrations_build_exactly_the_models_on_postgresql_and_go_back_down(pg_url: str) -> None:
    upgrade_database(url=pg_url)
    assert _differences(pg_url) == []
    upgrade_database(url=pg_url)  # running it again changes nothing
    from alembic import command

    from lawful.store.migrate import alembic_config

    command.downgrade(alembic_config(pg_url), "base")
    engine = sa.create_engine(pg_url)
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()


def test_a_configured_store_that_was_not_upgraded_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(StoreNotReadyError, match="lawful db upgrade"):
        ensure_store(url=f"sqlite:///{tmp_path / 'empty.db'}", upgrade=False)


def test_migration_files_are_named_by_date_time_and_slug() -> None:
    versions = Path(__file__).parents[2] / "src" / "lawful" / "store" / "migrations" / "versions"
    names = [p.name for p in versions.glob("*.py") if p.name != "__init__.py"]
    assert names
    for name in names:
        assert re.fullmatch(r"\d{8}_\d{4}_[a-z0-9_]+\.py", name), name
