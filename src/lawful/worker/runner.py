"""Running one task: claim it under a lease, run its body, record the outcome.

The claim is one conditional UPDATE, so two workers handed the same task (a redelivered
message, a re-published one) never run it at once: the second finds it taken and stops. While
the body runs, a heartbeat extends the lease; a worker that dies stops extending it, and once
it lapses the poller hands the task to another worker, whose body resumes the work (the
engine's checkpoints make a resumed erasure apply nothing twice). A body that fails is tried
again after a growing delay; one that keeps failing is marked failed for staff to see.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from lawful.store.db import commit_checkpoint
from lawful.store.models import utcnow
from lawful.store.tasks import (
    Handler,
    Payload,
    RetryLaterError,
    RunningTask,
    Task,
    TaskStatus,
    running_task,
)

logger = logging.getLogger("lawful.worker")
T = TaskStatus
FailedHook = Callable[[str, Payload, str], None]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off between attempts: base, 2×base, 4×base … at most `cap`."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def delay(self, attempt: int) -> timedelta:
        delay: timedelta = self.base * (2 ** max(attempt - 1, 0))
        return min(delay, self.cap)


@dataclass(frozen=True)
class Claimed:
    task_id: str
    kind: str
    payload: Payload
    attempt: int
    max_attempts: int


@dataclass
class TaskRunner:
    """Runs tasks of the store `sessions` with `handler`, as worker `name`."""

    sessions: sessionmaker[Session]
    handler: Handler
    name: str
    lease: timedelta = timedelta(seconds=60)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    on_failed: FailedHook | None = None
    clock: Callable[[], datetime] = utcnow

    def run(self, task_id: str) -> TaskStatus | None:
        """Run the task if it can be claimed now; its new status, or None if not claimed."""
        claimed = self.claim(task_id)
        if claimed is None:
            return None
        task = RunningTask(claimed.task_id, self.name, claimed.attempt)
        with self._heartbeat(claimed, task), running_task(task):
            try:
                self.handler(claimed.kind, claimed.payload)
            except Exception as error:
                if task.finished:  # its work and its end were committed before the error
                    logger.error(
                        "task %s failed after finishing: %s", task_id, type(error).__name__
                    )
                    return T.done
                return self._failed(claimed, error)
        if not task.finished:  # the body did not finish it in its own commit
            self._finish(claimed, status=T.done, error=None)
        return T.done

    def claim(self, task_id: str) -> Claimed | None:
        now = self.clock()
        runnable = or_(
            or_(Task.status == T.queued, and_(Task.status == T.retrying, Task.run_after <= now)),
            and_(
                Task.status == T.running,
                Task.lease_until < now,
                Task.attempts < Task.max_attempts,
            ),
        )
        claim = (
            update(Task)
            .where(Task.id == task_id, runnable)
            .values(
                status=T.running,
                worker=self.name,
                lease_until=now + self.lease,
                attempts=Task.attempts + 1,
                started_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        wanted = (Task.kind, Task.payload, Task.attempts, Task.max_attempts)
        with self.sessions() as session:
            if session.get_bind().dialect.update_returning:  # one round trip
                row = session.execute(claim.returning(*wanted)).first()
            else:  # MariaDB: no UPDATE … RETURNING
                taken = session.execute(claim)
                found = taken.rowcount == 1  # type: ignore[attr-defined]
                query = select(*wanted).where(Task.id == task_id)
                row = session.execute(query).first() if found else None
            if row is None:
                session.rollback()
                return None
            # A claim lost in a crash of the database server is only claimed again; the
            # body's own (synchronous) commit writes it to disk before itself.
            commit_checkpoint(session)
        return Claimed(task_id, row.kind, dict(row.payload), row.attempts, row.max_attempts)

    def _failed(self, claimed: Claimed, error: Exception) -> TaskStatus:
        # A retryable error's message is written for staff; any other error is named by its
        # class only, since a driver's or a mail server's message may quote personal data.
        if isinstance(error, RetryLaterError):
            message = str(error)[:500]
        else:
            message = f"unexpected {type(error).__name__}; see the worker's log"
            logger.exception("task %s (%s) failed", claimed.task_id, claimed.kind)
        if claimed.attempt >= claimed.max_attempts:
            if self._finish(claimed, status=T.failed, error=message):  # not taken over
                self.gave_up(claimed.kind, claimed.payload, message)
            return T.failed
        later = self.clock() + self.retry.delay(claimed.attempt)
        self._finish(claimed, status=T.retrying, error=message, run_after=later)
        logger.info(
            "task %s (%s): attempt %d of %d failed, next at %s",
            claimed.task_id,
            claimed.kind,
            claimed.attempt,
            claimed.max_attempts,
            later.isoformat(timespec="seconds"),
        )
        return T.retrying

    def gave_up(self, kind: str, payload: Payload, message: str) -> None:
        """Tell `on_failed` that a task failed for good; its own errors are only logged."""
        logger.error("task of kind %s failed for good: %s", kind, message)
        if self.on_failed is None:
            return
        try:
            self.on_failed(kind, payload, message)
        except Exception as error:
            logger.error(
                "recording the failure of a %s task failed: %s", kind, type(error).__name__
            )

    def _finish(
        self,
        claimed: Claimed,
        *,
        status: TaskStatus,
        error: str | None,
        run_after: datetime | None = None,
    ) -> bool:
        """Record the outcome; False if another worker took the task over meanwhile."""
        now = self.clock()
        values: dict[str, object] = {"status": status, "lease_until": None, "last_error": error}
        if status in (T.done, T.failed):
            values["finished_at"] = now
        if run_after is not None:
            values["run_after"] = run_after
        with self.sessions() as session:
            result = session.execute(
                update(Task)
                .where(*self._still_mine(claimed))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            session.commit()
        if result.rowcount != 1:  # type: ignore[attr-defined]
            logger.warning("task %s was taken over by another worker meanwhile", claimed.task_id)
            return False
        return True

    def _still_mine(self, claimed: Claimed) -> tuple[ColumnElement[bool], ...]:
        return (
            Task.id == claimed.task_id,
            Task.status == T.running,
            Task.worker == self.name,
            Task.attempts == claimed.attempt,
        )

    @contextmanager
    def _heartbeat(self, claimed: Claimed, task: RunningTask) -> Iterator[None]:
        stop = threading.Event()
        beat = threading.Thread(
            target=self._beat, args=(claimed, task, stop), name="lawful-lease", daemon=True
        )
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join()

    def _beat(self, claimed: Claimed, task: RunningTask, stop: threading.Event) -> None:
        interval = self.lease.total_seconds() / 3
        while not stop.wait(interval):
            if task.finished:  # the body's commit ended the task: no lease to keep
                return
            try:
                with self.sessions() as session:
                    kept = session.execute(
                        update(Task)
                        .where(*self._still_mine(claimed))
                        .values(lease_until=self.clock() + self.lease)
                        .execution_options(synchronize_session=False)
                    )
                    commit_checkpoint(session)  # a lost extension: the next beat's
            except Exception as error:  # the next beat tries again; the lease has slack
                logger.warning("lease of task %s not extended: %s", claimed.task_id, error)
                continue
            if kept.rowcount != 1:  # type: ignore[attr-defined]
                # The store was out of reach for longer than the lease and another worker has
                # the task: this run's outcome will not be recorded (`_finish` sees it).
                logger.error("task %s: lease lost to another worker", claimed.task_id)
                return
