"""The worker tests' installation: what `lawful worker` processes and the staff's app share
(a platform store, a broker, the map, a mail server, a proxy in front of one datastore), the
workers started and killed, and what the store says about requests and tasks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from sqlalchemy.orm import Session

from lawful.config import Settings
from lawful.datamap.loader import load_datamap
from lawful.platform import RunningPlatform as Platform
from lawful.platform import open_platform
from lawful.requests import repository
from lawful.requests.intake import Intake
from lawful.requests.models import RequestEvent
from lawful.requests.service import approve_request, confirm_identity, submit_request
from lawful.store.tasks import OPEN, Task

from .brokers import Broker
from .changes import Change
from .company import ExampleCompany
from .keys import ENCRYPTION_KEY
from .mail import SMTPServer
from .proxy import TcpProxy, through
from .waiting import DEADLINE, wait_until

LAWFUL = str(Path(sys.executable).parent / "lawful")
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
    mail: SMTPServer
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
            "LAWFUL_ENCRYPTION_KEY": ENCRYPTION_KEY,
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
            wait_until(partial(self._seen, worker), partial(self._started_note, worker))
        return self.live_workers()

    def _started_note(self, worker: WorkerProcess) -> str:
        return f"worker {worker.name} started; its log:\n{self.log_tail(worker)}"

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
        values: dict[str, Any] = {
            key.removeprefix("LAWFUL_").lower(): value
            for key, value in self.env().items()
            if key.startswith("LAWFUL_")
        }
        return Settings(**values)

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
