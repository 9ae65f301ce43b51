"""A body that finishes its task in its own commit (`finish_task_with`): the step's writes
and the task's end are one transaction, the runner writes nothing more; a rollback undoes
both (the task is retried, its work not kept); a body done after a takeover cannot mark the
new owner's task done; many runners handed the same task at once run it once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from lawful.store.audit import AuditEntry, record_event
from lawful.store.db import create_store_engine, session_factory
from lawful.store.tasks import (
    RetryLaterError,
    Task,
    TaskStatus,
    defer_job,
    finish_task_with,
)
from lawful.worker.runner import TaskRunner

from .test_runner import BACK_OFF, LEASE, Clock, Recorder

KIND = "test.job"


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _task(sessions: sessionmaker[Session]) -> str:
    with sessions() as session:
        task = defer_job(session, queue=Recorder(), kind=KIND, payload={})
        session.commit()
        return task.id


def _runner(
    sessions: sessionmaker[Session], name: str, body: Callable[[], None], clock: Clock
) -> TaskRunner:
    return TaskRunner(
        sessions, lambda kind, payload: body(), name=name, lease=LEASE, retry=BACK_OFF, clock=clock
    )


def _note(sessions: sessionmaker[Session], *, then: str = "commit") -> Callable[[], None]:
    """A body writing one audit entry, finishing its task, then committing or failing."""

    def body() -> None:
        with sessions() as session:
            record_event(session, actor="system", action="step.done", subject_type="test",
                         subject_id="1", details={})  # fmt: skip
            finish_task_with(session)
            if then == "rollback":
                session.rollback()
                raise RetryLaterError("the step could not finish")
            session.commit()
            if then == "fail after":
                raise RetryLaterError("failed after its commit")

    return body


@contextmanager
def _task_updates(sessions: sessionmaker[Session]) -> Iterator[list[str]]:
    engine = sessions.kw["bind"]
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE TASKS"):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _status(sessions: sessionmaker[Session], task_id: str) -> tuple[TaskStatus, int]:
    with sessions() as session:
        row = session.execute(select(Task.status, Task.attempts).where(Task.id == task_id)).one()
        return row.status, row.attempts


def _entries(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        query = (
            select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == "step.done")
        )
        return int(session.scalar(query) or 0)


def test_the_body_s_commit_ends_the_task_and_the_runner_writes_nothing_more(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    task_id = _task(platform_sessions)
    with _task_updates(platform_sessions) as updates:
        status = _runner(platform_sessions, "a", _note(platform_sessions), clock).run(task_id)
    assert status is TaskStatus.done
    assert _status(platform_sessions, task_id) == (TaskStatus.done, 1)
    assert _entries(platform_sessions) == 1
    assert len(updates) == 2  # the claim, and the body's own end: no separate finish


def test_a_rollback_undoes_the_step_and_the_task_s_end_together(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    task_id = _task(platform_sessions)
    body = _note(platform_sessions, then="rollback")
    assert _runner(platform_sessions, "a", body, clock).run(task_id) is TaskStatus.retrying
    assert _status(platform_sessions, task_id) == (TaskStatus.retrying, 1)
    assert _entries(platform_sessions) == 0
    clock.advance(BACK_OFF.base.total_seconds() + 1)
    again = _runner(platform_sessions, "a", _note(platform_sessions), clock).run(task_id)
    assert again is TaskStatus.done
    assert (_status(platform_sessions, task_id), _entries(platform_sessions)) == (
        (TaskStatus.done, 2),
        1,
    )


def test_an_error_after_the_body_s_commit_does_not_run_the_step_again(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    task_id = _task(platform_sessions)
    body = _note(platform_sessions, then="fail after")
    assert _runner(platform_sessions, "a", body, clock).run(task_id) is TaskStatus.done
    clock.advance(3600)
    assert _runner(platform_sessions, "b", _note(platform_sessions), clock).run(task_id) is None
    assert _status(platform_sessions, task_id) == (TaskStatus.done, 1)
    assert _entries(platform_sessions) == 1


def test_a_body_overtaken_by_another_worker_cannot_end_its_task(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    task_id = _task(platform_sessions)
    finished: list[bool] = []
    second = _runner(platform_sessions, "b", lambda: None, clock)

    def stalls() -> None:  # frozen past its lease: b takes over and finishes first
        clock.advance(LEASE.total_seconds() * 2)
        assert second.run(task_id) is TaskStatus.done
        with platform_sessions() as session:
            finished.append(finish_task_with(session))
            session.commit()

    _runner(platform_sessions, "a", stalls, clock).run(task_id)
    assert finished == [False]
    with platform_sessions() as session:
        done = session.get(Task, task_id)
        assert done is not None
        assert (done.status, done.worker, done.attempts) == (TaskStatus.done, "b", 2)


def test_outside_a_runner_finishing_does_nothing(
    platform_sessions: sessionmaker[Session],
) -> None:
    task_id = _task(platform_sessions)
    with platform_sessions() as session:
        assert finish_task_with(session) is False
        session.commit()
    assert _status(platform_sessions, task_id) == (TaskStatus.queued, 0)


def test_runners_handed_the_same_task_at_once_run_its_step_once(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    task_ids = [_task(platform_sessions) for _ in range(5)]
    body = _note(platform_sessions)
    runners = [_runner(platform_sessions, f"w{n}", body, clock) for n in range(6)]
    start = threading.Barrier(len(runners))
    results: list[TaskStatus | None] = []
    lock = threading.Lock()

    def work(one: TaskRunner) -> None:
        start.wait()
        for task_id in task_ids:
            outcome = one.run(task_id)
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=work, args=(one,)) for one in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(TaskStatus.done) == len(task_ids)
    assert results.count(None) == len(task_ids) * (len(runners) - 1)
    assert _entries(platform_sessions) == len(task_ids)
    assert {_status(platform_sessions, t) for t in task_ids} == {(TaskStatus.done, 1)}


def test_on_postgresql_only_the_claim_skips_the_disk_flush_and_the_body_s_commit_does_not(
    pg_store_url: str, clock: Clock
) -> None:
    """The claim's commit does not wait for the disk (`synchronous_commit` off for that one
    transaction); the body's commit, on the same connection right after, still does."""
    engine = create_store_engine(pg_store_url, pool_size=1, max_overflow=0)
    sessions = session_factory(engine)
    try:
        task_id = _task(sessions)
        seen: list[str] = []

        def body() -> None:
            with sessions() as session:
                seen.append(str(session.scalar(sa.text("SHOW synchronous_commit"))))
                record_event(session, actor="system", action="step.done", subject_type="test",
                             subject_id="pg", details={})  # fmt: skip
                finish_task_with(session)
                session.commit()

        assert _runner(sessions, "a", body, clock).run(task_id) is TaskStatus.done
        assert seen == ["on"]
        assert _status(sessions, task_id) == (TaskStatus.done, 1)
    finally:
        engine.dispose()
