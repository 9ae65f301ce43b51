"""The fault tests' world: one installation per broker and test module — a PostgreSQL
platform store (copied from one built by the migrations), the example company on
PostgreSQL, a broker of its own (a private redis-server, or a fresh RabbitMQ vhost), a real
SMTP server, and two `lawful worker` subprocesses with short leases, polls and retries.

Faults are made and undone from here: a worker killed, the broker stopped, a datastore
behind a proxy that is closed, the mail server stopped. Before each test the installation is
whole again (workers alive, everything up); every process and server started here is stopped
in a fixture's teardown, failed test or not."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import sqlalchemy as sa
import yaml
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from lawful.config import Settings
from lawful.datamap.loader import load_datamap
from lawful.engine.datastores import registry_factory
from lawful.platform import RunningPlatform as Platform
from lawful.platform import open_platform
from lawful.requests import repository
from lawful.requests.intake import Intake
from lawful.requests.mail import MemoryMailer
from lawful.requests.models import RequestEvent
from lawful.requests.service import approve_request, confirm_identity, submit_request
from lawful.store.crypto import Keyring
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import upgrade_database
from lawful.store.tasks import OPEN, Task
from lawful.worker.jobs import build_runtime

from ..conftest import PG_ADMIN_URL, Inbox, free_port, make_company
from ..conftest import ExampleCompany as ExampleCompany

LAWFUL = str(Path(sys.executable).parent / "lawful")
KEY = base64.b64encode(bytes(range(32))).decode()
DEADLINE = 30.0  # seconds any awaited outcome may take before the test fails
# Short leases, polls and retries, so a lost worker, message or attempt shows in seconds.
FAST = {
    "LAWFUL_JOB_LEASE_SECONDS": "2",
    "LAWFUL_JOB_POLL_SECONDS": "0.3",
    "LAWFUL_JOB_RETRY_SECONDS": "0.3",
    "LAWFUL_JOB_RETRY_MAX_SECONDS": "1",
    "LAWFUL_JOB_REPUBLISH_SECONDS": "2",
}
FINISHED = {"completed", "partially_completed", "forwarded"}
DOWN_SYSTEM = "ats"  # reached through a proxy the tests can close
T = TypeVar("T")


def wait_until(
    check: Callable[[], T | None], what: str | Callable[[], str], *, timeout: float = DEADLINE
) -> T:
    """`check()`'s first truthy value, polled until `timeout`; else the test fails, saying
    `what` was awaited (a callable: the state at that moment)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            said = what() if callable(what) else what
            raise AssertionError(f"not within {timeout:.0f} s: {said}")
        time.sleep(0.05)


# --- the platform store: PostgreSQL, copied from a template built by the migrations ------------


@pytest.fixture(scope="session")
def store_template(pg_database_factory: Callable[[str], str]) -> str:
    url = pg_database_factory("lawful_worker_template")
    upgrade_database(url=url)
    return url.rsplit("/", 1)[1]


@contextmanager
def store_copy(template: str) -> Iterator[str]:
    """A fresh platform store (CREATE DATABASE … TEMPLATE), dropped after the block."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"lawful_worker_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# --- brokers: a private redis-server, or a fresh RabbitMQ vhost --------------------------------


class RedisServer:
    """A redis-server of the tests' own, without persistence: what it holds when it stops
    is lost, as on a broker restarted without persistence."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", str(self.directory)]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(self._answers, f"redis-server on port {self.port} answers", timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def _answers(self) -> bool:
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False
        finally:
            client.close()


def rabbitmqctl(*args: str) -> None:
    done = subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"rabbitmqctl {' '.join(args)}: {done.stdout}{done.stderr}"


@dataclass
class Broker:
    kind: str
    url: str
    down: Callable[[], None]
    up: Callable[[], None]

    @contextmanager
    def stopped(self) -> Iterator[None]:
        """The broker stopped for the block, started again after it (even on failure)."""
        self.down()
        try:
            yield
        finally:
            self.up()


@pytest.fixture(scope="module")
def broker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Broker]:
    """The installation's broker (tests choose it with indirect parametrization): nobody
    else's messages in it, none of ours left behind."""
    kind = getattr(request, "param", "redis")
    if kind == "redis":
        server = RedisServer(tmp_path_factory.mktemp("redis"))
        server.start()
        try:
            yield Broker("redis", f"redis://127.0.0.1:{server.port}/0", server.stop, server.start)
        finally:
            server.stop()
        return
    vhost = f"lawful-test-{uuid.uuid4().hex[:10]}"
    rabbitmqctl("add_vhost", vhost)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield Broker(
            "rabbitmq",
            f"amqp://guest:guest@127.0.0.1:5672/{vhost}",
            lambda: rabbitmqctl("stop_app"),
            lambda: rabbitmqctl("start_app"),
        )
    finally:
        rabbitmqctl("delete_vhost", vhost)


# --- a datastore that can go down: a TCP proxy in front of it ----------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:`port` to the server at `target`. Closed, it refuses connections
    and cuts those open, as a datastore that went down; opened again, it forwards again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self._listener is not None

    def open(self) -> None:
        if self._listener is not None:
            return
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.1)
        self._spawn(self._accept, self._listener)

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        listener.close()
        for sock in sockets:
            sock.close()

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            self._spawn(self._pump, client, upstream)
            self._spawn(self._pump, upstream, client)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def through(proxy: TcpProxy, url: str) -> str:
    parts = urlsplit(url)
    netloc = (
        f"{parts.username}@127.0.0.1:{proxy.port}" if parts.username else f"127.0.0.1:{proxy.port}"
    )
    return urlunsplit(parts._replace(netloc=netloc))


# --- the mail server, on a port that stays the same when it stops and starts -------------------


class MailServer:
    def __init__(self) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is None:
            self._controller = Controller(
                self.inbox, hostname="127.0.0.1", port=self.port, server_hostname="localhost"
            )
            self._controller.start()

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()


# --- the installation: workers, and the staff's side -------------------------------------------


@dataclass
class WorkerProcess:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


@dataclass
class Installation:
    """What `lawful worker` and the staff's app share: the store, broker, map, mail server."""

    company: ExampleCompany
    store_url: str
    store: sa.Engine
    broker: Broker
    map_path: Path
    mail: MailServer
    proxy: TcpProxy
    logs: Path
    workers: list[WorkerProcess] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        system_url = f"{DOWN_SYSTEM.upper()}_URL"
        return {
            **os.environ,
            **self.company.environ,
            system_url: through(self.proxy, self.company.environ[system_url]),
            **FAST,
            "LAWFUL_DATABASE_URL": self.store_url,
            "LAWFUL_ENCRYPTION_KEY": KEY,
            "LAWFUL_BROKER_URL": self.broker.url,
            "LAWFUL_MAP_PATH": str(self.map_path),
            "LAWFUL_DATASTORE_DIR": str(self.company.base_dir),
            "LAWFUL_PUBLIC_URL": "https://privacy.test",
            "LAWFUL_SMTP_HOST": "127.0.0.1",
            "LAWFUL_SMTP_PORT": str(self.mail.port),
            "LAWFUL_SMTP_STARTTLS": "false",
        }

    # --- workers ---

    def live_workers(self) -> list[WorkerProcess]:
        return [w for w in self.workers if w.alive]

    def ensure_workers(self, count: int = 2) -> list[WorkerProcess]:
        """`count` workers alive, new ones started (under new names) and seen."""
        started = [self._start_worker() for _ in range(count - len(self.live_workers()))]
        for worker in started:
            wait_until(
                partial(self._seen, worker),
                partial(self._started_log, worker),
            )
        return self.live_workers()

    def stop_workers(self) -> None:
        live = self.live_workers()
        for worker in live:
            worker.process.send_signal(signal.SIGTERM)
        for worker in live:
            try:
                worker.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait(timeout=10)

    def _start_worker(self) -> WorkerProcess:
        name = f"w{len(self.workers) + 1}"
        log = self.logs / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [LAWFUL, "worker", "--name", name],
                env=self.env(),
                cwd=self.logs,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = WorkerProcess(name, process, log)
        self.workers.append(worker)
        return worker

    def _started_log(self, worker: WorkerProcess) -> str:
        return f"worker {worker.name} started; its log:\n{self.log_tail(worker)}"

    def _seen(self, worker: WorkerProcess) -> bool:
        if not worker.alive:
            raise AssertionError(f"worker {worker.name} exited:\n{self.log_tail(worker)}")
        query = sa.text("SELECT count(*) FROM workers WHERE name = :n")
        with self.store.connect() as conn:
            return bool(conn.execute(query, {"n": worker.name}).scalar_one())

    def log_tail(self, worker: WorkerProcess, lines: int = 30) -> str:
        return "\n".join(worker.log.read_text(errors="replace").splitlines()[-lines:])

    def logs_tail(self) -> str:
        return "\n".join(f"--- {w.name}\n{self.log_tail(w)}" for w in self.workers)

    # --- the staff's side ---

    def settings(self) -> Settings:
        values = {
            key.removeprefix("LAWFUL_").lower(): value
            for key, value in self.env().items()
            if key.startswith("LAWFUL_")
        }
        return Settings.model_validate(values)

    @contextmanager
    def staff(self) -> Iterator[Platform]:
        """The app as staff and the person use it: it commits, the workers run the jobs."""
        with open_platform(self.settings(), loaded=load_datamap(self.map_path)) as platform:
            yield platform

    # --- what the store says ---

    def tasks(self, **where: Any) -> list[Task]:
        with Session(self.store) as session:
            query = sa.select(Task).filter_by(**where).order_by(Task.created_at)
            found = list(session.scalars(query))
            session.expunge_all()
            return found

    def wait_tasks_done(self, **where: Any) -> list[Task]:
        """The tasks matching `where`, once none of them is open any more."""

        def settled() -> list[Task] | None:
            found = self.tasks(**where)
            return found if found and all(t.status not in OPEN for t in found) else None

        return wait_until(
            settled, lambda: f"tasks {where} finished: {self.tasks(**where)}\n{self.logs_tail()}"
        )

    def status(self, reference: str) -> str:
        with Session(self.store) as session:
            request = repository.by_reference(session, reference=reference)
            assert request is not None
            return request.status.value

    def request_id(self, reference: str) -> str:
        with Session(self.store) as session:
            request = repository.by_reference(session, reference=reference)
            assert request is not None
            return request.id

    def timeline(self, reference: str) -> list[RequestEvent]:
        with Session(self.store) as session:
            request = repository.by_reference(session, reference=reference)
            assert request is not None
            events = list(request.events)
            session.expunge_all()
            return events

    def actions(self, reference: str) -> list[str]:
        return [event.action for event in self.timeline(reference)]

    def wait_finished(self, reference: str, *, timeout: float = DEADLINE) -> str:
        """The request's final status, once its execution closed it."""

        def finished() -> str | None:
            status = self.status(reference)
            return status if status in FINISHED else None

        def stuck() -> str:
            tasks = self.tasks(request_id=self.request_id(reference))
            states = [(t.kind, t.status.value, t.attempts, t.last_error) for t in tasks]
            return f"request {reference} finished; its tasks: {states}\n{self.logs_tail()}"

        return wait_until(finished, stuck, timeout=timeout)


def write_map(company: ExampleCompany, path: Path) -> Path:
    """The map pointed at the company's PostgreSQL copy, as YAML a worker reads."""
    document = company.datamap.model_dump(mode="json", exclude_none=True)
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return path


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
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Installation]:
    home = tmp_path_factory.mktemp("installation")
    target = urlsplit(company.environ[f"{DOWN_SYSTEM.upper()}_URL"])
    proxy, mail = TcpProxy((target.hostname or "127.0.0.1", target.port or 5432)), MailServer()
    with store_copy(store_template) as store_url:
        store = sa.create_engine(store_url)
        site = Installation(
            company,
            store_url,
            store,
            broker,
            write_map(company, home / "lawful.yaml"),
            mail,
            proxy,
            home,
        )
        try:
            yield site
        finally:
            site.stop_workers()
            proxy.close()
            mail.stop()
            store.dispose()


@pytest.fixture
def site(installation: Installation) -> Installation:
    """The installation whole again: everything up, two workers alive."""
    installation.proxy.open()
    installation.mail.start()
    installation.ensure_workers(2)
    return installation


# --- the person and the staff's steps ---------------------------------------------------------


def candidate_emails(company: ExampleCompany, count: int, *, offset: int, avoid: str) -> list[str]:
    """`count` job applicants of the example company from `offset` on, but not `avoid`
    (tests take different offsets: the company has 40 applicants)."""
    rows = company.query(
        "ats",
        "SELECT email FROM candidates WHERE email IS NOT NULL AND email <> :avoid "
        "ORDER BY candidate_id LIMIT :n OFFSET :o",
        n=count,
        o=offset,
        avoid=avoid,
    )
    emails = [str(row["email"]) for row in rows]
    assert len(emails) == count, f"only {len(emails)} applicants from offset {offset}"
    return emails


def submit(platform: Platform, email: str, kind: str = "erasure") -> str:
    with platform.sessions() as session:
        intake = Intake(request_type=kind, email=email, country="FR")
        submitted = submit_request(session, ctx=platform.requests, intake=intake)
        session.commit()
        return submitted.request.reference


def approve(platform: Platform, reference: str, *, max_attempts: int | None = None) -> None:
    """Staff confirm who the person is and approve: the execution is queued (with
    `max_attempts`, its task gives up sooner than the kind's default)."""
    with platform.sessions() as session:
        confirm_identity(session, ctx=platform.requests, reference=reference, actor="staff:test")
        approve_request(session, ctx=platform.requests, reference=reference, actor="staff:test")
        if max_attempts is not None:
            for task in [t for t in session.new if isinstance(t, Task)]:
                task.max_attempts = max_attempts
        session.commit()


# --- every row change in the company's databases, counted by triggers ------------------------

CHANGE_LOG = """
CREATE TABLE IF NOT EXISTS public.worker_test_changes (
    n bigserial PRIMARY KEY, tbl text, row_key text, op text);
CREATE OR REPLACE FUNCTION public.worker_test_change() RETURNS trigger AS $$
DECLARE key text := '';
BEGIN
  FOR i IN 0 .. TG_NARGS - 1 LOOP
    key := key || '/' || coalesce(to_jsonb(OLD) ->> TG_ARGV[i], '');
  END LOOP;
  INSERT INTO public.worker_test_changes (tbl, row_key, op)
    VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, key, TG_OP);
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""
PRIMARY_KEYS = """
SELECT tc.table_schema || '.' || tc.table_name, kcu.column_name
FROM information_schema.table_constraints tc
JOIN information_schema.key_column_usage kcu
  ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = ANY(:schemas)
ORDER BY 1, kcu.ordinal_position
"""
Change = tuple[str, str, str]  # schema.table, primary key, UPDATE or DELETE


class ChangeLog:
    """A trigger on every table of the company logging each row updated or deleted (by its
    primary key), in the transaction that changed it: a write rolled back leaves no line."""

    def __init__(self, company: ExampleCompany) -> None:
        self.engine = next(iter(company.engines.values()))
        self.keys: dict[str, list[str]] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(PRIMARY_KEYS), {"schemas": list(company.engines)})
            for table, column in rows:
                self.keys.setdefault(table, []).append(column)

    @contextmanager
    def installed(self) -> Iterator[ChangeLog]:
        """Logging for the block; the triggers dropped after it (other tests refill these
        tables)."""
        with self.engine.begin() as conn:
            conn.exec_driver_sql(CHANGE_LOG)
            conn.exec_driver_sql("TRUNCATE public.worker_test_changes")
            for table, columns in self.keys.items():
                arguments = ", ".join(f"'{c}'" for c in columns)
                conn.exec_driver_sql(
                    f"CREATE TRIGGER worker_test_change AFTER UPDATE OR DELETE ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION public.worker_test_change({arguments})"
                )
        try:
            yield self
        finally:
            with self.engine.begin() as conn:
                for table in self.keys:
                    conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS worker_test_change ON {table}")
                conn.exec_driver_sql("DROP TABLE IF EXISTS public.worker_test_changes")

    def changes(self) -> list[Change]:
        """Every row change committed, in the order they were made."""
        with self.engine.connect() as conn:
            query = "SELECT tbl, row_key, op FROM public.worker_test_changes ORDER BY n"
            return [(r[0], r[1], r[2]) for r in conn.exec_driver_sql(query)]


def snapshot(company: ExampleCompany) -> dict[str, dict[Any, dict[str, Any]]]:
    return {did: company.table(did) for did in company.datamap.datasets}


def busiest_candidate(company: ExampleCompany) -> str:
    """The applicant with the most applications: an erasure of many steps."""
    rows = company.query(
        "ats",
        "SELECT c.email FROM candidates c JOIN applications a USING (candidate_id) "
        "WHERE c.email IS NOT NULL GROUP BY c.candidate_id, c.email "
        "ORDER BY count(*) DESC, c.candidate_id LIMIT 1",
    )
    return str(rows[0]["email"])


@dataclass(frozen=True)
class CleanErasure:
    """One uninterrupted erasure of `email` from the example company's starting data."""

    email: str
    status: str
    changes: list[Change]
    snapshot: dict[str, dict[Any, dict[str, Any]]]


@pytest.fixture(scope="session")
def clean_erasure(
    request: pytest.FixtureRequest,
    company_files: Path,
    platform_store_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> CleanErasure:
    """The reference: the busiest applicant erased by the same job bodies, run inline
    (no broker, no worker), from the same data on the same PostgreSQL schemas."""
    home = tmp_path_factory.mktemp("clean-erasure")
    company = make_company(request, "postgresql", company_files, home)
    email = busiest_candidate(company)
    shutil.copy(platform_store_template, home / "lawful.db")
    engine = create_store_engine(f"sqlite:///{home / 'lawful.db'}")
    runtime = build_runtime(
        settings=Settings(public_url="https://privacy.test"),
        datamap=company.datamap,
        keyring=Keyring.from_master(bytes(range(32))),
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
