"""Staff who confirm the person's identity themselves (a call back, a document seen) make the
emailed code useless: a code mail not sent by then is not sent at all, and the timeline says
why; a code still awaited is sent as before."""

from __future__ import annotations

from sqlalchemy import select

from lawful.requests.notify import MAIL_JOB
from lawful.requests.service import confirm_identity
from lawful.requests.tasks import send_request_mail
from lawful.store.tasks import Task

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
