"""The example company (`lawful demo generate`) as the tests' datastores.

`company_files` (400 people, seed 11) is generated once per session; `example_company` gives
each test a fresh copy on SQLite, PostgreSQL and MariaDB in turn (one PostgreSQL schema, or
one MariaDB database, per system), with dates typed as a real system has them. `company`
(1000 people, seed 2026) is the rights-request tests' read-only copy."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rich.console import Console

from lawful.datamap.loader import load_datamap
from lawful.datamap.models import DataMap
from lawful.demo.generate import generate_company
from lawful.demo.indexes import identity_indexes
from lawful.demo.load import copy_sqlite, engine_url, on_servers, sqlite_systems
from lawful.engine.datastores import Datastores, registry_factory
from lawful.engine.retry import RetryPolicy

from .databases import MARIADB_ADMIN_URL, ThrowawayDatabases, admin_engine, database_name

EXAMPLE_MAP = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
COMPANY_SUBJECTS = 400


@dataclass
class ExampleCompany:
    """The example company on one backend: its map (pointed at the copies) and engines."""

    kind: str
    datamap: DataMap
    base_dir: Path
    engines: dict[str, sa.Engine]
    environ: dict[str, str] = field(default_factory=dict)

    def datastores(self) -> Datastores:
        factory = registry_factory(self.datamap, base_dir=self.base_dir, environ=self.environ)
        return Datastores(factory, retry=RetryPolicy(attempts=2, base=0.001, cap=0.01))

    def query(self, system: str, sql: str, **params: Any) -> list[dict[str, Any]]:
        with self.engines[system].connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]

    def table(self, dataset: str) -> dict[Any, dict[str, Any]]:
        """Every row of a dataset by primary key (a tuple for a composite key)."""
        spec = self.datamap.datasets[dataset]
        rows = self.query(spec.system, f"SELECT * FROM {spec.table or dataset}")
        key = spec.primary_key
        if isinstance(key, str):
            return {row[key]: row for row in rows}
        return {tuple(row[k] for k in key): row for row in rows}

    def execute(self, system: str, sql: str, **params: Any) -> None:
        with self.engines[system].begin() as conn:
            conn.execute(sa.text(sql), params)


@pytest.fixture(scope="session")
def company_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example-company")
    generate_company(subjects=COMPANY_SUBJECTS, out_dir=out, seed=11, console=Console(quiet=True))
    return out


@pytest.fixture(scope="session")
def company_pg_database(pg_database_factory: ThrowawayDatabases) -> str:
    return database_name(pg_database_factory("lawful_company"))


@pytest.fixture(scope="session")
def company_mariadb_prefix() -> Iterator[str]:
    """The prefix of the MariaDB databases (one per system) the company is copied into."""
    admin = admin_engine(MARIADB_ADMIN_URL, "MariaDB")
    prefix = f"lawful_company_{uuid.uuid4().hex[:8]}"
    yield prefix
    with admin.connect() as conn:
        names = conn.execute(sa.text("SHOW DATABASES LIKE :p"), {"p": f"{prefix}%"}).scalars().all()
        for name in names:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()


_SERVER_SYSTEMS_READY: set[str] = set()  # kinds whose databases and tables exist already


def _company_urls(request: pytest.FixtureRequest, kind: str, systems: list[str]) -> dict[str, str]:
    """One schema (PostgreSQL) or database (MariaDB) per system, made once per session."""
    if kind == "postgresql":
        name = request.getfixturevalue("company_pg_database")
        base = f"postgresql://postgres@127.0.0.1:5432/{name}"
        if kind not in _SERVER_SYSTEMS_READY:
            admin = sa.create_engine(engine_url(base))
            with admin.begin() as conn:
                for sid in systems:
                    conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{sid}"')
            admin.dispose()
        return {sid: f"{base}?options=-csearch_path%3D{sid}" for sid in systems}
    prefix = request.getfixturevalue("company_mariadb_prefix")
    if kind not in _SERVER_SYSTEMS_READY:
        admin = sa.create_engine(MARIADB_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for sid in systems:
                conn.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS `{prefix}_{sid}`")
        admin.dispose()
    return {sid: f"mysql://root@127.0.0.1:3306/{prefix}_{sid}" for sid in systems}


def make_company(
    request: pytest.FixtureRequest, kind: str, files: Path, tmp_path: Path
) -> ExampleCompany:
    """A fresh copy of the example company on `kind` (sqlite, postgresql or mariadb)."""
    datamap = load_datamap(EXAMPLE_MAP).datamap
    systems = sqlite_systems(datamap)
    if kind == "sqlite":
        shutil.copytree(files, tmp_path / "data")
        engines = {
            sid: sa.create_engine(f"sqlite:///{tmp_path / 'data' / f}")
            for sid, f in systems.items()
        }
        company = ExampleCompany(kind, datamap, tmp_path / "data", engines)
    else:
        urls = _company_urls(request, kind, list(systems))
        engines = {sid: sa.create_engine(engine_url(url)) for sid, url in urls.items()}
        # MariaDB's default `*_ci` collation makes the plain indexes serve case-blind matching.
        indexes = identity_indexes(datamap, backend=kind) if kind == "postgresql" else {}
        for sid, engine in engines.items():
            copy_sqlite(
                files / systems[sid],
                engine,
                keep_tables=kind in _SERVER_SYSTEMS_READY,
                indexes=indexes.get(sid, ()),
            )
        _SERVER_SYSTEMS_READY.add(kind)
        served, environ = on_servers(datamap, kind=kind, urls=urls)
        company = ExampleCompany(kind, served, tmp_path, engines, environ)
    for engine in company.engines.values():
        request.addfinalizer(engine.dispose)
    return company


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def example_company(
    request: pytest.FixtureRequest, company_files: Path, tmp_path: Path
) -> ExampleCompany:
    """The example company on each backend in turn, fresh for each test."""
    return make_company(request, str(request.param), company_files, tmp_path)


@pytest.fixture
def sqlite_company(
    request: pytest.FixtureRequest, company_files: Path, tmp_path: Path
) -> ExampleCompany:
    return make_company(request, "sqlite", company_files, tmp_path)


@pytest.fixture
def pg_company(
    request: pytest.FixtureRequest, company_files: Path, tmp_path: Path
) -> ExampleCompany:
    return make_company(request, "postgresql", company_files, tmp_path)


@pytest.fixture(scope="session")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example company's SQLite files (1000 people, seed 2026), generated once; tests
    work on copies."""
    out = tmp_path_factory.mktemp("company")
    generate_company(subjects=1000, out_dir=out, seed=2026, console=Console(quiet=True))
    return out


def row_key(row: Mapping[str, Any], key: str | Sequence[str]) -> Any:
    """A row's primary key: the value of a one-column key, a tuple for a composite one."""
    if isinstance(key, str):
        return row[key]
    return tuple(row[column] for column in key)
