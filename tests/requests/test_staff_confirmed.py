"""Staff who confirm the person's identity themselves (a call back, a document seen) make the
emailed code useless: a code mail not sent by then is not sent at all, and the timeline says
why; a code still awaited is sent as before. A code mail no worker took yet is withdrawn in
the confirming commit itself (issue 19), and a worker racing the confirmation settles it once."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select

from lawful.requests.context import RequestsContext
from lawful.requests.intake import Intake
from lawful.requests.notify import MAIL_JOB
from lawful.requests.service import confirm_identity, submit_request
from lawful.requests.tasks import send_request_mail
from lawful.store.tasks import Task, TaskStatus
from lawful.worker.inprocess import InProcessQueue
from lawful.worker.runner import TaskRunner

from .conftest import World


def code_mail_payload(world: World, request_id: str) -> dict[str, object]:
    with world.sessions() as session:
        payloads = session.scalars(
            select(Task.payload).where(Task.request_id == request_id, Task.kind == MAIL_JOB)
        ).all()
    [payload] = [p for p in payloads if p["mail"] == "verification_code"]
    return dict(payload)


def test_a_code_mail_still_waiting_when_staff_confirm_the_identity_is_not_sent(
    world: World,
) -> None:
    found = world.submit(request_type="access", email="ann@example.org", country="FR").request
    payload = code_mail_payload(world, found.id)
    with world.session() as session:
        confirm_identity(session, ctx=world.ctx, reference=found.reference, actor="staff:1",
                         how="called back on the number on file", now=world.clock.now)  # fmt: skip
    sent_before = len(world.sent("verification_code"))

    send_request_mail(world.runtime, payload)  # its turn comes (a retry, a long mail queue)

    assert len(world.sent("verification_code")) == sent_before
    events = [(e.action, e.details) for e in world.request(found.reference).events]
    assert ("mail_not_needed", {"mail": "verification_code"}) in events
    assert events.index(("mail_not_needed", {"mail": "verification_code"})) > [
        action for action, _ in events
    ].index("verified")


def test_a_code_mail_for_a_request_still_waiting_for_its_code_is_sent(world: World) -> None:
    found = world.submit(request_type="access", email="bo@example.org", country="FR").request
    payload = code_mail_payload(world, found.id)
    sent_before = len(world.sent("verification_code"))

    send_request_mail(world.runtime, payload)  # sent again, e.g. the first try timed out

    assert len(world.sent("verification_code")) == sent_before + 1
    assert "mail_not_needed" not in [e.action for e in world.request(found.reference).events]


class Held:
    """A queue whose worker has not come yet: tasks stay in the store, as queued."""

    def __init__(self) -> None:
        self.handed: list[str] = []

    def dispatch(self, task_ids: Sequence[str], *, lane: str = "jobs") -> None:
        self.handed.extend(task_ids)


def _held_request(world: World, email: str) -> tuple[RequestsContext, str, str]:
    """A request whose mails no worker took yet: (its context, reference, code task id)."""
    held = replace(world.ctx, jobs=Held())
    intake = Intake(request_type="access", email=email, country="FR")
    with world.session() as session:
        found = submit_request(session, ctx=held, intake=intake, now=world.clock.now).request
    with world.sessions() as session:
        tasks = session.execute(
            select(Task.id, Task.payload).where(Task.request_id == found.id, Task.kind == MAIL_JOB)
        ).all()
    [code_task] = [t for t, p in tasks if p["mail"] == "verification_code"]
    return held, found.reference, code_task


def _runner(world: World) -> TaskRunner:
    queue = world.ctx.jobs
    assert isinstance(queue, InProcessQueue)
    assert queue.runner is not None
    return queue.runner


def _code_outcomes(world: World, reference: str) -> list[str]:
    return [
        e.action
        for e in world.request(reference).events
        if e.action in ("mail_sent", "mail_not_needed")
        and (e.details or {}).get("mail") == "verification_code"
    ]


def test_a_code_mail_no_worker_took_yet_is_withdrawn_in_the_confirming_commit(
    world: World,
) -> None:
    held, reference, code_task = _held_request(world, "cy@example.org")
    with world.session() as session:
        confirm_identity(session, ctx=held, reference=reference, actor="staff:1",
                         how="called back", now=world.clock.now)  # fmt: skip
    with world.sessions() as session:
        task = session.get(Task, code_task)
        assert task is not None
        assert task.status is TaskStatus.done
    assert _code_outcomes(world, reference) == ["mail_not_needed"]
    assert _runner(world).run(code_task) is None  # its turn comes: nothing to run
    assert world.sent("verification_code") == []
    assert _code_outcomes(world, reference) == ["mail_not_needed"]


def test_staff_confirming_while_a_worker_takes_the_code_mail_settles_it_once(
    world: World,
) -> None:
    """Either the confirmation withdraws the mail, or the worker sends it (before the
    confirmation) or finds it not needed: never both, never neither."""
    for n in range(4):
        held, reference, code_task = _held_request(world, f"race{n}@example.org")
        claimed = _race(world, held, reference, code_task)
        assert len(_code_outcomes(world, reference)) == 1, _code_outcomes(world, reference)
        with world.sessions() as session:
            task = session.get(Task, code_task)
            assert task is not None
            assert task.status is TaskStatus.done
        assert world.request(reference).status.value == "verified"
        assert claimed in ([None], [TaskStatus.done])


def _race(
    world: World, held: RequestsContext, reference: str, code_task: str
) -> list[TaskStatus | None]:
    """Staff confirm while a worker takes the code mail, at the same moment."""
    start = threading.Barrier(2)
    claimed: list[TaskStatus | None] = []

    def confirm() -> None:
        start.wait()
        with world.session() as session:
            confirm_identity(session, ctx=held, reference=reference, actor="staff:1",
                             how="called back", now=world.clock.now)  # fmt: skip

    def work() -> None:
        start.wait()
        claimed.append(_runner(world).run(code_task))

    threads = [threading.Thread(target=confirm), threading.Thread(target=work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return claimed
