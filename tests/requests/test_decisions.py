"""Staff decisions and the state machine: a denial needs a reason the law allows for the
request; a move outside the transition table is refused; every move is audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from lawful.requests.errors import ConflictError, InvalidInputError, RequestNotFoundError
from lawful.requests.service import (
    approve_request,
    cancel_request,
    deny_request,
    request_for_person,
    verify_request,
)
from lawful.requests.states import (
    CLOSED,
    OPEN,
    TRANSITIONS,
    RequestStatus,
    TransitionError,
    check_transition,
)
from lawful.store.audit import AuditEntry

from .conftest import World

S = RequestStatus


def test_every_status_is_reachable_from_received_and_closed_ones_lead_nowhere() -> None:
    seen, frontier = {S.received}, [S.received]
    while frontier:
        for target in TRANSITIONS[frontier.pop()]:
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(RequestStatus)
    assert {
        S.denied,
        S.completed,
        S.partially_completed,
        S.forwarded,
        S.cancelled,
        S.expired,
    } == CLOSED
    assert S.running in OPEN


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.received, S.approved),
        (S.verifying, S.running),
        (S.completed, S.cancelled),
        (S.running, S.cancelled),
        (S.denied, S.approved),
        (S.approved, S.denied),
    ],
)
def test_a_move_outside_the_table_raises(current: Any, target: Any) -> None:
    with pytest.raises(TransitionError) as refused:
        check_transition(current, target)
    assert refused.value.http_status == 409
    assert current.value in refused.value.message


def test_approving_an_unverified_request_is_refused_and_changes_nothing(world: World) -> None:
    found = world.submit(request_type="access", email="ann@example.org", country="FR").request
    with (
        world.session() as session,
        pytest.raises(TransitionError, match="verifying cannot become approved"),
    ):
        approve_request(session, ctx=world.ctx, reference=found.reference, actor="staff:1")
    assert world.request(found.reference).status is S.verifying


def test_a_denial_without_a_reason_the_law_allows_is_refused(world: World) -> None:
    found = world.submit(request_type="erasure", email="bo@example.org", country="FR").request
    for reason, why in [
        ("because", "not a denial reason"),
        ("not_portable", "cannot refuse a erasure"),
        ("ccpa_debugging", "cannot refuse a erasure"),
    ]:
        with world.session() as session, pytest.raises(InvalidInputError, match=why) as refused:
            deny_request(
                session, ctx=world.ctx, reference=found.reference, reason=reason, actor="staff:1"
            )
        assert refused.value.field == "reason"
    assert world.request(found.reference).status is S.verifying
    assert world.sent("denial") == []


def test_a_denial_tells_the_person_the_reason_and_the_right_to_complain(world: World) -> None:
    found = world.submit(request_type="erasure", email="cy@example.org", country="FR").request
    with world.session() as session:
        deny_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            reason="legal_obligation",
            note="Invoices are kept 10 years (Code de commerce L123-22).",
            actor="staff:7",
        )
    stored = world.request(found.reference)
    assert stored.status is S.denied
    assert stored.denial_reason == "legal_obligation"
    assert stored.closed_at is not None
    [mail] = world.sent("denial")
    assert "GDPR Art. 17(3)(b)" in mail.text
    assert "Code de commerce" in mail.text
    assert "supervisory authority" in mail.text
    assert "CNIL" in mail.text  # the lead authority from the map
    with world.sessions() as session:
        entry = session.scalars(
            select(AuditEntry).filter_by(subject_id=found.id, action="request.denied")
        ).one()
    assert entry.actor == "staff:7"
    assert entry.details["reason"] == "legal_obligation"
    assert (entry.details["from"], entry.details["to"]) == ("verifying", "denied")


def test_a_californian_denial_cites_the_ccpa_and_its_complaint_route(
    californian_world: World,
) -> None:
    world = californian_world
    found = world.submit(
        request_type="erasure", email="di@example.com", country="US", region="CA"
    ).request
    with world.session() as session, pytest.raises(InvalidInputError):
        deny_request(
            session, ctx=world.ctx, reference=found.reference, reason="legal_obligation", actor="s"
        )
    with world.session() as session:
        deny_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            reason="ccpa_security_integrity",
            actor="s",
        )
    [mail] = world.sent("denial")
    assert "§1798.105(d)(2)" in mail.text
    assert "California Privacy Protection Agency" in mail.text


def test_the_person_cancels_with_their_token_and_a_wrong_token_reveals_nothing(
    world: World,
) -> None:
    submitted = world.submit(request_type="access", email="ed@example.org", country="FR")
    reference = submitted.request.reference
    with world.session() as session, pytest.raises(RequestNotFoundError) as wrong_token:
        cancel_request(
            session, ctx=world.ctx, reference=reference, actor="person", status_token="guess"
        )
    with world.session() as session, pytest.raises(RequestNotFoundError) as wrong_reference:
        request_for_person(session, ctx=world.ctx, reference="AAAAAAAAAA", status_token="guess")
    assert wrong_token.value.message == wrong_reference.value.message
    with world.session() as session:
        cancel_request(
            session,
            ctx=world.ctx,
            reference=reference,
            actor="person",
            status_token=submitted.status_token,
        )
    assert world.request(reference).status is S.cancelled
    assert len(world.sent("cancelled")) == 1
    with world.session() as session, pytest.raises(ConflictError):
        verify_request(session, ctx=world.ctx, reference=reference, code=world.code())


def test_what_staff_write_is_escaped_in_the_html_mail(world: World) -> None:
    found = world.submit(request_type="erasure", email="fy@example.org", country="FR").request
    with world.session() as session:
        deny_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            reason="legal_claims",
            note="<script>alert(1)</script>",
            actor="staff:1",
        )
    [mail] = world.sent("denial")
    assert "<script>" not in mail.html
    assert "&lt;script&gt;" in mail.html
    assert "<script>alert(1)</script>" in mail.text  # plain text is shown as text
