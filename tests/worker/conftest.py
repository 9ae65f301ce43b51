"""The fault tests' world: one installation per broker and test module — a PostgreSQL
platform store (copied from one built by the migrations), the example company on
PostgreSQL, a broker of its own (a private redis-server, or a fresh RabbitMQ vhost), a real
SMTP server, and two `lawful worker` subprocesses with short leases, polls and retries.

The harness lives in tests/support (installation, brokers, proxy, changes, waiting); here are
the fixtures that assemble it. Before each test the installation is whole again (workers
alive, everything up); every process and server started here is stopped in a fixture's
teardown, failed test or not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from lawful.config import Settings
from lawful.engine.datastores import registry_factory
from lawful.requests import repository
from lawful.requests.intake import Intake
from lawful.requests.mail import MemoryMailer
from lawful.requests.service import approve_request, confirm_identity, submit_request
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import upgrade_database
from lawful.worker.jobs import build_runtime

from ..support.brokers import Broker, running_broker
from ..support.changes import ChangeLog
from ..support.company import ExampleCompany, make_company
from ..support.databases import ThrowawayDatabases, copy_store, database_name
from ..support.installation import (
    DOWN_SYSTEM,
    FINISHED,
    CleanErasure,
    Installation,
    busiest_candidate,
    snapshot,
    write_map,
)
from ..support.mail import SMTPServer
from ..support.proxy import TcpProxy


@pytest.fixture(scope="session")
def store_template(pg_database_factory: ThrowawayDatabases) -> str:
    """A PostgreSQL platform store built by the migrations, that installations copy."""
    url = pg_database_factory("lawful_worker_template")
    upgrade_database(url=url)
    return database_name(url)


@pytest.fixture(scope="module")
def broker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Broker]:
    """The installation's broker (tests choose it with indirect parametrization)."""
    kind = getattr(request, "param", "redis")
    with running_broker(kind, tmp_path_factory.mktemp(kind)) as found:
        yield found


@pytest.fixture(scope="module")
def company(
    request: pytest.FixtureRequest,
    broker: Broker,
    clean_erasure: CleanErasure,
    company_files: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> ExampleCompany:
    """The example company on PostgreSQL, fresh for each installation (each broker), made
    after the reference erasure (which uses the same schemas)."""
    return make_company(request, "postgresql", company_files, tmp_path_factory.mktemp("company"))


@pytest.fixture(scope="module")
def installation(
    broker: Broker,
    company: ExampleCompany,
    store_template: str,
    pg_database_factory: ThrowawayDatabases,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Installation]:
    home = tmp_path_factory.mktemp("installation")
    target = urlsplit(company.environ[f"{DOWN_SYSTEM.upper()}_URL"])
    proxy, mail = TcpProxy((target.hostname or "127.0.0.1", target.port or 5432)), SMTPServer()
    store_url = pg_database_factory("lawful_worker", template=store_template)
    store = sa.create_engine(store_url)
    map_path = write_map(company, home / "lawful.yaml")
    site = Installation(company, store_url, store, broker, map_path, mail, proxy, home)
    try:
        yield site
    finally:
        site.stop_workers()
        proxy.close()
        mail.stop()
        store.dispose()
        pg_database_factory.drop(store_url)


@pytest.fixture
def site(installation: Installation) -> Installation:
    """The installation whole again: everything up, two workers alive."""
    installation.proxy.open()
    installation.mail.start()
    installation.ensure_workers(2)
    return installation


@pytest.fixture(scope="session")
def clean_erasure(
    request: pytest.FixtureRequest,
    company_files: Path,
    platform_store_template: Path,
    keyring: Keyring,
    tmp_path_factory: pytest.TempPathFactory,
) -> CleanErasure:
    """The reference: the busiest applicant erased by the same job bodies, run inline
    (no broker, no worker), from the same data on the same PostgreSQL schemas."""
    home = tmp_path_factory.mktemp("clean-erasure")
    company = make_company(request, "postgresql", company_files, home)
    email = busiest_candidate(company)
    engine = create_store_engine(copy_store(platform_store_template, home))
    runtime = build_runtime(
        settings=Settings(public_url="https://privacy.test"),
        datamap=company.datamap,
        keyring=keyring,
        sessions=session_factory(engine),
        connectors=registry_factory(
            company.datamap, base_dir=company.base_dir, environ=company.environ
        ),
        environ=company.environ,
        mailer=MemoryMailer(),
    )
    try:
        with ChangeLog(company).installed() as log:
            with runtime.sessions() as session:
                intake = Intake(request_type="erasure", email=email, country="FR")
                reference = submit_request(session, ctx=runtime.ctx, intake=intake)
                session.commit()
                ref = reference.request.reference
                confirm_identity(session, ctx=runtime.ctx, reference=ref, actor="staff:test")
                approve_request(session, ctx=runtime.ctx, reference=ref, actor="staff:test")
                session.commit()  # the erasure runs here, inline
            with runtime.sessions() as session:
                done = repository.by_reference(session, reference=ref)
                assert done is not None
                assert done.status.value in FINISHED, done
                status = done.status.value
            return CleanErasure(email, status, log.changes(), snapshot(company))
    finally:
        engine.dispose()
