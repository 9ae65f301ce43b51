"""Deferred jobs as durable tasks: one row per job, written in the transaction that asked
for it, handed over (to a thread of this process, or to Celery workers) only after commit.

The row is the job's truth (the broker only carries its id): a job is handed over only once
its row is committed, it is claimed under a lease before it runs, and a job whose broker
message was lost, or whose worker died, is found again here and handed over once more.
Payloads hold ids only; anything secret in them is sealed with the keyring first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import JSON, Enum, Index, Integer, String, Text, delete, event, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from lawful.store.models import Base, UTCDateTime, new_id, utcnow


class TaskStatus(StrEnum):
    queued = "queued"  # committed, waiting for a worker
    running = "running"  # claimed by a worker under a lease
    retrying = "retrying"  # failed; runs again at `run_after`
    done = "done"
    failed = "failed"  # kept failing: shown to staff, who can retry it


OPEN = (TaskStatus.queued, TaskStatus.running, TaskStatus.retrying)


def _enum(kind: type[StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Task(Base):
    """A job to run at least once, whose effects happen at most once (its body checks)."""

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_status_run_after", "status", "run_after"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(64), comment="requests.mail, retention.sweep, …")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, comment="Ids only; secrets sealed")
    request_id: Mapped[str | None] = mapped_column(
        String(32), nullable=True, index=True, comment="The rights request it works for"
    )
    dedupe_key: Mapped[str | None] = mapped_column(
        String(200), nullable=True, unique=True, comment="Scheduled work: one task per slot"
    )
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus), default=TaskStatus.queued)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, comment="Last hand-over to a broker or thread"
    )
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(
        Text, nullable=True, comment="Error class and a message without personal data"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Worker(Base):
    """A `lawful worker` process, as last seen (its heartbeat), for `lawful status`."""

    __tablename__ = "workers"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# --- deferring a job ----------------------------------------------------------------------------

logger = logging.getLogger(__name__)
Payload = dict[str, Any]
Handler = Callable[[str, Payload], None]
_PENDING = "lawful.tasks.pending"
# How often a job is tried before staff are shown it failed (each retry waits longer).
ATTEMPTS: dict[str, int] = {"requests.mail": 12, "requests.execute": 8}
DEFAULT_ATTEMPTS = 5
# Lanes: a rights request's run has its own (a thread of its own, a broker queue of its own),
# so it never waits behind mail, forwards or sweeps; every other kind shares the jobs lane.
JOBS_LANE = "jobs"
RUNS_LANE = "runs"
RUN_KINDS = frozenset({"requests.execute"})


def lane_of(kind: str) -> str:
    """The lane a task of `kind` is handed over in."""
    return RUNS_LANE if kind in RUN_KINDS else JOBS_LANE


class RetryLaterError(Exception):
    """A job could not finish for a reason that may pass (a datastore or the mail server
    down): it runs again later. The message is shown to staff: no personal data in it."""


class Dispatcher(Protocol):
    def dispatch(self, task_ids: Sequence[str], *, lane: str = JOBS_LANE) -> None:
        """Hand committed tasks over to whatever runs them (never before the commit), in
        `lane` (`lane_of` their kind)."""


def defer_job(
    session: Session,
    *,
    queue: Dispatcher,
    kind: str,
    payload: Payload,
    dedupe_key: str | None = None,
) -> Task:
    """Store a task for `kind` in this transaction; hand it over once the session commits.
    A rollback drops it with the rest (so no mail goes out about a request never stored)."""
    request_id = payload.get("request_id")
    task = Task(
        id=new_id(),
        kind=kind,
        payload=payload,
        request_id=str(request_id) if request_id else None,
        dedupe_key=dedupe_key,
        status=TaskStatus.queued,
        attempts=0,
        max_attempts=ATTEMPTS.get(kind, DEFAULT_ATTEMPTS),
        run_after=utcnow(),
    )
    session.add(task)
    dispatch_after_commit(session, queue=queue, task_id=task.id, kind=kind)
    return task


def dispatch_after_commit(session: Session, *, queue: Dispatcher, task_id: str, kind: str) -> None:
    """Hand the task (of `kind`) over to `queue` once this session commits (never before: a
    worker must find the row it is given); a rollback forgets it. For a task stored or made
    runnable again in this transaction (`defer_job`, a retry by staff)."""
    pending: list[tuple[Dispatcher, str, str]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _dispatch)
        event.listen(session, "after_rollback", _discard)
    pending.append((queue, task_id, lane_of(kind)))


def _dispatch(session: Session) -> None:
    pending: list[tuple[Dispatcher, str, str]] = session.info.get(_PENDING) or []
    handed, pending[:] = list(pending), []
    by_queue: dict[tuple[int, str], tuple[Dispatcher, list[str]]] = {}
    for target, task_id, lane in handed:
        by_queue.setdefault((id(target), lane), (target, []))[1].append(task_id)
    for (_, lane), (target, ids) in by_queue.items():
        try:
            target.dispatch(ids, lane=lane)
        except Exception as error:  # the rows are committed: the poller hands them over later
            logger.warning("tasks not handed over yet (%s): %d", type(error).__name__, len(ids))


def _discard(session: Session) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        pending.clear()


def run_again(
    session: Session, *, queue: Dispatcher, request_id: str, kind: str
) -> TaskStatus | None:
    """Staff ask for a request's job to run again now. Its latest unfinished task, if any,
    is moved forward (a retry waiting for its delay, a failed one with fresh attempts) and
    handed over after the commit, so a request never has two such tasks at once. Returns
    the status the task had (`running`: left alone, it is under way), or None if there is
    none (the caller then defers a new one)."""
    task = session.scalars(
        select(Task)
        .where(Task.request_id == request_id, Task.kind == kind, Task.status != TaskStatus.done)
        .order_by(Task.created_at.desc())
        .limit(1)
    ).first()
    if task is None or task.status is TaskStatus.running:
        return None if task is None else TaskStatus.running
    before = task.status
    values: dict[str, object] = {"status": TaskStatus.queued, "run_after": utcnow()}
    if before is TaskStatus.failed:
        values.update(attempts=0, finished_at=None)
    moved = session.execute(
        update(Task)
        .where(Task.id == task.id, Task.status == before)  # a worker may claim it meanwhile
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return TaskStatus.running
    dispatch_after_commit(session, queue=queue, task_id=task.id, kind=kind)
    return before


def prune_done_tasks(session: Session, *, before: datetime) -> int:
    """Delete tasks that finished well before `before`; failed ones stay for staff."""
    result = session.execute(
        delete(Task)
        .where(Task.status == TaskStatus.done, Task.finished_at < before)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def settle_as_done(session: Session, *, task_ids: Sequence[str], at: datetime) -> int:
    """Mark queued tasks done without running them: the demo's past year, whose mails and
    runs belong to that past (`lawful.demo.history`), not to the server about to start."""
    if not task_ids:
        return 0
    result = session.execute(
        update(Task)
        .where(Task.id.in_(list(task_ids)), Task.status == TaskStatus.queued)
        .values(status=TaskStatus.done, started_at=at, finished_at=at, published_at=at)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- a task finished in its body's own commit ---------------------------------------------------

_FINISHING = "lawful.tasks.finishing"


@dataclass
class RunningTask:
    """The task a body runs for on this thread (set by the worker's runner around the body):
    `finished` once the body's own commit marked it done (`finish_task_with`)."""

    task_id: str
    worker: str
    attempt: int
    finished: bool = False


_RUNNING: ContextVar[RunningTask | None] = ContextVar("lawful_running_task", default=None)


@contextmanager
def running_task(task: RunningTask) -> Iterator[RunningTask]:
    """While the block runs, `finish_task_with` on this thread finishes `task`."""
    token = _RUNNING.set(task)
    try:
        yield task
    finally:
        _RUNNING.reset(token)


def finish_task_with(session: Session, *, now: datetime | None = None) -> bool:
    """Mark the task this body runs for done in the caller's transaction, so the step's own
    writes (timeline, audit) and the task's bookkeeping are one commit: the runner then
    writes nothing more. Call it just before the body's last commit. A rollback undoes it
    with the rest (the runner then records the outcome as before); outside a runner (a
    command running the body itself), or when another worker took the task over meanwhile,
    it does nothing (False)."""
    task = _RUNNING.get()
    if task is None or task.finished:
        return False
    marked = session.execute(
        update(Task)
        .where(
            Task.id == task.task_id,
            Task.status == TaskStatus.running,
            Task.worker == task.worker,
            Task.attempts == task.attempt,
        )
        .values(
            status=TaskStatus.done, lease_until=None, last_error=None, finished_at=now or utcnow()
        )
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        return False
    finishing: list[RunningTask] | None = session.info.get(_FINISHING)
    if finishing is None:
        finishing = session.info[_FINISHING] = []
        event.listen(session, "after_commit", _finished)
        event.listen(session, "after_rollback", _not_finished)
    finishing.append(task)
    return True


def _finished(session: Session) -> None:
    finishing: list[RunningTask] = session.info.get(_FINISHING) or []
    for task in finishing:
        task.finished = True
    finishing.clear()


def _not_finished(session: Session) -> None:
    finishing = session.info.get(_FINISHING)
    if finishing:
        finishing.clear()


def withdraw_queued(session: Session, *, request_id: str, kind: str, payload_is: Payload) -> int:
    """End, in this transaction, the tasks of `kind` for a request still waiting for a
    worker whose payload holds `payload_is`: one a worker already claimed is left to run
    (its body checks whether it is still needed). Returns how many were withdrawn."""
    waiting = session.execute(
        select(Task.id, Task.payload).where(
            Task.request_id == request_id, Task.kind == kind, Task.status == TaskStatus.queued
        )
    ).all()
    withdrawn = 0
    for task_id, payload in waiting:
        if all(payload.get(key) == value for key, value in payload_is.items()):
            ended = session.execute(
                update(Task)
                .where(Task.id == task_id, Task.status == TaskStatus.queued)  # not claimed since
                .values(status=TaskStatus.done, finished_at=utcnow(), last_error=None)
                .execution_options(synchronize_session=False)
            )
            withdrawn += int(ended.rowcount)  # type: ignore[attr-defined]
    return withdrawn
