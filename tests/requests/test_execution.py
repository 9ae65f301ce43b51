"""Approved requests run through the engine on the example company's generated databases:
erasure changes the person's rows and no one else's, client-controlled data is forwarded by
a signed webhook, opt-outs reach the suppression list and the consent ledger."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import select, update

from lawful.consent.models import ConsentEvent, ConsentState
from lawful.datamap.models import ClientForward, DataMap, ForwardMethod
from lawful.engine.erasure import is_suppressed
from lawful.engine.identity import Identity
from lawful.requests.errors import ConflictError
from lawful.requests.forwarding import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from lawful.requests.notify import EXECUTE_JOB
from lawful.requests.service import (
    approve_request,
    complete_request,
    retry_execution,
    verify_request,
)
from lawful.requests.states import RequestStatus
from lawful.store.tasks import Task, TaskStatus

from .conftest import World, WorldFactory

S = RequestStatus
SECRET = "webhook-secret-shared-with-lumiere"


def approved(world: World, **fields: Any) -> str:
    """Submit, verify with the mailed code, approve: the request runs at the commit."""
    reference = world.submit(**fields).request.reference
    with world.session() as session:
        verify_request(
            session, ctx=world.ctx, reference=reference, code=world.code(), now=world.clock.now
        )
    with world.session() as session:
        approve_request(
            session, ctx=world.ctx, reference=reference, actor="staff:1", now=world.clock.now
        )
    return reference


def test_an_erasure_request_masks_or_deletes_the_persons_rows_and_no_one_elses(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    person, email = world.candidate(offset=10)
    others_before = world.query(
        "ats", "SELECT * FROM candidates WHERE candidate_id != :p ORDER BY 1", p=person
    )
    applications = world.query(
        "ats", "SELECT count(*) FROM applications WHERE candidate_id = :p", p=person
    )[0][0]

    reference = approved(world, request_type="erasure", email=email, country="FR")

    stored = world.request(reference)
    assert stored.status in (S.completed, S.partially_completed)
    # Candidates are deleted whole (`erase: delete`), their applications with them.
    assert world.query("ats", "SELECT * FROM candidates WHERE candidate_id = :p", p=person) == []
    assert world.query(
        "ats", "SELECT count(*) FROM applications WHERE candidate_id = :p", p=person
    ) == [(0,)]
    assert (
        world.query("ats", "SELECT * FROM candidates WHERE candidate_id != :p ORDER BY 1", p=person)
        == others_before
    )
    assert stored.result is not None
    assert stored.result["changed"] >= 1 + applications
    with world.sessions() as session:
        assert is_suppressed(
            session, keyring=world.ctx.keyring, identity=Identity((("email", email),))
        )
    [done] = world.sent("completion")
    assert "erased" in done.text
    assert email not in json.dumps(stored.result)


def test_a_failed_run_stays_running_with_the_reason_and_resumes_on_retry(
    sqlite_world: World,
) -> None:
    world = sqlite_world
    _, email = world.candidate(offset=11)
    ats = world.data_dir / "ats.sqlite"
    hidden = ats.rename(world.data_dir / "ats.hidden")
    reference = approved(world, request_type="erasure", email=email, country="FR")
    stored = world.request(reference)
    assert stored.status is S.running
    failed = [e for e in stored.events if e.action == "execution_failed"]
    assert failed
    assert "ats" in json.dumps(failed[0].details)
    hidden.rename(ats)
    with world.session() as session:
        retry_execution(
            session, ctx=world.ctx, reference=reference, actor="staff:1", now=world.clock.now
        )
    assert world.request(reference).status in (S.completed, S.partially_completed)
    assert world.query("ats", "SELECT count(*) FROM candidates WHERE email = :e", e=email) == [(0,)]


def test_a_staff_retry_runs_the_waiting_job_now_and_never_a_second_one(sqlite_world: World) -> None:
    world = sqlite_world
    _, email = world.candidate(offset=12)
    ats = world.data_dir / "ats.sqlite"
    hidden = ats.rename(world.data_dir / "ats.hidden")
    reference = approved(world, request_type="erasure", email=email, country="FR")
    request_id = world.request(reference).id

    def execute_tasks() -> list[Task]:
        with world.sessions() as session:
            query = select(Task).where(Task.request_id == request_id, Task.kind == EXECUTE_JOB)
            return list(session.scalars(query))

    [waiting] = execute_tasks()
    assert waiting.status is TaskStatus.retrying  # the datastore was down: it waits its delay
    with world.sessions() as session:  # a worker has it right now
        session.execute(update(Task).where(Task.id == waiting.id).values(status="running"))
        session.commit()
    with world.session() as session, pytest.raises(ConflictError, match="right now"):
        retry_execution(session, ctx=world.ctx, reference=reference, actor="staff:1")
    with world.sessions() as session:
        session.execute(update(Task).where(Task.id == waiting.id).values(status="retrying"))
        session.commit()
    hidden.rename(ats)
    with world.session() as session:
        retry_execution(
            session, ctx=world.ctx, reference=reference, actor="staff:1", now=world.clock.now
        )
    [ran] = execute_tasks()  # the same task, run now: no second one
    assert (ran.id, ran.status) == (waiting.id, TaskStatus.done)
    assert world.request(reference).status in (S.completed, S.partially_completed)


class Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers), body))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    Hook.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/dsr", Hook.received
    server.shutdown()
    server.server_close()
    thread.join()


def test_client_controlled_data_is_forwarded_by_a_signed_webhook_and_left_untouched(
    world_factory: WorldFactory,
    sqlite_url: str,
    example_map: DataMap,
    webhook: tuple[str, list[tuple[dict[str, str], bytes]]],
    data_dir: Path,
) -> None:
    url, received = webhook
    lumiere = example_map.clients["lumiere"].model_copy(
        update={
            "forward": ClientForward(
                method=ForwardMethod.webhook, address=url, secret_env="LUMIERE_SECRET"
            )
        }
    )
    datamap = example_map.model_copy(
        update={"clients": {**example_map.clients, "lumiere": lumiere}}
    )
    world = world_factory(sqlite_url, datamap=datamap, environ={"LUMIERE_SECRET": SECRET})
    [(customer, email)] = world.query(
        "contact_eu",
        "SELECT customer_id, email FROM customers "
        "WHERE email IS NOT NULL ORDER BY customer_id LIMIT 1",
    )
    before = world.query("contact_eu", "SELECT * FROM customers WHERE customer_id = :c", c=customer)

    reference = approved(world, request_type="erasure", email=email, country="FR")

    stored = world.request(reference)
    assert stored.status is S.forwarded
    [(headers, body)] = received
    assert headers[SIGNATURE_HEADER] == sign(SECRET.encode(), headers[TIMESTAMP_HEADER], body)
    assert headers[SIGNATURE_HEADER] != sign(b"another secret", headers[TIMESTAMP_HEADER], body)
    sent = json.loads(body)
    assert sent["reference"] == reference
    assert sent["request_type"] == "erasure"
    assert sent["datasets"] == ["lumiere_customers"]
    assert {"type": "email", "value": email} in sent["identity"]
    assert (
        world.query("contact_eu", "SELECT * FROM customers WHERE customer_id = :c", c=customer)
        == before
    )
    assert stored.result is not None
    assert [f["client"] for f in stored.result["forwards"]] == [
        "lumiere"
    ]  # not Brightpath: not theirs
    [done] = world.sent("completion")
    assert "Lumière Énergie SA" in done.text
    assert "dpo@lumiere-energie.example" in done.text


def test_a_forward_by_email_goes_to_the_client_address(
    world_factory: WorldFactory, sqlite_url: str
) -> None:
    world = world_factory(sqlite_url)
    [(email,)] = world.query(
        "contact_us",
        "SELECT email FROM customers WHERE email IS NOT NULL ORDER BY customer_id LIMIT 1",
    )
    reference = approved(world, request_type="access", email=email, country="US", region="CA")
    stored = world.request(reference)
    assert stored.result is not None
    assert [(f["client"], f["status"]) for f in stored.result["forwards"]] == [
        ("brightpath", "sent")
    ]
    [forward] = world.sent("client_forward")
    assert forward.to == "privacy-requests@brightpath.example"
    assert email in forward.text


def test_a_webhook_without_its_secret_is_not_sent_and_stays_a_to_do_for_staff(
    world_factory: WorldFactory,
    sqlite_url: str,
    example_map: DataMap,
    webhook: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, received = webhook
    lumiere = example_map.clients["lumiere"].model_copy(
        update={
            "forward": ClientForward(
                method=ForwardMethod.webhook, address=url, secret_env="LUMIERE_SECRET"
            )
        }
    )
    datamap = example_map.model_copy(
        update={"clients": {**example_map.clients, "lumiere": lumiere}}
    )
    world = world_factory(sqlite_url, datamap=datamap)
    [(email,)] = world.query(
        "contact_eu",
        "SELECT email FROM customers WHERE email IS NOT NULL ORDER BY customer_id LIMIT 1 OFFSET 1",
    )
    reference = approved(world, request_type="erasure", email=email, country="FR")
    stored = world.request(reference)
    assert received == []
    assert stored.status is S.running  # not closed: the client was never told
    assert stored.result is not None
    assert stored.result["forwards"][0]["status"] == "open"
    assert "LUMIERE_SECRET" in stored.result["forwards"][0]["detail"]


def test_an_opt_out_reaches_the_suppression_list_and_the_consent_ledger(world: World) -> None:
    email = "opt.out@example.com"
    found = world.submit(
        request_type="opt_out_sale_sharing", email=email, country="US", region="CA"
    ).request
    stored = world.request(found.reference)
    assert stored.status is S.completed
    with world.sessions() as session:
        assert is_suppressed(
            session, keyring=world.ctx.keyring, identity=Identity((("email", email),))
        )
        index = world.ctx.keyring.index(f"email:{email}")
        events = session.scalars(select(ConsentEvent).filter_by(subject_index=index)).all()
    assert {(e.purpose, e.state) for e in events} == {
        ("behavioural_advertising", ConsentState.withdrawn)
    }
    assert events[0].actor == f"request:{found.reference}"
    [done] = world.sent("completion")
    assert "taken effect" in done.text


def test_an_objection_to_direct_marketing_withdraws_every_marketing_purpose(world: World) -> None:
    email = "no.marketing@example.org"
    found = world.submit(
        request_type="objection_direct_marketing", email=email, country="FR"
    ).request
    assert world.request(found.reference).status is S.completed
    with world.sessions() as session:
        index = world.ctx.keyring.index(f"email:{email}")
        purposes = {
            e.purpose for e in session.scalars(select(ConsentEvent).filter_by(subject_index=index))
        }
        assert is_suppressed(
            session, keyring=world.ctx.keyring, identity=Identity((("email", email),))
        )
    assert {"email_marketing", "prospecting"} <= purposes


def test_a_complaint_waits_for_staff_who_close_it_with_a_note(world: World) -> None:
    found = world.submit(
        request_type="complaint",
        email="unhappy@example.org",
        country="FR",
        message="An agent read my address aloud.",
    ).request
    with world.session() as session:
        approve_request(session, ctx=world.ctx, reference=found.reference, actor="staff:1")
    stored = world.request(found.reference)
    assert stored.status is S.running
    assert "awaiting_staff" in [e.action for e in stored.events]
    with world.session() as session:
        complete_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            actor="staff:1",
            note="We retrained the team and apologise.",
        )
    assert world.request(found.reference).status is S.completed
    assert "retrained" in world.sent("completion")[0].text
