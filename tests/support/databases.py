"""Throwaway databases on the local servers and the migrated platform store.

One way to make each: `pg_database_factory` (PostgreSQL) and `mariadb_database_factory`
(MariaDB) create a database per call and drop it at the end of the session (or earlier, by
`drop`); `platform_store_template` is the SQLite platform store built once by the migrations,
which `copy_store` copies for a test. A server that is down fails the tests with the fix,
rather than skipping them."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.store.migrate import upgrade_database

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
MARIADB_ADMIN_URL = "mysql+pymysql://root@127.0.0.1:3306/"
MARIADB_URL = "mysql+pymysql://root@127.0.0.1:3306/{name}"


def admin_engine(url: str, service: str) -> sa.Engine:
    """An autocommit engine on a server's maintenance database; the test fails with the
    fix if the server does not answer."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        engine.dispose()
        reason = str(error.orig).strip().splitlines()[0]
        pytest.fail(f"{service} is not reachable ({reason}); start it with scripts/services")
    return engine


def database_name(url: str) -> str:
    """The database a SQLAlchemy URL names."""
    return str(sa.make_url(url).database)


class ThrowawayDatabases:
    """`make(prefix)` creates a database named `prefix_<random>` and returns its SQLAlchemy
    URL; every database made and not yet dropped is dropped by `close`."""

    def __init__(self, service: str, admin_url: str, url: str, quote: str) -> None:
        self.service, self.admin_url, self.url, self.quote = service, admin_url, url, quote
        self._admin: sa.Engine | None = None
        self.made: list[str] = []

    def __call__(self, prefix: str, *, template: str | None = None) -> str:
        """A new database (a copy of database `template`, PostgreSQL only, if given)."""
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        copy = f" TEMPLATE {self._quoted(template)}" if template else ""
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {self._quoted(name)}{copy}")
        self.made.append(name)
        return self.url.format(name=name)

    @property
    def admin(self) -> sa.Engine:
        if self._admin is None:
            self._admin = admin_engine(self.admin_url, self.service)
        return self._admin

    def drop(self, url_or_name: str) -> None:
        name = database_name(url_or_name) if "://" in url_or_name else url_or_name
        force = " WITH (FORCE)" if self.quote == '"' else ""
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {self._quoted(name)}{force}")
        if name in self.made:
            self.made.remove(name)

    def close(self) -> None:
        for name in list(self.made):
            self.drop(name)
        if self._admin is not None:
            self._admin.dispose()

    def _quoted(self, name: str) -> str:
        return f"{self.quote}{name}{self.quote}"


@pytest.fixture(scope="session")
def pg_database_factory() -> Iterator[ThrowawayDatabases]:
    """`make(prefix)`: a new database on the local PostgreSQL, as a SQLAlchemy URL."""
    databases = ThrowawayDatabases("PostgreSQL", PG_ADMIN_URL, PG_URL, '"')
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def mariadb_database_factory() -> Iterator[ThrowawayDatabases]:
    """`make(prefix)`: a new database on the local MariaDB, as a SQLAlchemy URL."""
    databases = ThrowawayDatabases("MariaDB", MARIADB_ADMIN_URL, MARIADB_URL, "`")
    yield databases
    databases.close()


@pytest.fixture(scope="session")
def pg_store_url(pg_database_factory: ThrowawayDatabases) -> str:
    """A PostgreSQL platform store built by the migrations, shared by the session."""
    url = pg_database_factory("lawful_store")
    upgrade_database(url=url)
    return url


# --- the platform store on SQLite: built once by the migrations, copied per test --------------


@pytest.fixture(scope="session")
def platform_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("platform-store") / "lawful.db"
    upgrade_database(url=f"sqlite:///{path}")
    return path


def copy_store(template: Path, folder: Path, name: str = "lawful.db") -> str:
    """A fresh copy of the migrated SQLite store in `folder`, as a SQLAlchemy URL."""
    path = folder / name
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_url(platform_store_template: Path, tmp_path: Path) -> str:
    """A fresh copy of the migrated SQLite platform store (tmp_path/lawful.db)."""
    return copy_store(platform_store_template, tmp_path)
