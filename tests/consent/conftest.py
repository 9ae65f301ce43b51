"""The consent tests' shop, and a session on the platform store on each backend (SQLite and
PostgreSQL, both built by the migrations: `sqlite_url` and `pg_store_url` from tests/support)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.store.db import create_store_engine, session_factory

FIXTURES = Path(__file__).parent / "fixtures"
SHOP = FIXTURES / "shop.yaml"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def shop() -> DataMap:
    return load_datamap(SHOP).datamap


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Iterator[Session]:
    """A session on each real backend in turn; everything is rolled back afterwards."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_store_url")
    engine = create_store_engine(url)
    with session_factory(engine)() as session:
        yield session
        session.rollback()
    engine.dispose()
