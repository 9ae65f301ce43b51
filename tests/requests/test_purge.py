"""Request records are kept 24 months after they close (11 CCR §7101), then purged with
their timeline and codes; packages go when their download period ends; stale unverified
requests expire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from lawful.requests.models import RequestEvent, RequestPackage, RightsRequest, VerificationCode
from lawful.requests.records import expire_unverified_requests, purge_expired_records
from lawful.requests.service import approve_request, deny_request, verify_request
from lawful.requests.states import RequestStatus
from lawful.store.audit import AuditEntry, verify_chain

from .conftest import World


def count(world: World, model: type[Any], **filters: Any) -> int:
    with world.sessions() as session:
        return int(
            session.scalar(select(func.count()).select_from(model).filter_by(**filters)) or 0
        )


def test_a_closed_request_is_kept_24_months_then_purged_with_its_timeline(world: World) -> None:
    found = world.submit(request_type="erasure", email="old@example.org", country="FR").request
    with world.session() as session:
        deny_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            reason="legal_claims",
            actor="staff:1",
            now=world.clock.now,
        )
    open_one = world.submit(request_type="access", email="open@example.org", country="FR").request
    keep_until = world.request(found.reference).keep_until
    assert keep_until is not None
    assert (keep_until - world.clock.now).days in (730, 731)

    with world.session() as session:
        purge_expired_records(session, ctx=world.ctx, now=keep_until - timedelta(days=1))
    assert count(world, RightsRequest, id=found.id) == 1

    with world.session() as session:
        late = purge_expired_records(session, ctx=world.ctx, now=keep_until + timedelta(seconds=1))
    assert late.requests >= 1
    assert count(world, RightsRequest, id=found.id) == 0
    assert count(world, RequestEvent, request_id=found.id) == 0
    assert count(world, VerificationCode, request_id=found.id) == 0
    assert count(world, RightsRequest, id=open_one.id) == 1  # still open: never purged
    with world.sessions() as session:
        assert verify_chain(session) == []
        purge = session.scalars(select(AuditEntry).filter_by(action="request.purged")).all()
    assert any(found.id in entry.details["requests"] for entry in purge)


def test_a_package_is_deleted_when_its_download_period_ends(sqlite_world: World) -> None:
    world = sqlite_world
    _, email = world.candidate(offset=30)
    reference = world.submit(request_type="access", email=email, country="FR").request.reference
    with world.session() as session:
        verify_request(
            session, ctx=world.ctx, reference=reference, code=world.code(), now=world.clock.now
        )
    with world.session() as session:
        approve_request(
            session, ctx=world.ctx, reference=reference, actor="staff:1", now=world.clock.now
        )
    assert count(world, RequestPackage) == 1
    with world.session() as session:
        report = purge_expired_records(
            session, ctx=world.ctx, now=world.clock.now + timedelta(days=31)
        )
    assert (report.packages, report.requests) == (1, 0)
    assert count(world, RequestPackage) == 0


def test_a_request_never_verified_expires_and_the_person_is_told(world: World) -> None:
    stale = world.submit(request_type="access", email="late@example.org", country="FR").request
    with world.session() as session:
        expire_unverified_requests(session, ctx=world.ctx, now=world.clock.now + timedelta(days=29))
    assert world.request(stale.reference).status is RequestStatus.verifying
    with world.session() as session:
        expired = expire_unverified_requests(
            session, ctx=world.ctx, now=world.clock.now + timedelta(days=31)
        )
    assert expired >= 1
    assert world.request(stale.reference).status is RequestStatus.expired
    assert [m.to for m in world.sent("expired") if stale.reference in m.subject] == [
        "late@example.org"
    ]
