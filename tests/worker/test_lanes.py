"""Lanes: a rights request's run is handed over in a lane of its own (a thread of its own in
`lawful serve`, a queue of its own with a broker), so it never waits behind mail."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import timedelta

import pytest
from kombu.connection import Connection
from sqlalchemy.orm import Session, sessionmaker

from lawful.config import Settings
from lawful.store.models import utcnow
from lawful.store.tasks import RUNS_LANE, Payload, Task, TaskStatus, defer_job
from lawful.worker.broker import (
    QUEUE,
    QUEUES,
    RUNS_QUEUE,
    CeleryDispatcher,
    _waiting_in,
    broker_health,
    make_celery,
)
from lawful.worker.inprocess import InProcessQueue
from lawful.worker.poller import Poller
from lawful.worker.runner import TaskRunner

from ..support.brokers import Broker

MAIL = "requests.mail"
RUN = "requests.execute"
GUARD = 30  # seconds: only how long a broken build may hang, never a figure asserted


class Lanes:
    """A dispatcher that remembers which lane each task was handed over in."""

    def __init__(self) -> None:
        self.handed: list[tuple[str, str]] = []

    def dispatch(self, task_ids: Sequence[str], *, lane: str = "jobs") -> None:
        self.handed.extend((task_id, lane) for task_id in task_ids)


def status(sessions: sessionmaker[Session], task_id: str) -> TaskStatus:
    with sessions() as session:
        found = session.get(Task, task_id)
        assert found is not None
        return found.status


def test_a_requests_run_goes_ahead_while_a_mail_before_it_is_still_being_sent(
    platform_sessions: sessionmaker[Session],
) -> None:
    mail_started, release, ran = threading.Event(), threading.Event(), threading.Event()

    def handler(kind: str, payload: Payload) -> None:
        if kind == MAIL:
            mail_started.set()
            release.wait(GUARD)  # the mail server is slow to answer
        else:
            ran.set()

    queue = InProcessQueue(background=True)
    queue.bind(TaskRunner(platform_sessions, handler, name="serve"))
    with platform_sessions() as session:
        mail = defer_job(session, queue=queue, kind=MAIL, payload={"request_id": "r1"})
        run = defer_job(session, queue=queue, kind=RUN, payload={"request_id": "r1"})
        session.commit()
    try:
        assert mail_started.wait(GUARD)
        assert ran.wait(GUARD)  # while the mail is still held by the mail server
        assert status(platform_sessions, mail.id) is TaskStatus.running
    finally:
        release.set()
        queue.close()
    assert status(platform_sessions, run.id) is TaskStatus.done
    assert status(platform_sessions, mail.id) is TaskStatus.done


def test_the_poller_hands_a_lost_run_over_again_in_the_runs_lane_and_mail_in_the_jobs_lane(
    platform_sessions: sessionmaker[Session],
) -> None:
    with platform_sessions() as session:
        mail = defer_job(session, queue=Lanes(), kind=MAIL, payload={"request_id": "r1"})
        run = defer_job(session, queue=Lanes(), kind=RUN, payload={"request_id": "r1"})
        session.commit()
    lanes = Lanes()
    later = utcnow() + timedelta(minutes=5)  # both messages lost long ago
    poller = Poller(platform_sessions, lanes, republish_after=timedelta(seconds=30))
    poller.clock = lambda: later

    assert poller.tick() == 2
    assert sorted(lanes.handed) == sorted([(mail.id, "jobs"), (run.id, RUNS_LANE)])


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"], indirect=True, scope="module")
def test_a_run_published_to_the_broker_waits_in_a_queue_of_its_own_counted_with_the_jobs(
    broker: Broker,
) -> None:
    dispatcher = CeleryDispatcher(make_celery(Settings(broker_url=broker.url)))
    try:
        assert broker_health(broker.url) == {"status": "ok", "waiting": 0}  # no queue yet
        dispatcher.dispatch(["run-1"], lane=RUNS_LANE)
        dispatcher.dispatch(["mail-1", "mail-2"])

        with Connection(broker.url) as conn:  # type: ignore[no-untyped-call]
            depth = {q: _waiting_in(conn, q) for q in (RUNS_QUEUE, QUEUE)}
        assert depth == {RUNS_QUEUE: 1, QUEUE: 2}
        assert broker_health(broker.url) == {"status": "ok", "waiting": 3}
        assert list(QUEUES.values()) == [RUNS_QUEUE, QUEUE]  # what `lawful worker` consumes
    finally:
        with Connection(broker.url) as conn:  # type: ignore[no-untyped-call]
            for queue in QUEUES.values():
                conn.default_channel.queue_purge(queue)
        dispatcher.close()
