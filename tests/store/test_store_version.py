"""A store already at the current schema is recognised by one SELECT, without Alembic; a
store behind, ahead or empty still goes through Alembic (issue 19: a CLI that starts fast)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.store.migrate import (
    StoreNotReadyError,
    _assignments,
    ensure_store,
    head_revisions,
    shipped_heads,
    stored_revisions,
    upgrade_database,
)


def test_the_heads_read_from_the_migration_files_are_the_heads_alembic_finds() -> None:
    assert shipped_heads() == head_revisions()
    assert len(shipped_heads()) >= 1


def test_a_revision_written_over_several_lines_is_still_read() -> None:
    source = 'revision: str = "abc"\ndown_revision = (\n    "x",\n    "y",\n)\n'
    assert _assignments(source) == [("revision", "abc"), ("down_revision", ("x", "y"))]


def test_an_empty_database_has_no_stored_revision_and_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert stored_revisions(url=url) == frozenset()
    with pytest.raises(StoreNotReadyError):
        ensure_store(url=url, upgrade=False)


def test_a_store_one_migration_behind_is_refused_not_taken_as_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lawful.db'}"
    upgrade_database(url=url)
    assert stored_revisions(url=url) == shipped_heads()
    ensure_store(url=url, upgrade=False)  # current: accepted
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        dropped = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        conn.execute(sa.text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": dropped})
    engine.dispose()
    assert stored_revisions(url=url) != shipped_heads()
    with pytest.raises(StoreNotReadyError, match="lawful db upgrade"):
        ensure_store(url=url, upgrade=False)


def test_a_store_stamped_with_an_unknown_revision_is_not_taken_as_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lawful.db'}"
    upgrade_database(url=url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO alembic_version VALUES ('ffffffffffff')"))
    engine.dispose()
    with pytest.raises(StoreNotReadyError):
        ensure_store(url=url, upgrade=False)
