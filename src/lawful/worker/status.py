"""The installation's health: the store, the broker, the workers, the jobs, and each
datastore of the map — for `lawful status` and `GET /api/v1/status`. Nothing personal:
components, counts and error classes only."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from lawful.config import Settings
from lawful.datamap.loader import LoadedMap
from lawful.datamap.models import DataMap
from lawful.engine.datastores import ConnectorFactory, registry_factory
from lawful.store.db import create_store_engine, session_factory
from lawful.store.migrate import current_revisions, head_revisions
from lawful.store.models import utcnow
from lawful.store.tasks import OPEN, Task, TaskStatus, Worker
from lawful.worker.broker import broker_health

DATASTORE_TIMEOUT = 5.0


@dataclass(frozen=True)
class Check:
    component: str
    status: str
    details: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "in-process")


@dataclass(frozen=True)
class StatusReport:
    checks: list[Check]
    checked_at: datetime

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "degraded",
            "checked_at": self.checked_at.isoformat(),
            "components": [{**asdict(c), "ok": c.ok} for c in self.checks],
        }


def installation_status(settings: Settings, *, loaded: LoadedMap) -> StatusReport:
    """For `lawful status`: opens its own connection to the store."""
    engine = create_store_engine(settings.store_url())
    base_dir = settings.datastore_dir or loaded.path.parent
    try:
        return collect_status(
            settings=settings,
            sessions=session_factory(engine),
            datamap=loaded.datamap,
            connectors=registry_factory(loaded.datamap, base_dir=base_dir, environ=os.environ),
        )
    finally:
        engine.dispose()


def collect_status(
    *,
    settings: Settings,
    sessions: sessionmaker[Session],
    datamap: DataMap,
    connectors: ConnectorFactory,
    now: Callable[[], datetime] = utcnow,
) -> StatusReport:
    checked_at = now()
    checks = [_store(settings, sessions)]
    if checks[0].ok:
        checks += _jobs(settings, sessions, checked_at)
    else:
        checks.append(Check("workers", "unknown", "the store is down"))
    checks.append(_broker(settings))
    checks += _datastores(list(datamap.systems), connectors)
    return StatusReport(checks, checked_at)


def _store(settings: Settings, sessions: sessionmaker[Session]) -> Check:
    url = settings.store_url()
    kind = url.split(":", 1)[0].split("+", 1)[0]
    try:
        with sessions() as session:
            session.execute(text("SELECT 1"))
        current = current_revisions(url=url)
    except Exception as error:
        return Check("store", "unreachable", f"{kind}: {type(error).__name__}")
    if current != head_revisions():
        return Check("store", "outdated", f"{kind}: run `lawful db upgrade`")
    return Check("store", "ok", kind)


def _broker(settings: Settings) -> Check:
    if not settings.broker_url:
        return Check("broker", "in-process", "no LAWFUL_BROKER_URL: jobs run in `lawful serve`")
    scheme = settings.broker_url.split(":", 1)[0]
    health = broker_health(settings.broker_url)
    if health["status"] != "ok":
        return Check("broker", "unreachable", f"{scheme}: {health.get('error', '')}")
    return Check("broker", "ok", f"{scheme}: {health['waiting']} message(s) waiting")


def _jobs(settings: Settings, sessions: sessionmaker[Session], now: datetime) -> list[Check]:
    alive_after = now - timedelta(seconds=max(3 * settings.job_poll_seconds, 30))
    with sessions() as session:
        workers = list(session.scalars(select(Worker).order_by(Worker.name)))
        counts = dict(
            session.execute(
                select(Task.status, func.count())
                .where(Task.status != TaskStatus.done)
                .group_by(Task.status)
            ).all()
        )
        oldest = session.scalar(select(func.min(Task.created_at)).where(Task.status.in_(OPEN)))
        alive = [w for w in workers if w.last_seen >= alive_after]
        done = dict(
            session.execute(
                select(Task.worker, func.count())
                .where(Task.status == TaskStatus.done, Task.worker.in_([w.name for w in alive]))
                .group_by(Task.worker)
            ).all()
        )
    checks = [_workers(settings, alive, workers, done)]
    waiting = sum(int(counts.get(s, 0)) for s in OPEN)
    failed = int(counts.get(TaskStatus.failed, 0))
    age = f", oldest waiting since {oldest.isoformat(timespec='seconds')}" if oldest else ""
    details = f"{waiting} waiting or running, {failed} failed{age}"
    checks.append(Check("jobs", "failed" if failed else "ok", details))
    return checks


def _workers(
    settings: Settings, alive: list[Worker], known: list[Worker], done: dict[str | None, int]
) -> Check:
    if not settings.broker_url:
        return Check("workers", "in-process", "jobs run on a thread of `lawful serve`")
    if not alive:
        return Check("workers", "none", f"no `lawful worker` seen lately ({len(known)} known)")
    names = ", ".join(f"{w.name} ({done.get(w.name, 0)} done)" for w in alive)
    return Check("workers", "ok", f"{len(alive)}: {names}")


def _datastores(systems: list[str], connectors: ConnectorFactory) -> list[Check]:
    """Every system probed at once; each answers within DATASTORE_TIMEOUT seconds or counts
    as down (a hung probe's thread is left to finish on its own)."""
    if not systems:
        return []
    pool = ThreadPoolExecutor(max_workers=min(len(systems), 16))
    futures = {system: pool.submit(_probe, system, connectors) for system in systems}
    deadline = time.monotonic() + DATASTORE_TIMEOUT
    checks = []
    for system, future in futures.items():
        name = f"datastore {system}"
        try:
            future.result(timeout=max(deadline - time.monotonic(), 0.01))
        except FutureTimeout:
            checks.append(Check(name, "unreachable", "no answer in time"))
        except Exception as error:
            checks.append(Check(name, "unreachable", type(error).__name__))
        else:
            checks.append(Check(name, "ok"))
    pool.shutdown(wait=False)
    return checks


def _probe(system: str, connectors: ConnectorFactory) -> None:
    with _opened(system, connectors) as connector:
        connector.test_connection()


@contextmanager
def _opened(system: str, connectors: ConnectorFactory) -> Iterator[Any]:
    connector = connectors(system)
    try:
        yield connector
    finally:
        connector.close()
