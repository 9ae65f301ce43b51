"""Real datastores for the connector tests: SQLite files, and fresh PostgreSQL and MariaDB
databases created for the session and dropped at its end.

The servers are expected on 127.0.0.1 (scripts/services starts them). When one is down its
tests fail with a message saying so: they never skip.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from lawful.connectors import Connector, open_connector
from lawful.datamap.models import Connection

from ..support.databases import ThrowawayDatabases, database_name

SERVERS = {
    "postgresql": ("PostgreSQL", "postgresql+psycopg://postgres@127.0.0.1:5432", "postgres"),
    "mariadb": ("MariaDB", "mysql+pymysql://root@127.0.0.1:3306", ""),
}
# What a user would put in the env var: a plain scheme; the connector picks the driver.
USER_URLS = {
    "postgresql": "postgresql://postgres@127.0.0.1:5432/{db}",
    "mariadb": "mysql://root@127.0.0.1:3306/{db}",
}


def pytest_configure(config: pytest.Config) -> None:
    for kind, (label, url, _) in SERVERS.items():
        host = url.rsplit("@", 1)[1]
        config.addinivalue_line("markers", f"{kind}: needs a real {label} server on {host}")


@pytest.fixture(scope="session")
def postgresql_database(pg_database_factory: ThrowawayDatabases) -> str:
    """The name of a PostgreSQL database that lives as long as the test session."""
    return database_name(pg_database_factory("lawful_test_connectors"))


@pytest.fixture(scope="session")
def mariadb_database(mariadb_database_factory: ThrowawayDatabases) -> str:
    """The name of a MariaDB database that lives as long as the test session."""
    return database_name(mariadb_database_factory("lawful_test_connectors"))


@dataclass
class Store:
    """One real database, a connector opened on it, and a direct engine to check the truth."""

    kind: str
    connection: Connection
    environ: dict[str, str]
    base_dir: Path
    admin: sa.Engine
    opened: list[Connector]

    def open(self, **options: object) -> Connector:
        """A connector on this database (closed by the fixture), with optional options."""
        connection = self.connection.model_copy(update={"options": options})
        connector = open_connector("crm", connection, base_dir=self.base_dir, environ=self.environ)
        self.opened.append(connector)
        return connector

    def rows(self, table: str) -> list[dict[str, object]]:
        with self.admin.connect() as conn:
            result = conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))
            return [dict(row._mapping) for row in result]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Here rather than in @pytest.fixture(params=...): the markers above must be registered
    # before `pytest.mark.postgresql` is looked up, and this module is imported before that.
    if "store" in metafunc.fixturenames:
        metafunc.parametrize(
            "store",
            [
                pytest.param("sqlite"),
                pytest.param("postgresql", marks=pytest.mark.postgresql),
                pytest.param("mariadb", marks=pytest.mark.mariadb),
            ],
            indirect=True,
        )


@pytest.fixture
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Each SQL store in turn, emptied of tables before the test."""
    kind: str = request.param
    if kind == "sqlite":
        sqlite3.connect(tmp_path / "crm.db").close()
        connection = Connection(type="sqlite", path="crm.db")
        environ: dict[str, str] = {}
        admin_url = f"sqlite:///{tmp_path / 'crm.db'}"
    else:
        database: str = request.getfixturevalue(f"{kind}_database")
        connection = Connection(type=kind, url_env="CRM_DATABASE_URL")
        environ = {"CRM_DATABASE_URL": USER_URLS[kind].format(db=database)}
        admin_url = f"{SERVERS[kind][1]}/{database}"
    admin = sa.create_engine(admin_url)
    _drop_every_table(admin)
    store = Store(kind, connection, environ, tmp_path, admin, [])
    try:
        yield store
    finally:
        for connector in store.opened:
            connector.close()
        admin.dispose()


def _drop_every_table(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)


MakePeople = Callable[..., sa.Table]


@pytest.fixture
def make_people(store: Store) -> MakePeople:
    """Create the `people` table with `count` made-up people (ids 1..count)."""

    def make(count: int = 10, *, unique_email: bool = False) -> sa.Table:
        metadata = sa.MetaData()
        table = sa.Table(
            "people",
            metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("email", sa.String(255), unique=unique_email),
            sa.Column("phone", sa.String(50)),
            sa.Column("name", sa.String(100), nullable=False),
        )
        metadata.create_all(store.admin)
        if count:
            with store.admin.begin() as conn:
                conn.execute(table.insert(), [person(i) for i in range(1, count + 1)])
        return table

    return make


def person(i: int) -> dict[str, object]:
    """A made-up person: never real personal data."""
    return {
        "id": i,
        "email": f"person{i}@example.org",
        "phone": f"+3361000{i:04d}",
        "name": f"Person {i}",
    }
