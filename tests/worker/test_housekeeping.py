"""Finished tasks do not pile up: housekeeping prunes done ones after a month, never failed
ones (staff still have to see them) nor anything still to run."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lawful.store.models import utcnow
from lawful.store.tasks import Task, TaskStatus, prune_done_tasks


def _task(status: TaskStatus, finished_days_ago: int | None) -> Task:
    now = utcnow()
    finished = now - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    return Task(kind="requests.mail", payload={}, status=status, attempts=1, max_attempts=5,
                run_after=now, created_at=now - timedelta(days=90), finished_at=finished)  # fmt: skip


def test_done_tasks_older_than_the_cutoff_are_pruned_and_nothing_else(
    platform_sessions: sessionmaker[Session],
) -> None:
    kept = {
        "recent done": _task(TaskStatus.done, 2),
        "old failed": _task(TaskStatus.failed, 60),
        "queued": _task(TaskStatus.queued, None),
        "retrying": _task(TaskStatus.retrying, None),
    }
    with platform_sessions() as session:
        session.add_all([*kept.values(), _task(TaskStatus.done, 45), _task(TaskStatus.done, 31)])
        session.commit()
        ids = {name: task.id for name, task in kept.items()}
    with platform_sessions() as session:
        assert prune_done_tasks(session, before=utcnow() - timedelta(days=30)) == 2
        session.commit()
    with platform_sessions() as session:
        left = set(session.scalars(select(Task.id)))
    assert left == set(ids.values())
