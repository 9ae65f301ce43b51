"""Faults on a real installation — PostgreSQL store and datastores, Redis or RabbitMQ, two
`lawful worker` processes: a worker killed mid-erasure, the broker restarted with jobs in
flight, a datastore down, the mail server down. Nothing is lost, nothing runs twice, and
what cannot be done is shown to staff."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from lawful.requests.notify import EXECUTE_JOB, MAIL_JOB
from lawful.requests.service import retry_execution
from lawful.store.tasks import OPEN, Task
from lawful.worker.runner import RetryPolicy

from .conftest import (
    FINISHED,
    ChangeLog,
    CleanErasure,
    ExampleCompany,
    Installation,
    approve,
    candidate_emails,
    snapshot,
    submit,
    wait_until,
)

BOTH = pytest.mark.parametrize("broker", ["redis", "rabbitmq"], indirect=True, scope="module")
REDIS = pytest.mark.parametrize("broker", ["redis"], indirect=True, scope="module")
BACK_OFF = RetryPolicy(timedelta(seconds=0.3), timedelta(seconds=1))  # conftest.FAST


class RowLock:
    """A row held FOR UPDATE from another connection: an erasure reaching it waits."""

    def __init__(self, log: ChangeLog, table: str, key: str) -> None:
        columns, values = log.keys[table], key.split("/")[1:]
        where = " AND ".join(f"{c}::text = :v{i}" for i, c in enumerate(columns))
        self.connection = log.engine.connect()
        self.transaction = self.connection.begin()
        locked = self.connection.execute(
            sa.text(f"SELECT 1 FROM {table} WHERE {where} FOR UPDATE"),
            {f"v{i}": v for i, v in enumerate(values)},
        ).all()
        assert locked, f"no row {key} in {table} to lock"

    def release(self) -> None:
        self.transaction.rollback()
        self.connection.close()


def waiting_on_a_lock(log: ChangeLog) -> bool:
    query = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with log.engine.connect() as conn:
        return bool(conn.exec_driver_sql(query).scalar_one())


@BOTH
def test_a_worker_killed_mid_erasure_is_taken_over_and_nothing_is_applied_twice(
    site: Installation, company: ExampleCompany, clean_erasure: CleanErasure
) -> None:
    clean = clean_erasure
    with ChangeLog(company).installed() as log, site.staff() as platform:
        # Held on the last row the clean run changed: the worker blocks in the middle.
        table, key, _ = clean.changes[-1]
        lock = RowLock(log, table, key)
        try:
            reference = submit(platform, clean.email)
            approve(platform, reference)
            request_id = site.request_id(reference)
            task = wait_until(
                lambda: [
                    t
                    for t in site.tasks(request_id=request_id, kind=EXECUTE_JOB)
                    if t.status.value == "running"
                ],
                "the erasure claimed by a worker",
            )[0]
            wait_until(
                lambda: waiting_on_a_lock(log),
                lambda: f"the erasure blocked on the locked row\n{site.logs_tail()}",
            )
            at_kill = log.changes()
            (victim,) = [w for w in site.live_workers() if w.name == task.worker]
            victim.kill()
        finally:
            lock.release()
        (survivor,) = [w.name for w in site.live_workers()]
        assert site.wait_finished(reference) == clean.status
        (done,) = site.wait_tasks_done(request_id=request_id, kind=EXECUTE_JOB)
        resumed = log.changes()

    # Killed while blocked inside the datastore's transaction (waiting_on_a_lock above): a
    # datastore's changes commit together, so what was done there before the kill is gone.
    assert len(at_kill) < len(clean.changes)
    assert set(at_kill) <= set(clean.changes)
    assert (done.status.value, done.worker, done.attempts) == ("done", survivor, 2)
    assert len(resumed) == len(set(resumed))  # no row written twice
    assert sorted(resumed) == sorted(clean.changes)
    assert snapshot(company) == clean.snapshot


@BOTH
def test_jobs_in_flight_when_the_broker_restarts_all_run_and_commits_meanwhile_succeed(
    site: Installation, company: ExampleCompany, clean_erasure: CleanErasure
) -> None:
    emails = candidate_emails(company, 4, offset=10, avoid=clean_erasure.email)
    with site.staff() as platform:
        before = [submit(platform, email) for email in emails[:2]]
        for reference in before:
            approve(platform, reference)
        in_flight = [t for t in site.tasks() if t.status in OPEN]
        with site.broker.stopped():
            during = [submit(platform, email) for email in emails[2:]]  # publishing fails
            for reference in during:
                approve(platform, reference)
            assert {site.status(r) for r in during} <= {"approved", "running"}
        for reference in before + during:
            assert site.wait_finished(reference) in FINISHED
            tasks = site.wait_tasks_done(request_id=site.request_id(reference))
            assert {t.status.value for t in tasks} == {"done"}
            kinds = [t.kind for t in tasks]
            assert kinds.count(EXECUTE_JOB) == 1
            assert MAIL_JOB in kinds
    assert in_flight  # the broker really stopped with work under way


@REDIS
def test_a_datastore_down_is_retried_then_shown_to_staff_and_a_staff_retry_completes_it(
    site: Installation, company: ExampleCompany, clean_erasure: CleanErasure
) -> None:
    (email,) = candidate_emails(company, 1, offset=20, avoid=clean_erasure.email)
    retrying: dict[int, tuple[datetime, datetime]] = {}
    with site.staff() as platform:
        site.proxy.close()
        reference = submit(platform, email)
        approve(platform, reference, max_attempts=3)  # the kind's 8 would take half a minute
        request_id = site.request_id(reference)

        def gave_up() -> Task | None:
            (task,) = site.tasks(request_id=request_id, kind=EXECUTE_JOB)
            if task.status.value == "retrying":
                assert task.started_at is not None
                retrying[task.attempts] = (task.started_at, task.run_after)
            return task if task.status.value == "failed" else None

        failed = wait_until(gave_up, lambda: f"the erasure given up\n{site.logs_tail()}")
        assert failed.attempts == 3
        assert failed.last_error
        assert email not in failed.last_error
        assert retrying, "the task was never seen waiting for its retry"
        for attempt, (started, after) in retrying.items():  # each waits longer than the last
            assert after - started >= BACK_OFF.delay(attempt)
        (gave_up_entry,) = wait_until(  # written just after the task is marked failed
            lambda: [e for e in site.timeline(reference) if e.action == "job_failed"],
            "the failure in the request's timeline",
        )
        assert site.actions(reference).count("execution_failed") == 3
        assert gave_up_entry.details["error"] == failed.last_error[:300]
        assert site.status(reference) == "running"

        site.proxy.open()
        with platform.sessions() as session:
            retry_execution(session, ctx=platform.requests, reference=reference, actor="staff:t")
            session.commit()
        assert site.wait_finished(reference) in FINISHED
        runs = site.wait_tasks_done(request_id=request_id, kind=EXECUTE_JOB)

    # The failed task itself ran again, with fresh attempts: never a second task for it.
    assert [(t.id, t.status.value) for t in runs] == [(failed.id, "done")]
    left = company.query("ats", "SELECT count(*) AS n FROM candidates WHERE email = :e", e=email)
    assert left == [{"n": 0}]


@REDIS
def test_mail_waits_while_the_mail_server_is_down_and_goes_out_when_it_returns(
    site: Installation, company: ExampleCompany, clean_erasure: CleanErasure
) -> None:
    (email,) = candidate_emails(company, 1, offset=30, avoid=clean_erasure.email)
    site.mail.stop()
    with site.staff() as platform:
        reference = submit(platform, email, kind="access")
        request_id = site.request_id(reference)

        def failed_twice() -> bool:
            mails = site.tasks(request_id=request_id, kind=MAIL_JOB)
            return bool(mails) and all(
                t.status.value == "retrying" and t.attempts >= 2 for t in mails
            )

        wait_until(failed_twice, lambda: f"the mails retrying\n{site.logs_tail()}")
        assert "mail_sent" not in site.actions(reference)
        assert site.mail.inbox.to(email, "") == []

        site.mail.start()
        mails = site.wait_tasks_done(request_id=request_id, kind=MAIL_JOB)
    assert {t.status.value for t in mails} == {"done"}
    assert len(site.mail.inbox.to(email, "")) == len(mails)
    assert site.actions(reference).count("mail_sent") == len(mails)
