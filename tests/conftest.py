"""Fixtures shared by every test folder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence

import pytest
import sqlalchemy as sa

from lawful.store.migrate import upgrade_database

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def pg_store_url() -> Iterator[str]:
    """A throwaway PostgreSQL platform store built by the migrations, dropped after the
    session. A server that is down fails the tests with the fix, rather than skipping them."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"lawful_store_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable ({error.orig}); start it with scripts/services")
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    upgrade_database(url=url)
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


# --- the example company on SQLite, PostgreSQL and MariaDB (retention, breach) ---------------
# Generated once per session; each test gets a fresh copy on its backend (one PostgreSQL
# schema, or one MariaDB database, per system), with dates typed as a real system has them.

import shutil  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from rich.console import Console  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from lawful.datamap.loader import load_datamap  # noqa: E402
from lawful.datamap.models import DataMap  # noqa: E402
from lawful.demo.generate import generate_company  # noqa: E402
from lawful.demo.indexes import identity_indexes  # noqa: E402
from lawful.demo.load import copy_sqlite, engine_url, on_servers, sqlite_systems  # noqa: E402
from lawful.engine.datastores import Datastores, registry_factory  # noqa: E402
from lawful.engine.retry import RetryPolicy  # noqa: E402
from lawful.store.checkpoints import AuditTrail  # noqa: E402
from lawful.store.crypto import Keyring  # noqa: E402
from lawful.store.db import create_store_engine, session_factory  # noqa: E402

EXAMPLE_MAP = Path(__file__).parents[1] / "examples" / "contact-center" / "lawful.yaml"
MARIADB_ADMIN_URL = "mysql+pymysql://root@127.0.0.1:3306/"
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
        """Every row of a dataset by primary key."""
        spec = self.datamap.datasets[dataset]
        rows = self.query(spec.system, f"SELECT * FROM {spec.table or dataset}")
        return {row_key(row, spec.primary_key): row for row in rows}

    def execute(self, system: str, sql: str, **params: Any) -> None:
        with self.engines[system].begin() as conn:
            conn.execute(sa.text(sql), params)


@pytest.fixture(scope="session")
def company_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("example-company")
    generate_company(subjects=COMPANY_SUBJECTS, out_dir=out, seed=11, console=Console(quiet=True))
    return out


@pytest.fixture(scope="session")
def company_pg_database() -> Iterator[str]:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"lawful_company_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable ({error.orig}); start it with scripts/services")
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def company_mariadb_prefix() -> Iterator[str]:
    admin = sa.create_engine(MARIADB_ADMIN_URL, isolation_level="AUTOCOMMIT")
    prefix = f"lawful_company_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect():
            pass
    except sa.exc.OperationalError as error:
        pytest.fail(f"MariaDB is not reachable ({error.orig}); start it with scripts/services")
    yield prefix
    with admin.connect() as conn:
        names = conn.execute(sa.text("SHOW DATABASES LIKE :p"), {"p": f"{prefix}%"}).scalars().all()
        for name in names:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    admin.dispose()


_SERVER_SYSTEMS_READY: set[str] = set()  # kinds whose databases and tables exist already


def row_key(row: Mapping[str, Any], key: str | Sequence[str]) -> Any:
    """A row's primary key: the value of a one-column key, a tuple for a composite one."""
    if isinstance(key, str):
        return row[key]
    return tuple(row[column] for column in key)


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
    return make_company(request, request.param, company_files, tmp_path)


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


# --- a platform store on SQLite, built by the migrations once and copied per test ------------


@pytest.fixture(scope="session")
def platform_store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("platform-store") / "lawful.db"
    upgrade_database(url=f"sqlite:///{path}")
    return path


@pytest.fixture
def platform_sessions(
    platform_store_template: Path, tmp_path: Path
) -> Iterator[sessionmaker[Session]]:
    path = tmp_path / "platform.db"
    shutil.copy(platform_store_template, path)
    engine = create_store_engine(f"sqlite:///{path}")
    # Like the platform's own sessions: audit entries keyed, checkpoints beside the store.
    audit = AuditTrail.from_secret(b"a" * 32, checkpoint_file=tmp_path / "checkpoints.jsonl")
    yield session_factory(engine, audit=audit)
    engine.dispose()


@pytest.fixture
def platform_keyring() -> Keyring:
    return Keyring.from_master(bytes(range(32)))


# --- throwaway PostgreSQL databases, for a test folder that needs its own ----------------------

from collections.abc import Callable  # noqa: E402


@pytest.fixture(scope="session")
def pg_database_factory() -> Iterator[Callable[[str], str]]:
    """`make(prefix)` creates a database on the local PostgreSQL and returns its SQLAlchemy
    URL; every database made is dropped when the session ends. A server that is down fails
    the tests with the fix, rather than skipping them."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        except sa.exc.OperationalError as error:
            pytest.fail(
                f"PostgreSQL is not reachable ({error.orig}); start it with scripts/services"
            )
        made.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


# --- real local servers: SMTP (aiosmtpd) and the app (uvicorn), each on a free port ------------
# Shared by the folders that talk to a real mail server or drive a real browser (tests/e2e).

import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from email import message_from_bytes, policy  # noqa: E402
from email.message import EmailMessage  # noqa: E402

import uvicorn  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str, subject_part: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address and subject_part in m["Subject"]]

    def wait_for(
        self, address: str, subject_part: str, *, count: int = 1, timeout: float = 20
    ) -> EmailMessage:
        """The `count`-th mail to `address` whose subject holds `subject_part`, once it has
        come (mail is sent by background jobs)."""
        deadline = time.monotonic() + timeout
        while len(found := self.to(address, subject_part)) < count:
            if time.monotonic() > deadline:
                subjects = [str(m["Subject"]) for m in self.messages if m["To"] == address]
                raise AssertionError(
                    f"no mail #{count} with {subject_part!r} to {address} in {timeout} s; "
                    f"it got: {subjects}"
                )
            time.sleep(0.05)
        return found[count - 1]

    def text(self, message: EmailMessage) -> str:
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        return str(body.get_content())

    def code(self, message: EmailMessage) -> str:
        return code_in(self.text(message))


@dataclass
class SMTPServer:
    inbox: Inbox
    port: int


@contextmanager
def running_smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server on 127.0.0.1 and a free port, until the block ends."""
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="localhost")
    controller.start()
    try:
        yield SMTPServer(inbox, port)
    finally:
        controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server for the length of one test."""
    with running_smtp_server() as server:
        yield server


def code_in(text: str) -> str:
    """The 6-digit code of a code mail."""
    for line in text.splitlines():
        if line.strip().isdigit() and len(line.strip()) == 6:
            return line.strip()
    raise AssertionError(f"no code in mail:\n{text}")


@contextmanager
def serve(app: Any, port: int, **options: Any) -> Iterator[str]:
    """Run `app` with uvicorn on 127.0.0.1:`port` in a background thread until the block
    ends (its lifespan included); yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start; see the log above")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- the example company as the rights-request tests use it: 1000 people, seed 2026 ----------


@pytest.fixture(scope="session")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example company's SQLite files, generated once; tests work on copies."""
    out = tmp_path_factory.mktemp("company")
    generate_company(subjects=1000, out_dir=out, seed=2026, console=Console(quiet=True))
    return out
