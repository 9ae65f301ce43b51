"""The tasks of one rights request as the console shows them (ids, counts, times and an
error written for staff: nothing personal), read by the request's page (`lawful.requests`)
and the jobs page (`lawful.worker`), so neither imports the other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawful.store.tasks import Task, TaskStatus

T = TaskStatus
# What a request's page shows: the jobs that did not go through.
TROUBLE = (T.failed, T.retrying)


@dataclass(frozen=True)
class TaskView:
    """One task as the console shows it (ids, counts, times and an error written for staff:
    nothing personal)."""

    id: str
    kind: str
    status: TaskStatus
    attempts: int
    max_attempts: int
    worker: str | None
    last_error: str | None
    created_at: datetime
    run_after: datetime
    started_at: datetime | None
    finished_at: datetime | None
    request_reference: str | None

    @classmethod
    def of(cls, task: Task, reference: str | None) -> TaskView:
        return cls(
            task.id, task.kind, task.status, task.attempts, task.max_attempts, task.worker,
            task.last_error, task.created_at, task.run_after, task.started_at, task.finished_at,
            reference,
        )  # fmt: skip


def tasks_of_request(
    session: Session, *, request_id: str, statuses: Sequence[TaskStatus]
) -> list[Task]:
    query = (
        select(Task)
        .where(Task.request_id == request_id, Task.status.in_(statuses))
        .order_by(Task.created_at.desc())
    )
    return list(session.scalars(query))


def failing_tasks(session: Session, *, request_id: str, reference: str) -> list[TaskView]:
    """The jobs of one rights request that failed or wait for a retry, newest first."""
    tasks = tasks_of_request(session, request_id=request_id, statuses=TROUBLE)
    return [TaskView.of(task, reference) for task in tasks]
