"""Jobs as staff see them: the tasks that failed, wait for a retry or run, and a retry of a
failed one — put back in the queue and handed over once the caller commits.

Services never commit: the page or command that calls them owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lawful.requests.repository import by_id
from lawful.requests.timeline import record
from lawful.store.audit import record_event
from lawful.store.models import utcnow
from lawful.store.task_views import TaskView
from lawful.store.tasks import Dispatcher, TaskStatus, dispatch_after_commit
from lawful.worker import repository
from lawful.worker.errors import TaskNotFoundError, TaskNotRetryableError

T = TaskStatus
PAGE_SIZE = 50


@dataclass(frozen=True)
class TaskPage:
    items: list[TaskView]
    total: int
    page: int
    pages: int


def list_tasks(
    session: Session, *, status: TaskStatus | None, page: int, page_size: int = PAGE_SIZE
) -> TaskPage:
    """Tasks with `status` (any when None): failed first, then retrying, running, waiting,
    done; the newest first within each."""
    rows, total = repository.tasks_page(
        session,
        statuses=[status] if status else [],
        limit=page_size,
        offset=(page - 1) * page_size,
    )
    items = [TaskView.of(task, reference) for task, reference in rows]
    return TaskPage(items, total, page, max(1, -(-total // page_size)))


def retry_task(
    session: Session,
    *,
    task_id: str,
    actor: str,
    queue: Dispatcher,
    now: datetime | None = None,
) -> TaskView:
    """Run a failed task again, with all its attempts: queued now, recorded in the audit
    trail, handed to `queue` once the caller commits (so no worker looks before)."""
    task = repository.get_task(session, task_id=task_id)
    if task is None:
        raise TaskNotFoundError("There is no such job: it may have been removed.")
    if task.status is not T.failed:
        raise TaskNotRetryableError(
            f"Only a failed job can be retried; this one is {task.status.value}."
        )
    now = now or utcnow()
    if not repository.requeue_failed(session, task_id=task_id, now=now):
        raise TaskNotRetryableError("Someone retried this job meanwhile; reload the page.")
    # The kind only: the error stays in the task row and the timeline's staff-only part,
    # out of the hash-chained trail, which can never be erased.
    details = {"kind": task.kind}
    request = by_id(session, request_id=task.request_id) if task.request_id else None
    if request is not None:
        details["request_id"] = request.id
        # Its timeline says who sent the job off again (after its `job_failed` entry).
        record(session, request=request, actor=actor, action="job_retried", now=now,
               details={"job": task.kind})  # fmt: skip
    record_event(session, actor=actor, action="task_retried", subject_type="task",
                 subject_id=task.id, details=details, at=now)  # fmt: skip
    dispatch_after_commit(session, queue=queue, task_id=task.id, kind=task.kind)
    return TaskView.of(task, request.reference if request else None)
