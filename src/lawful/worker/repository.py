"""Queries on the task table for staff (the runner and the poller keep their own, which
claim and hand over). Nothing here commits: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from lawful.requests.models import RightsRequest
from lawful.store.tasks import Task, TaskStatus

T = TaskStatus
# What needs a look comes first: failed, then retrying, running, waiting, done.
_ATTENTION = case(
    {T.failed: 0, T.retrying: 1, T.running: 2, T.queued: 3}, value=Task.status, else_=4
)
TaskRow = tuple[Task, str | None]  # a task and the reference of its request, if any


def tasks_page(
    session: Session, *, statuses: Sequence[TaskStatus], limit: int, offset: int
) -> tuple[list[TaskRow], int]:
    """Tasks in `statuses` (all when empty), those needing a look first, newest first."""
    where = [Task.status.in_(statuses)] if statuses else []
    total = session.scalar(select(func.count()).select_from(Task).where(*where)) or 0
    query = (
        select(Task, RightsRequest.reference)
        .outerjoin(RightsRequest, RightsRequest.id == Task.request_id)
        .where(*where)
        .order_by(_ATTENTION, Task.created_at.desc(), Task.id)
        .limit(limit)
        .offset(offset)
    )
    return [(task, reference) for task, reference in session.execute(query)], total


def get_task(session: Session, *, task_id: str) -> Task | None:
    return session.get(Task, task_id)


def any_failed(session: Session) -> bool:
    query = select(Task.id).where(Task.status == T.failed).limit(1)
    return session.scalar(query) is not None


def requeue_failed(session: Session, *, task_id: str, now: datetime) -> bool:
    """Put a failed task back in the queue with all its attempts; False if it is no longer
    failed (another member of staff retried it meanwhile)."""
    result = session.execute(
        update(Task)
        .where(Task.id == task_id, Task.status == T.failed)
        .values(
            status=T.queued,
            attempts=0,
            run_after=now,
            published_at=now,  # handed over at commit; the poller waits before doing it again
            worker=None,
            lease_until=None,
            last_error=None,
            started_at=None,
            finished_at=None,
        )
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
