"""The consent tests' shop, keyring and platform stores (SQLite and PostgreSQL, both built by
the migrations)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import upgrade_database

FIXTURES = Path(__file__).parent / "fixtures"
SHOP = FIXTURES / "shop.yaml"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def shop() -> DataMap:
    return load_datamap(SHOP).datamap


@pytest.fixture(scope="session")
def keyring() -> Keyring:
    return Keyring.from_master(bytes(range(32)))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("consent-store") / "lawful.db"
    upgrade_database(url=f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh copy of the migrated SQLite store."""
    path = tmp_path / "lawful.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Iterator[Session]:
    """A session on each real backend in turn; everything is rolled back afterwards."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_store_url")
    engine = create_store_engine(url)
    with session_factory(engine)() as session:
        yield session
        session.rollback()
    engine.dispose()
