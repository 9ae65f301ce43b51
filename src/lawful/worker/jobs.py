"""Wiring: every domain's job kinds in one handler, a runner and a poller for a platform,
and the service that runs them inside `lawful serve` when no broker is configured.

One code path: `lawful serve` (in-process) and `lawful worker` (Celery) build the same
handler from the same bodies here; they differ only in who hands the task ids over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

import httpx
from sqlalchemy.orm import Session, sessionmaker

from lawful.config import Settings
from lawful.consent.expiry import expire_once
from lawful.consent.reconsent import RECONSENT_JOB
from lawful.consent.reconsent_mail import ReconsentMail, send_batch
from lawful.datamap.models import DataMap
from lawful.discovery.service import DISCOVERY_SCAN
from lawful.discovery.tasks import scan_and_record
from lawful.engine.datastores import ConnectorFactory, DatastorePool
from lawful.engine.models import JobStatus
from lawful.interop.drp.callbacks import job_bodies as drp_job_bodies
from lawful.interop.opendsr.jobs import job_bodies as opendsr_job_bodies
from lawful.interop.opendsr.service import purge_results as purge_opendsr_results
from lawful.markers.hooks import decision_hook
from lawful.markers.service import WEBHOOK_JOB as MARKERS_WEBHOOK
from lawful.markers.tasks import deliver_change
from lawful.requests import hooks
from lawful.requests.context import RequestPolicy, RequestsContext
from lawful.requests.execution import EngineEnv
from lawful.requests.mail import Mail, Mailer, MailError, mailer_from_settings
from lawful.requests.records import expire_unverified_requests, purge_expired_records
from lawful.requests.tasks import RequestsRuntime, job_bodies, record_gave_up
from lawful.retention.holds import legal_holds_on
from lawful.retention.schedule import OPERATOR, SWEEP_TASK, sweep_once
from lawful.store.checkpoints import session_trail, write_checkpoint
from lawful.store.crypto import Keyring
from lawful.store.models import utcnow
from lawful.store.tasks import (
    Dispatcher,
    Handler,
    Payload,
    RetryLaterError,
    defer_job,
    prune_done_tasks,
)
from lawful.worker.inprocess import InProcessQueue
from lawful.worker.poller import Poller, Scheduled
from lawful.worker.runner import RetryPolicy, TaskRunner

if TYPE_CHECKING:
    from lawful.http.platform import Platform

logger = logging.getLogger("lawful.worker")
Body = Callable[[Payload], None]
RETENTION_SWEEP = SWEEP_TASK
REQUESTS_HOUSEKEEPING = "requests.housekeeping"
CONSENT_EXPIRE = "consent.expire"
AUDIT_CHECKPOINT = "audit.checkpoint"
SCAN_SCHEDULES = {"off": None, "daily": timedelta(days=1), "weekly": timedelta(days=7)}
DONE_TASKS_KEPT = timedelta(days=30)  # finished tasks: kept a month for the Jobs page


class UnknownJobError(Exception):
    """A task of a kind this version of Lawful does not know (a newer one queued it?)."""


def compose(bodies: Mapping[str, Body]) -> Handler:
    def run(kind: str, payload: Payload) -> None:
        body = bodies.get(kind)
        if body is None:
            raise UnknownJobError(kind)
        body(payload)

    return run


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        timedelta(seconds=settings.job_retry_seconds),
        timedelta(seconds=settings.job_retry_max_seconds),
    )


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def build_runtime(
    *,
    settings: Settings,
    datamap: DataMap,
    keyring: Keyring,
    sessions: sessionmaker[Session],
    connectors: ConnectorFactory,
    environ: Mapping[str, str],
    queue: Dispatcher | None = None,
    mailer: Mailer | None = None,
    clock: Callable[[], datetime] = utcnow,
    http: Callable[[], httpx.Client] = httpx.Client,
) -> RequestsRuntime:
    """The requests runtime for a command or a test: jobs run inline unless `queue` says."""
    jobs = queue or InProcessQueue()
    hooks.register_decision_hook("markers", decision_hook(jobs))
    ctx = RequestsContext(datamap, keyring, RequestPolicy.from_settings(settings), jobs)
    runtime = RequestsRuntime(
        ctx=ctx,
        engine=EngineEnv(datamap, keyring, sessions, connectors, legal_holds_on),
        mailer=mailer or mailer_from_settings(settings, datamap=datamap),
        environ=environ,
        http=http,
        clock=clock,
    )
    if isinstance(jobs, InProcessQueue):
        bodies = {**job_bodies(runtime), **drp_job_bodies(runtime)}
        handler = compose(bodies | opendsr_job_bodies(runtime, settings))
        jobs.bind(task_runner(settings, runtime, handler, name=worker_name(), clock=clock))
    return runtime


def task_runner(
    settings: Settings,
    runtime: RequestsRuntime,
    handler: Handler,
    *,
    name: str,
    clock: Callable[[], datetime] = utcnow,
) -> TaskRunner:
    """A runner with the installation's lease and retries; a job that fails for good is
    told to its request's timeline."""
    return TaskRunner(
        runtime.sessions,
        handler,
        name=name,
        lease=timedelta(seconds=settings.job_lease_seconds),
        retry=retry_policy(settings),
        on_failed=partial(record_gave_up, runtime),
        clock=clock,
    )


# --- a platform's jobs (the web app, a worker) ------------------------------------------------


def platform_runtime(platform: Platform, *, kept: DatastorePool | None) -> RequestsRuntime:
    """`kept`: the worker's connectors, kept per thread between runs."""
    return RequestsRuntime(
        ctx=platform.context(RequestsContext),
        engine=EngineEnv(
            platform.datamap,
            platform.keyring,
            platform.sessions,
            platform.connectors,
            legal_holds_on,
            kept,
        ),
        mailer=mailer_from_settings(platform.settings, datamap=platform.datamap),
        environ=os.environ,
    )


def platform_bodies(platform: Platform, runtime: RequestsRuntime) -> dict[str, Body]:
    """Every job kind a platform runs: the workflow's, sweeps and housekeeping."""
    return {
        **job_bodies(runtime),
        **drp_job_bodies(runtime),
        **opendsr_job_bodies(runtime, platform.settings),
        RETENTION_SWEEP: lambda payload: _sweep(platform, payload),
        REQUESTS_HOUSEKEEPING: lambda payload: _housekeeping(platform),
        CONSENT_EXPIRE: lambda payload: expire_once(platform.sessions),
        AUDIT_CHECKPOINT: lambda payload: _audit_checkpoint(platform),
        DISCOVERY_SCAN: lambda payload: _discovery_scan(platform, payload),
        MARKERS_WEBHOOK: lambda payload: deliver_change(
            platform.sessions,
            datamap=platform.datamap,
            keyring=platform.keyring,
            environ=os.environ,
            payload=payload,
        ),
        RECONSENT_JOB: lambda payload: _reconsent(platform, runtime.mailer, payload),
    }


def reconsent_delivery(mailer: Mailer) -> Callable[[ReconsentMail], None]:
    """The re-consent mails through the platform's mailer."""

    def deliver(mail: ReconsentMail) -> None:
        mailer.send(Mail(to=mail.to, subject=mail.subject, text=mail.text, html=mail.html,
                         kind="reconsent"))  # fmt: skip

    return deliver


def _reconsent(platform: Platform, mailer: Mailer, payload: Payload) -> None:
    """One batch of a re-consent run; the next batch is its own task."""
    try:
        remaining = send_batch(
            platform.sessions,
            run_id=int(str(payload["run_id"])),
            datamap=platform.datamap,
            keyring=platform.keyring,
            public_url=platform.settings.public_url,
            deliver=reconsent_delivery(mailer),
        )
    except MailError as error:  # that person waits; the task runs again later
        raise RetryLaterError(f"the mail server did not take a re-consent mail: {error}") from None
    if remaining:
        with platform.sessions() as session:
            defer_job(session, queue=platform.jobs, kind=RECONSENT_JOB, payload=dict(payload))
            session.commit()


def _sweep(platform: Platform, payload: Payload) -> None:
    """A scheduled sweep, or one staff asked for (`requested_by`: named in its evidence)."""
    settings = platform.settings
    report = sweep_once(
        platform.sessions,
        datamap=platform.datamap,
        keyring=platform.keyring,
        base_dir=settings.datastore_dir or platform.loaded_map.path.parent,
        environ=os.environ,
        batch_size=settings.retention_batch_size,
        operator=str(payload.get("requested_by") or OPERATOR),
    )
    if report.job.status is not JobStatus.done:  # resumed by the next attempt
        raise RetryLaterError("the retention sweep did not finish; it resumes")


def _discovery_scan(platform: Platform, payload: Payload) -> None:
    """A scheduled scan (no payload: every SQL system) or one staff asked for."""
    systems = payload.get("systems")
    scan_and_record(
        platform.sessions,
        datamap=platform.datamap,
        base_dir=platform.settings.datastore_dir or platform.loaded_map.path.parent,
        environ=os.environ,
        requested_by=str(payload.get("requested_by") or "schedule"),
        systems=[str(s) for s in systems] if isinstance(systems, list) else None,
    )


def _housekeeping(platform: Platform) -> None:
    with platform.sessions() as session:
        expire_unverified_requests(session, ctx=platform.context(RequestsContext))
        purge_expired_records(session, ctx=platform.context(RequestsContext))
        prune_done_tasks(session, before=utcnow() - DONE_TASKS_KEPT)
        purge_opendsr_results(session, now=utcnow())
        session.commit()


def _audit_checkpoint(platform: Platform) -> None:
    """Sign the trail's head and send it out: a quiet trail is checkpointed too, so entries
    cut from its end are found (docs/security.md, "Audit trail")."""
    with platform.sessions() as session:
        write_checkpoint(session, trail=session_trail(session))


def platform_runner(platform: Platform, *, name: str, kept: DatastorePool) -> TaskRunner:
    runtime = platform_runtime(platform, kept=kept)
    handler = compose(platform_bodies(platform, runtime))
    return task_runner(platform.settings, runtime, _fresh_after_failure(handler, kept), name=name)


def _fresh_after_failure(handler: Handler, kept: DatastorePool) -> Handler:
    """A failed job may leave this thread's kept connectors broken (a datastore went away):
    the next job on the thread opens them afresh."""

    def run(kind: str, payload: Payload) -> None:
        try:
            handler(kind, payload)
        except Exception:
            kept.discard_thread()
            raise

    return run


def scheduled_work(settings: Settings) -> list[Scheduled]:
    """The work a platform's pollers queue on their own, one task per slot."""
    scheduled = [
        Scheduled(REQUESTS_HOUSEKEEPING, timedelta(days=1)),
        Scheduled(CONSENT_EXPIRE, timedelta(days=1)),
    ]
    if settings.audit_checkpoint_minutes > 0:
        every = timedelta(minutes=settings.audit_checkpoint_minutes)
        scheduled.append(Scheduled(AUDIT_CHECKPOINT, every))
    if settings.retention_interval_hours > 0:
        scheduled.append(
            Scheduled(RETENTION_SWEEP, timedelta(hours=settings.retention_interval_hours))
        )
    scan_every = SCAN_SCHEDULES[settings.discovery_scan_schedule]
    if scan_every is not None:
        scheduled.append(Scheduled(DISCOVERY_SCAN, scan_every))
    return scheduled


def platform_poller(platform: Platform, runner: TaskRunner, *, name: str | None) -> Poller:
    settings = platform.settings
    return Poller(
        platform.sessions,
        platform.jobs,
        republish_after=timedelta(seconds=settings.job_republish_seconds),
        on_failed=runner.gave_up,
        scheduled=scheduled_work(settings),
        worker_name=name,
    )


@contextmanager
def polling(poller: Poller, *, interval: float) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(
        target=poller.run,
        kwargs={"interval": interval, "stop": stop},
        name="lawful-poller",
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)


@contextmanager
def worker_service(platform: Platform) -> Iterator[None]:
    """A service of the web app (`lawful.worker.routes`): with no broker, run the jobs here
    (a background thread) and poll for retries and scheduled work; with one, `lawful worker`
    does."""
    if not isinstance(platform.jobs, InProcessQueue):
        yield
        return
    with kept_datastores(platform) as kept:
        runner = platform_runner(platform, name=worker_name(), kept=kept)
        platform.jobs.bind(runner)
        poller = platform_poller(platform, runner, name=None)
        with polling(poller, interval=platform.settings.job_poll_seconds):
            yield
        platform.jobs.close()  # the queued jobs run while their connectors are still open


@contextmanager
def kept_datastores(platform: Platform) -> Iterator[DatastorePool]:
    """A worker's connectors, kept per thread between runs and closed when it stops."""
    pool = DatastorePool(platform.connectors)
    try:
        yield pool
    finally:
        pool.close()
