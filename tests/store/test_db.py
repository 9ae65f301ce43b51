"""The platform store's engine: a failed statement's message, which may reach a log, never
carries the values it was sent (a person's email, here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.store.db import create_store_engine

EMAIL = "hidden-param@people.example"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_engine(
    request: pytest.FixtureRequest, tmp_path: Path, pg_database_factory: Callable[[str], str]
) -> Iterator[sa.Engine]:
    yield from _store_with_a_person(request.param, tmp_path, pg_database_factory)


@pytest.fixture
def pg_store_engine(
    tmp_path: Path, pg_database_factory: Callable[[str], str]
) -> Iterator[sa.Engine]:
    """PostgreSQL only: SQLite stores any value in any column, so it raises no data error."""
    yield from _store_with_a_person("postgresql", tmp_path, pg_database_factory)


def _store_with_a_person(
    backend: str, tmp_path: Path, pg_database_factory: Callable[[str], str]
) -> Iterator[sa.Engine]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    if backend == "postgresql":
        url = pg_database_factory("lawful_hidden_params")
    engine = create_store_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE people (email VARCHAR(40) UNIQUE, age INTEGER)")
        conn.execute(sa.text("INSERT INTO people (email) VALUES (:email)"), {"email": EMAIL})
    yield engine
    engine.dispose()


def test_an_integrity_error_message_does_not_carry_the_email_it_was_sent(
    store_engine: sa.Engine,
) -> None:
    with pytest.raises(sa.exc.IntegrityError) as raised, store_engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO people (email) VALUES (:email)"), {"email": EMAIL})
    assert EMAIL not in str(raised.value)
    assert EMAIL not in str(raised.value.orig)  # a logged traceback prints the cause too
    assert "people" in str(raised.value)  # still says which table or constraint refused it
    assert "parameters hidden" in str(raised.value)


def test_a_data_error_message_does_not_carry_the_email_it_was_sent(
    pg_store_engine: sa.Engine,
) -> None:
    with pytest.raises(sa.exc.DataError) as raised, pg_store_engine.begin() as conn:
        conn.execute(sa.text("UPDATE people SET age = CAST(:email AS INTEGER)"), {"email": EMAIL})
    assert EMAIL not in str(raised.value)
    assert "parameters hidden" in str(raised.value)
