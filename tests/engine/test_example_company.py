"""The engine on the example company (examples/contact-center, `lawful demo generate`):
access finds the person's rows across systems; erasure changes those rows and no other."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from lawful.connectors.sql import expression_indexes_skipped
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import Connection, DataMap
from lawful.demo.generate import generate_company
from lawful.engine.access import run_access
from lawful.engine.datastores import Datastores, registry_factory
from lawful.engine.erasure import run_erasure
from lawful.engine.identity import Identity, parse_identity
from lawful.engine.jobs import JobReport
from lawful.retention.holds import legal_holds_on
from lawful.store.crypto import Keyring

from ..conftest import row_key
from ..support.databases import ThrowawayDatabases

EXAMPLE = Path(__file__).parents[2] / "examples" / "contact-center" / "lawful.yaml"
Rows = dict[str, dict[Any, tuple[Any, ...]]]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate_company(subjects=120, out_dir=out, seed=7, console=Console(quiet=True))
    return out


@dataclass
class Example:
    """The example company's data on one backend: one database (or schema) per system."""

    datamap: DataMap
    base_dir: Path
    engines: dict[str, sa.Engine]
    environ: dict[str, str] = field(default_factory=dict)

    def datastores(self) -> Datastores:
        return Datastores(
            registry_factory(self.datamap, base_dir=self.base_dir, environ=self.environ)
        )

    def one(self, system: str, query: str) -> Any:
        with self.engines[system].connect() as conn:
            value = conn.execute(sa.text(query)).scalar()
        assert value is not None, query
        return value

    def keys(self, system: str, query: str, **params: Any) -> set[Any]:
        with self.engines[system].connect() as conn:
            return set(conn.execute(sa.text(query), params).scalars())

    def all_rows(self) -> Rows:
        """Every row of every dataset we control, by dataset and primary key."""
        found: Rows = {}
        for did, dataset in self.datamap.datasets.items():
            if dataset.system not in self.engines or dataset.client_id() is not None:
                continue
            table = sa.table(dataset.table or did)
            with self.engines[dataset.system].connect() as conn:
                result = conn.execute(sa.select(sa.text("*")).select_from(table))
                key = list(result.keys()).index(dataset.primary_key)
                found[did] = {row[key]: tuple(row) for row in result}
        return found


def _copy_sqlite(source: Path, target: sa.Engine) -> None:
    """The demo's tables and rows into a server database (indexed text becomes VARCHAR)."""
    reader = sa.create_engine(f"sqlite:///{source}")
    meta = sa.MetaData()
    with expression_indexes_skipped():
        meta.reflect(reader)
    indexed = {(t.name, c.name) for t in meta.tables.values() for i in t.indexes for c in i.columns}
    for table in meta.tables.values():
        for column in table.columns:
            if isinstance(column.type, sa.Text):
                column.type = sa.String(255) if (table.name, column.name) in indexed else sa.Text()
    meta.drop_all(target)
    meta.create_all(target)
    with reader.connect() as source_conn, target.begin() as target_conn:
        for table in meta.sorted_tables:
            rows = [dict(r._mapping) for r in source_conn.execute(table.select())]
            if rows:
                target_conn.execute(table.insert(), rows)
    reader.dispose()


def _systems(datamap: DataMap) -> dict[str, str]:
    """System id → SQLite file name, for every system the demo fills."""
    return {
        sid: system.connection.path
        for sid, system in datamap.systems.items()
        if system.connection is not None
        and system.connection.type == "sqlite"
        and system.connection.path
    }


def _on_server(datamap: DataMap, kind: str, urls: dict[str, str]) -> DataMap:
    systems = {
        sid: s.model_copy(
            update={"connection": Connection(type=kind, url_env=f"{sid.upper()}_URL")}
        )
        if sid in urls
        else s
        for sid, s in datamap.systems.items()
    }
    return datamap.model_copy(update={"systems": systems})


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mariadb"])
def example(
    request: pytest.FixtureRequest, generated: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Example]:
    """Loaded once per backend: each test reads or erases different people (MIN / MAX ids)."""
    tmp_path = tmp_path_factory.mktemp(request.param)
    datamap = load_datamap(EXAMPLE).datamap
    files = _systems(datamap)
    if request.param == "sqlite":
        shutil.copytree(generated, tmp_path / "data")
        engines = {
            sid: sa.create_engine(f"sqlite:///{tmp_path / 'data' / f}") for sid, f in files.items()
        }
        found = Example(datamap, tmp_path / "data", engines)
    else:
        urls = _server_urls(request, request.param, list(files))
        driver = {"postgresql": "postgresql+psycopg", "mariadb": "mysql+pymysql"}[request.param]
        engines = {
            sid: sa.create_engine(url.replace(url.split(":")[0], driver, 1))
            for sid, url in urls.items()
        }
        for sid, engine in engines.items():
            _copy_sqlite(generated / files[sid], engine)
        environ = {f"{sid.upper()}_URL": url for sid, url in urls.items()}
        found = Example(_on_server(datamap, request.param, urls), tmp_path, engines, environ)
    yield found
    for engine in found.engines.values():
        engine.dispose()


def _server_urls(request: pytest.FixtureRequest, kind: str, systems: list[str]) -> dict[str, str]:
    """PostgreSQL: one schema per system in the session's database; MariaDB: one database."""
    if kind == "postgresql":
        name = request.getfixturevalue("pg_database")
        admin = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
        with admin.begin() as conn:
            for sid in systems:
                conn.exec_driver_sql(
                    f'DROP SCHEMA IF EXISTS "{sid}" CASCADE; CREATE SCHEMA "{sid}"'
                )
        admin.dispose()
        base = f"postgresql://postgres@127.0.0.1:5432/{name}"
        return {sid: f"{base}?options=-csearch_path%3D{sid}" for sid in systems}
    databases: ThrowawayDatabases = request.getfixturevalue("mariadb_database_factory")
    made = {sid: databases(f"lawful_example_{sid}") for sid in systems}
    for url in made.values():
        request.addfinalizer(partial(databases.drop, url))
    return {sid: url.replace("+pymysql", "") for sid, url in made.items()}


def _identity(example: Example, email: str) -> Identity:
    return parse_identity([f"email={email}"], datamap=example.datamap)


def _access(
    example: Example, sessions: sessionmaker[Session], keyring: Keyring, email: str
) -> dict[str, set[Any]]:
    with example.datastores() as datastores, sessions() as session:
        result = run_access(
            session,
            datamap=example.datamap,
            identity=_identity(example, email),
            datastores=datastores,
            keyring=keyring,
        )
    keys = {did: ds.primary_key for did, ds in example.datamap.datasets.items()}
    return {
        d.labels.dataset: {row_key(row, keys[d.labels.dataset]) for row in d.rows}
        for d in result.datasets
    }


def _erase(
    example: Example, sessions: sessionmaker[Session], keyring: Keyring, email: str
) -> JobReport:
    with example.datastores() as datastores:
        return run_erasure(
            sessions,
            datamap=example.datamap,
            identity=_identity(example, email),
            datastores=datastores,
            keyring=keyring,
            today=date(2026, 11, 22),
            holds=legal_holds_on,
        )


def test_access_follows_a_candidate_through_applications_to_interviews(
    example: Example, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    candidate = example.one(
        "ats",
        "SELECT MIN(a.candidate_id) FROM applications a JOIN interviews i ON i.application_id = a.application_id",
    )
    email = example.one("ats", f"SELECT email FROM candidates WHERE candidate_id = {candidate}")
    found = _access(example, sessions, keyring, email.upper())
    applications = example.keys(
        "ats", "SELECT application_id FROM applications WHERE candidate_id = :c", c=candidate
    )
    interviews = example.keys(
        "ats",
        "SELECT interview_id FROM interviews WHERE application_id IN (SELECT application_id FROM applications WHERE candidate_id = :c)",
        c=candidate,
    )
    assert found["candidates"] == {candidate}
    assert found["applications"] == applications
    assert found["interviews"] == interviews
    assert found.get("employees", set()) == set()  # the interviewer is not pulled in


def test_access_follows_a_business_contact_to_contracts_and_invoices(
    example: Example, sessions: sessionmaker[Session], keyring: Keyring
) -> None:
    contact = example.one("billing", "SELECT MIN(signatory_contact_id) FROM contracts")
    email = example.one("crm", f"SELECT email FROM contacts WHERE contact_id = {contact}")
    found = _access(example, sessions, keyring, email)
    contracts = example.keys(
        "billing", "SELECT contract_id FROM contracts WHERE signatory_contact_id = :c", c=contact
    )
    invoices = example.keys(
        "billing",
        "SELECT invoice_id FROM invoices WHERE contract_id IN (SELECT contract_id FROM contracts WHERE signatory_contact_id = :c)",
        c=contact,
    )
    assert found["contacts"] == {contact}
    assert found["contracts"] == contracts
    assert found["invoices"] == invoices


PEOPLE = {
    "candidate": (
        "ats",
        "SELECT email FROM candidates WHERE candidate_id = (SELECT MAX(candidate_id) FROM applications)",
    ),
    "employee": (
        "hris",
        "SELECT personal_email FROM employees WHERE employee_id = (SELECT MAX(employee_id) FROM payslips)",
    ),
    "contact": (
        "crm",
        "SELECT email FROM contacts WHERE contact_id = (SELECT MAX(contact_id) FROM contacts)",
    ),
    "prospect": (
        "marketing",
        "SELECT email FROM prospects WHERE prospect_id = (SELECT MAX(prospect_id) FROM campaign_sends)",
    ),
}


@pytest.mark.parametrize("person", list(PEOPLE))
def test_erasure_changes_the_persons_rows_and_no_other(
    example: Example, sessions: sessionmaker[Session], keyring: Keyring, person: str
) -> None:
    email = example.one(*PEOPLE[person])
    theirs = _access(example, sessions, keyring, email)
    before = example.all_rows()
    report = _erase(example, sessions, keyring, email)
    assert report.status == "done"
    after = example.all_rows()
    changed = {
        did: {k for k, row in rows.items() if after[did].get(k) != row}
        for did, rows in before.items()
    }
    for did, keys in changed.items():
        assert keys <= theirs.get(did, set()), f"{did}: rows of other people changed"
    reported = {o.dataset: o.rows_changed for o in report.datasets if o.rows_changed}
    assert {did: len(keys) for did, keys in changed.items() if keys} == reported
    assert reported
