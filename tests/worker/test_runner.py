"""The runner and the poller on a SQLite store, without a broker: claims are exclusive, a
lapsed lease lets another runner take over, failures are retried with back-off and given up
for staff, a rollback drops the job, a lost message is handed over again, and a scheduled
slot is queued once however many pollers run."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from lawful.store.models import utcnow
from lawful.store.tasks import Payload, RetryLaterError, Task, TaskStatus, Worker, defer_job
from lawful.worker.inprocess import InProcessQueue
from lawful.worker.poller import Poller, Scheduled
from lawful.worker.runner import FailedHook, RetryPolicy, TaskRunner

KIND = "test.job"
LEASE = timedelta(seconds=10)
BACK_OFF = RetryPolicy(timedelta(seconds=1), timedelta(seconds=3))


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()  # rows take their creation time from the real clock

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Recorder:
    """A dispatcher that only remembers what it was handed (a broker that loses it all)."""

    def __init__(self) -> None:
        self.handed: list[str] = []

    def dispatch(self, task_ids: Sequence[str]) -> None:
        self.handed.extend(task_ids)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def runner(
    sessions: sessionmaker[Session],
    name: str,
    clock: Clock,
    body: Callable[[], object],
    *,
    on_failed: FailedHook | None = None,
) -> TaskRunner:
    """A runner whose every task runs `body`."""
    return TaskRunner(
        sessions,
        lambda kind, payload: _ignore(body()),
        name=name,
        lease=LEASE,
        retry=BACK_OFF,
        on_failed=on_failed,
        clock=clock,
    )


def new_task(sessions: sessionmaker[Session], *, max_attempts: int | None = None) -> str:
    with sessions() as session:
        task = defer_job(session, queue=Recorder(), kind=KIND, payload={"n": 1})
        if max_attempts is not None:
            task.max_attempts = max_attempts
        session.commit()
        return task.id


def task(sessions: sessionmaker[Session], task_id: str) -> Task:
    with sessions() as session:
        found = session.get(Task, task_id)
        assert found is not None
        session.expunge(found)
        return found


def test_a_task_is_run_by_one_runner_only_while_another_holds_it(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    task_id = new_task(platform_sessions)
    runs: list[str] = []
    second = runner(platform_sessions, "b", clock, lambda: runs.append("b"))
    first = runner(
        platform_sessions, "a", clock, lambda: runs.append(f"a, then b: {second.run(task_id)}")
    )

    assert first.run(task_id) is TaskStatus.done
    assert runs == ["a, then b: None"]  # b, handed the same task meanwhile, did not run it
    assert second.run(task_id) is None  # nor afterwards: it is done
    done = task(platform_sessions, task_id)
    assert (done.status, done.worker, done.attempts) == (TaskStatus.done, "a", 1)


def test_a_lapsed_lease_lets_another_runner_take_over_and_the_first_cannot_overwrite_it(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    task_id = new_task(platform_sessions)
    taken_over: list[object] = []
    second = runner(platform_sessions, "b", clock, lambda: None)

    def stalls() -> None:  # the first runner stops beating (a frozen or dead worker)
        clock.advance(LEASE.total_seconds() / 2)
        taken_over.append(second.run(task_id))  # the lease still holds
        clock.advance(LEASE.total_seconds())
        taken_over.append(second.run(task_id))  # lapsed

    first = runner(platform_sessions, "a", clock, stalls)
    first.run(task_id)

    assert taken_over == [None, TaskStatus.done]
    done = task(platform_sessions, task_id)
    assert (done.status, done.worker, done.attempts) == (TaskStatus.done, "b", 2)


def test_a_failing_body_is_retried_after_a_growing_delay_then_given_up_for_staff(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    task_id = new_task(platform_sessions, max_attempts=3)
    gave_up: list[tuple[str, Payload, str]] = []

    def down() -> None:
        raise RetryLaterError("the datastore ats did not answer")

    flaky = runner(
        platform_sessions, "a", clock, down, on_failed=lambda *args: gave_up.append(args)
    )
    for attempt, delay in ((1, 1.0), (2, 2.0)):
        failed_at = clock.now
        assert flaky.run(task_id) is TaskStatus.retrying
        waiting = task(platform_sessions, task_id)
        assert (waiting.attempts, waiting.last_error) == (
            attempt,
            "the datastore ats did not answer",
        )
        assert waiting.run_after == failed_at + timedelta(seconds=delay)
        clock.advance(delay - 0.1)
        assert flaky.run(task_id) is None  # not before its time
        assert gave_up == []
        clock.advance(0.1)

    assert flaky.run(task_id) is TaskStatus.failed
    failed = task(platform_sessions, task_id)
    assert (failed.status, failed.attempts) == (TaskStatus.failed, 3)
    assert gave_up == [(KIND, {"n": 1}, "the datastore ats did not answer")]
    clock.advance(60)
    assert flaky.run(task_id) is None  # failed stays failed until staff retry


def test_an_unexpected_error_is_retried_without_its_message(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    task_id = new_task(platform_sessions)

    def crashes() -> None:
        raise ValueError("alice@example.org is not a number")

    assert runner(platform_sessions, "a", clock, crashes).run(task_id) is TaskStatus.retrying
    assert task(platform_sessions, task_id).last_error == (
        "unexpected ValueError; see the worker's log"
    )


def test_a_rollback_drops_the_deferred_task_and_hands_nothing_over(
    platform_sessions: sessionmaker[Session],
) -> None:
    queue = Recorder()
    with platform_sessions() as session:
        dropped = defer_job(session, queue=queue, kind=KIND, payload={}).id
        session.flush()
        session.rollback()
        kept = defer_job(session, queue=queue, kind=KIND, payload={}).id
        session.commit()

    assert queue.handed == [kept]
    with platform_sessions() as session:
        assert list(session.scalars(select(Task.id))) == [kept]
    assert dropped != kept


def test_a_task_whose_message_was_lost_is_handed_over_again_by_the_poller(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    task_id = new_task(platform_sessions)  # handed to a broker that lost it
    ran: list[str] = []
    queue = InProcessQueue()
    queue.bind(runner(platform_sessions, "a", clock, lambda: ran.append("ran")))
    poller = Poller(platform_sessions, queue, republish_after=timedelta(seconds=30), clock=clock)

    clock.advance(10)
    assert poller.tick() == 0  # maybe still on its way: not handed over twice so soon
    clock.advance(30)
    assert poller.tick() == 1
    assert ran == ["ran"]
    assert task(platform_sessions, task_id).status is TaskStatus.done
    clock.advance(60)
    assert poller.tick() == 0  # done: never handed over again


def test_a_task_whose_worker_died_is_handed_over_once_its_lease_lapsed(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    task_id = new_task(platform_sessions)
    assert runner(platform_sessions, "dead", clock, lambda: None).claim(task_id) is not None
    queue = Recorder()
    poller = Poller(platform_sessions, queue, republish_after=timedelta(hours=1), clock=clock)

    clock.advance(LEASE.total_seconds() - 1)
    assert poller.tick() == 0
    clock.advance(2)
    assert poller.tick() == 1
    assert queue.handed == [task_id]


def test_a_scheduled_slot_is_queued_once_however_many_pollers_run(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    every = timedelta(hours=1)
    queues = [Recorder(), Recorder()]
    pollers = [
        Poller(
            platform_sessions,
            queue,
            republish_after=timedelta(hours=1),
            scheduled=[Scheduled("retention.sweep", every)],
            clock=clock,
        )
        for queue in queues
    ]
    for poller in pollers:
        poller.tick()
    for poller in pollers:
        poller.tick()

    with platform_sessions() as session:
        slots = list(session.scalars(select(Task.dedupe_key).where(Task.kind == "retention.sweep")))
    assert len(slots) == 1
    assert sum(len(q.handed) for q in queues) == 1  # handed over once, by the poller that queued it

    clock.advance(every.total_seconds())
    for poller in pollers:
        poller.tick()
    with platform_sessions() as session:
        assert session.scalar(select(func.count()).where(Task.kind == "retention.sweep")) == 2


def test_a_worker_restarted_under_the_same_name_shows_its_new_start(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    def heartbeat(started_at: datetime) -> Worker:
        poller = Poller(
            platform_sessions,
            Recorder(),
            republish_after=timedelta(hours=1),
            worker_name="w1",
            clock=clock,
            started_at=started_at,
        )
        poller.tick()
        with platform_sessions() as session:
            row = session.get(Worker, "w1")
            assert row is not None
            session.expunge(row)
            return row

    first = heartbeat(clock.now)
    clock.advance(60)
    again = heartbeat(clock.now)
    assert again.started_at == clock.now != first.started_at
    assert again.last_seen == clock.now


class Backlog(Recorder):
    """A broker that says how many messages still wait in its queue."""

    def __init__(self, depth: int | None) -> None:
        super().__init__()
        self.depth = depth

    def waiting(self) -> int | None:
        return self.depth


def test_tasks_waiting_behind_a_long_queue_are_not_sent_again_until_it_drains(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    ids = [new_task(platform_sessions) for _ in range(3)]
    broker = Backlog(depth=500)  # a burst: our three are somewhere in there
    poller = Poller(platform_sessions, broker, republish_after=timedelta(seconds=30), clock=clock)
    clock.advance(60)
    assert poller.tick() == 0
    broker.depth = 2  # fewer messages than stale tasks: some were lost (a restart)
    assert poller.tick() == 3
    assert sorted(broker.handed) == sorted(ids)


def test_a_broker_that_does_not_answer_does_not_stop_the_hand_over(
    platform_sessions: sessionmaker[Session], clock: Clock
) -> None:
    task_id = new_task(platform_sessions)
    broker = Backlog(depth=None)
    poller = Poller(platform_sessions, broker, republish_after=timedelta(seconds=30), clock=clock)
    clock.advance(60)
    assert poller.tick() == 1
    assert broker.handed == [task_id]


def _ignore(value: object) -> None:
    """Run a task body for its effect: the runner wants None back."""
