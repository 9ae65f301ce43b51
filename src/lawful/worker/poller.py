"""The poller: what the store knows and no broker message says. Every `job_poll_seconds`
it hands over again the tasks that wait for it (retries now due, tasks whose worker died
and whose lease lapsed, tasks whose message was lost, e.g. with a broker restarted without
persistence), marks failed the tasks whose worker died on their last attempt, queues the
scheduled work once per slot (however many pollers run), and records the worker's
heartbeat. It runs in every `lawful worker`, and in `lawful serve` when jobs run in-process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lawful.store.models import utcnow
from lawful.store.tasks import Dispatcher, Task, TaskStatus, Worker, defer_job, lane_of
from lawful.worker.runner import FailedHook

logger = logging.getLogger("lawful.worker")
T = TaskStatus
HANDOVER_BATCH = 500


@dataclass(frozen=True)
class Scheduled:
    """Work queued every `every` (one task per slot, e.g. a retention sweep)."""

    kind: str
    every: timedelta


@dataclass
class Poller:
    sessions: sessionmaker[Session]
    dispatcher: Dispatcher
    republish_after: timedelta
    on_failed: FailedHook | None = None
    scheduled: Sequence[Scheduled] = ()
    worker_name: str | None = None  # a `lawful worker`: its heartbeat row
    clock: Callable[[], datetime] = utcnow
    started_at: datetime = field(default_factory=utcnow)

    def tick(self, *, recover: bool = False) -> int:
        """One round; `recover` (at start) hands over every waiting task whatever its age.
        Returns how many tasks were handed over."""
        now = self.clock()
        self._give_up_lost(now)
        for work in self.scheduled:
            self._schedule(work, now)
        handed = self._hand_over(now, recover=recover)
        if self.worker_name:
            self._heartbeat(now, handed)
        return handed

    def run(self, *, interval: float, stop: threading.Event) -> None:
        """Tick until `stop` is set; a failing tick (store down) is logged and retried."""
        recover = True
        while not stop.is_set():
            try:
                self.tick(recover=recover)
                recover = False
            except Exception as error:
                logger.warning("poller: %s; trying again", type(error).__name__)
            stop.wait(interval)

    def _waiting_condition(self, now: datetime, *, recover: bool) -> ColumnElement[bool]:
        stale = now - self.republish_after
        due = or_(Task.status == T.queued, and_(Task.status == T.retrying, Task.run_after <= now))
        lapsed = and_(
            Task.status == T.running, Task.lease_until < now, Task.attempts < Task.max_attempts
        )
        not_recent = or_(
            and_(Task.published_at.is_(None), Task.created_at < stale),
            Task.published_at < stale,
            and_(Task.status == T.retrying, Task.published_at < Task.run_after),
            and_(Task.status == T.retrying, Task.published_at.is_(None)),
            and_(Task.status == T.running, Task.published_at < Task.lease_until),
            and_(Task.status == T.running, Task.published_at.is_(None)),
        )
        return or_(due, lapsed) if recover else and_(or_(due, lapsed), not_recent)

    def _waiting(self, now: datetime, *, recover: bool) -> list[str]:
        with self.sessions() as session:
            rows = session.execute(
                select(Task.id, Task.status)
                .where(self._waiting_condition(now, recover=recover))
                .order_by(Task.run_after)
                .limit(HANDOVER_BATCH)
            ).all()
        queued = [task_id for task_id, status in rows if status is T.queued]
        others = [task_id for task_id, status in rows if status is not T.queued]
        if queued and not recover and self._broker_holds(len(queued)):
            queued = []
        return others + queued

    def _broker_holds(self, count: int) -> bool:
        """Whether the broker still has at least `count` messages waiting: then the tasks
        merely wait their turn behind a long queue, and sending them again would only pile
        up duplicates. Once the queue drains (or a restart emptied it), they go again."""
        waiting = getattr(self.dispatcher, "waiting", None)
        if waiting is None:
            return False
        depth = waiting()
        return depth is not None and depth >= count

    def _hand_over(self, now: datetime, *, recover: bool) -> int:
        ids = self._waiting(now, recover=recover)
        if not ids:
            return 0
        with self.sessions() as session:
            # The same condition again, so that of several pollers only one hands a task over.
            handed = session.execute(
                update(Task)
                .where(Task.id.in_(ids), self._waiting_condition(now, recover=recover))
                .values(published_at=now)
                .returning(Task.id, Task.kind)
                .execution_options(synchronize_session=False)
            ).all()
            session.commit()
        if not handed:
            return 0
        by_lane: dict[str, list[str]] = {}
        for task_id, kind in handed:
            by_lane.setdefault(lane_of(kind), []).append(task_id)
        for lane, lane_ids in by_lane.items():
            self.dispatcher.dispatch(lane_ids, lane=lane)
        logger.info("poller: handed over %d waiting task(s)", len(handed))
        return len(handed)

    def _give_up_lost(self, now: datetime) -> None:
        """Tasks whose worker died during their last allowed attempt: failed, for staff."""
        with self.sessions() as session:
            lost = session.execute(
                select(Task.id, Task.kind, Task.payload).where(
                    Task.status == T.running,
                    Task.lease_until < now,
                    Task.attempts >= Task.max_attempts,
                )
            ).all()
            message = "the worker running it stopped on its last attempt"
            for task_id, kind, payload in lost:
                marked = session.execute(
                    update(Task)
                    .where(Task.id == task_id, Task.status == T.running, Task.lease_until < now)
                    .values(status=T.failed, finished_at=now, last_error=message, lease_until=None)
                    .execution_options(synchronize_session=False)
                )
                session.commit()
                if marked.rowcount == 1 and self.on_failed is not None:  # type: ignore[attr-defined]
                    self.on_failed(kind, dict(payload), message)  # once, whatever polls

    def _schedule(self, work: Scheduled, now: datetime) -> None:
        slot = int(now.timestamp() // work.every.total_seconds())
        key = f"{work.kind}:{slot}"
        with self.sessions() as session:
            if session.scalar(select(Task.id).where(Task.dedupe_key == key)) is not None:
                return
            defer_job(session, queue=self.dispatcher, kind=work.kind, payload={}, dedupe_key=key)
            try:
                session.commit()
            except IntegrityError:  # another poller queued this slot first
                session.rollback()

    def _heartbeat(self, now: datetime, handed: int) -> None:
        assert self.worker_name is not None
        with self.sessions() as session:
            row = session.get(Worker, self.worker_name)
            if row is None:
                row = Worker(
                    name=self.worker_name,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    started_at=self.started_at,
                )
                session.add(row)
            # A worker restarted under the same name (`--name`) is this process now.
            row.host, row.pid, row.started_at = socket.gethostname(), os.getpid(), self.started_at
            row.last_seen = now
            session.commit()
