"""Forwarding that says the truth: the package names only the clients actually told, with the
date and channel; a forward Lawful cannot send is a to-do that keeps the request open until
staff record it, exactly once."""

from __future__ import annotations

import io
import json
import zipfile
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from babel.dates import format_date

from lawful.datamap.models import ClientForward, DataMap, ForwardMethod
from lawful.requests import repository
from lawful.requests.errors import ConflictError
from lawful.requests.forwards import record_forward
from lawful.requests.service import approve_request, complete_request, verify_request
from lawful.requests.states import RequestStatus

from .conftest import World, WorldFactory

S = RequestStatus


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


def package(world: Any, reference: str) -> tuple[dict[str, Any], str]:
    """The stored package's data.json and report.html, unsealed."""
    with world.session() as session:
        found = repository.by_reference(session, reference=reference)
        assert found is not None
        stored = repository.latest_package(session, request_id=found.id)
        assert stored is not None
        content = world.ctx.keyring.decrypt(stored.sealed, context=f"request_package:{stored.id}")
    archive = zipfile.ZipFile(io.BytesIO(content))
    return json.loads(archive.read("data.json")), archive.read("report.html").decode()


def by_opendsr(example_map: DataMap) -> DataMap:
    """The example map with Lumière forwarded through a method Lawful does not send (L014)."""
    lumiere = example_map.clients["lumiere"].model_copy(
        update={
            "forward": ClientForward(
                method=ForwardMethod.opendsr, address="https://lumiere.example/opendsr"
            )
        }
    )
    return example_map.model_copy(update={"clients": {**example_map.clients, "lumiere": lumiere}})


def lumiere_customer(world: Any) -> str:
    [(email,)] = world.query(
        "contact_eu",
        "SELECT email FROM customers WHERE email IS NOT NULL ORDER BY customer_id LIMIT 1",
    )
    return str(email)


def test_a_person_in_no_clients_data_gets_a_package_that_claims_no_forward(
    sqlite_world: World,
) -> None:
    _, email = sqlite_world.candidate(offset=3)  # a job applicant: our data only
    reference = approved(sqlite_world, request_type="access", email=email, country="FR")
    assert sqlite_world.request(reference).status is S.completed
    data, report = package(sqlite_world, reference)
    assert data["forwarded_to"] == []
    # The reference the person knows, not the engine's job id.
    assert data["request"] == reference
    assert f"(reference {reference})" in report
    assert "passed your request on" not in report
    assert "Lumière" not in report
    assert "Brightpath" not in report
    assert sqlite_world.sent("client_forward") == []


def test_a_person_forwarded_by_email_is_told_that_client_with_date_and_channel_only(
    sqlite_world: World,
) -> None:
    [(email,)] = sqlite_world.query(
        "contact_us",
        "SELECT email FROM customers WHERE email IS NOT NULL ORDER BY customer_id LIMIT 1",
    )
    reference = approved(
        sqlite_world, request_type="access", email=email, country="US", region="CA"
    )
    day = sqlite_world.clock.now.date().isoformat()
    data, report = package(sqlite_world, reference)
    assert data["forwarded_to"] == [
        {"client": "Brightpath Mobile Inc.", "date": day, "channel": "email"}
    ]
    shown = format_date(sqlite_world.clock.now.date(), "d MMM y", locale="en_GB")
    assert f"Brightpath Mobile Inc., on {shown} by email" in report  # as people write a day
    assert "Lumière" not in report
    [forward] = sqlite_world.sent("client_forward")
    assert forward.to == "privacy-requests@brightpath.example"


def test_a_manual_forward_blocks_completion_until_staff_record_it(
    world_factory: WorldFactory, sqlite_url: str, example_map: DataMap
) -> None:
    world = world_factory(sqlite_url, datamap=by_opendsr(example_map))
    reference = approved(world, request_type="access", email=lumiere_customer(world), country="FR")
    stored = world.request(reference)
    assert stored.status is S.running
    assert stored.result is not None
    assert [(f["client"], f["status"]) for f in stored.result["forwards"]] == [("lumiere", "open")]
    with world.session() as session, pytest.raises(ConflictError, match="still open"):
        complete_request(session, ctx=world.ctx, reference=reference, actor="staff:1")
    sent_at = world.clock.now  # the test clock stands still: received and sent at once
    with world.session() as session:
        record_forward(
            session,
            ctx=world.ctx,
            reference=reference,
            client="lumiere",
            channel="portal",
            note="the request form of Lumière's processor portal",
            sent_at=sent_at,
            actor="staff:1",
            now=world.clock.now,
        )
        session.commit()
    stored = world.request(reference)
    assert stored.status is S.forwarded
    data, report = package(world, reference)
    day = sent_at.date().isoformat()
    assert data["forwarded_to"] == [
        {"client": "Lumière Énergie SA", "date": day, "channel": "portal"}
    ]
    assert "Brightpath" not in report
    recorded = [e for e in stored.events if e.action == "forward_recorded"]
    assert [e.details["client"] for e in recorded] == ["lumiere"]


def test_a_forward_recorded_by_many_staff_at_once_is_recorded_exactly_once(
    world_factory: WorldFactory, requests_pg_url: str, example_map: DataMap
) -> None:
    world = world_factory(requests_pg_url, datamap=by_opendsr(example_map))
    reference = approved(world, request_type="erasure", email=lumiere_customer(world), country="FR")
    assert world.request(reference).status is S.running

    def attempt(n: int) -> str:
        with world.session() as session:
            try:
                record_forward(
                    session,
                    ctx=world.ctx,
                    reference=reference,
                    client="lumiere",
                    channel="post",
                    note=f"letter {n}",
                    sent_at=world.clock.now,
                    actor=f"staff:{n}",
                    now=world.clock.now,
                )
                session.commit()
            except ConflictError:
                session.rollback()
                return "refused"
        return "recorded"

    with ThreadPoolExecutor(max_workers=24) as pool:
        outcomes = list(pool.map(attempt, range(24)))
    assert outcomes.count("recorded") == 1
    assert outcomes.count("refused") == 23
    stored = world.request(reference)
    assert [e.action for e in stored.events].count("forward_recorded") == 1
    assert stored.status is S.forwarded
