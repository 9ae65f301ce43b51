"""Deadlines are set at receipt by `lawful.law` for the laws covering the person, and the
law's extension rules are enforced: on a fixed clock, for GDPR and CCPA residents."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from lawful.requests.errors import ConflictError, InvalidInputError
from lawful.requests.service import deny_request, extend_request
from lawful.requests.views import list_requests

from .conftest import World

PARIS = ZoneInfo("Europe/Paris")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
RECEIVED = datetime(2026, 1, 31, 10, 0, tzinfo=PARIS)  # a Saturday


def test_a_gdpr_resident_gets_one_month_moved_off_the_weekend(world: World) -> None:
    found = world.submit(
        request_type="access", email="ann@example.org", country="FR", now=RECEIVED
    ).request
    # 28 February 2026 is a Saturday: the period ends on Monday 2 March (Reg. 1182/71 Art. 3(4)).
    assert found.jurisdiction == "gdpr"
    assert found.jurisdictions == ["gdpr", "fr", "gr"]
    assert found.respond_by == date(2026, 3, 2)
    assert found.extension_notice_by == date(2026, 3, 2)
    assert found.max_extended_by == date(2026, 4, 30)
    assert found.acknowledge_by is None
    assert "GDPR Art. 12(3)" in found.respond_by_citation


def test_a_californian_gets_the_gdpr_month_and_the_ccpa_acknowledgement(world: World) -> None:
    found = world.submit(
        request_type="erasure", email="bo@example.com", country="US", region="CA", now=RECEIVED
    ).request
    # Voxaria is established in France, so the GDPR covers everyone (Art. 3(1)): its month
    # decides; the CCPA adds 10 California business days to acknowledge (11 CCR §7021(a)),
    # skipping Lincoln Day (12 Feb), Presidents' Day (16 Feb) and Lunar New Year (17 Feb).
    assert found.jurisdictions == ["gdpr", "fr", "gr", "ccpa"]
    assert found.respond_by == date(2026, 3, 2)
    assert found.acknowledge_by == date(2026, 2, 18)
    assert found.max_extended_by == date(2026, 4, 30)


def test_a_californian_opting_out_gets_15_business_days(world: World) -> None:
    found = world.submit(
        request_type="opt_out_sale_sharing",
        email="cy@example.com",
        country="US",
        region="CA",
        now=RECEIVED,
    ).request
    assert found.jurisdiction == "ccpa"
    assert found.respond_by == date(2026, 2, 25)  # 11 CCR §7026(f)(1)
    assert found.extension_notice_by is None  # an opt-out cannot be extended


def test_a_ccpa_only_business_answers_in_45_days_extendable_once(californian_world: World) -> None:
    world = californian_world
    received = datetime(2026, 1, 31, 10, 0, tzinfo=LOS_ANGELES)
    found = world.submit(
        request_type="access", email="di@example.com", country="US", region="CA", now=received
    ).request
    assert (found.jurisdiction, found.timezone) == ("ccpa", "America/Los_Angeles")
    assert found.respond_by == date(2026, 3, 17)  # 45 days, 11 CCR §7021(b)
    assert found.acknowledge_by == date(2026, 2, 18)
    assert found.max_extended_by == date(2026, 5, 1)  # 90 days
    with world.session() as session:
        extended = extend_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            amount=45,
            reason="Records in three systems",
            actor="staff:1",
            now=datetime(2026, 3, 10, tzinfo=LOS_ANGELES),
        )
        assert extended.respond_by == date(2026, 5, 1)
    with world.session() as session, pytest.raises(InvalidInputError, match="already extended 1"):
        extend_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            amount=1,
            reason="Still more",
            actor="staff:1",
            now=datetime(2026, 3, 11, tzinfo=LOS_ANGELES),
        )


def test_an_extension_told_within_the_month_moves_the_date_and_tells_the_person(
    world: World,
) -> None:
    found = world.submit(
        request_type="access",
        email="ed@example.org",
        country="FR",
        now=datetime(2026, 1, 10, 9, 0, tzinfo=PARIS),
    ).request
    assert found.respond_by == date(2026, 2, 10)
    with world.session() as session:
        extend_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            amount=2,
            reason="Your data sits in seven systems, two of them archived.",
            actor="staff:1",
            now=datetime(2026, 2, 5, 15, 0, tzinfo=PARIS),
        )
    stored = world.request(found.reference)
    assert stored.respond_by == date(2026, 4, 10)
    assert stored.extensions[0]["previous"] == "2026-02-10"
    [mail] = world.sent("extension")
    assert "seven systems" in mail.text
    assert "10 Apr 2026" in mail.text
    assert "supervisory authority" in mail.text


def test_an_extension_told_too_late_is_refused_and_changes_nothing(world: World) -> None:
    found = world.submit(
        request_type="access",
        email="fa@example.org",
        country="FR",
        now=datetime(2026, 1, 10, 9, 0, tzinfo=PARIS),
    ).request
    with world.session() as session, pytest.raises(InvalidInputError, match="Too late") as refused:
        extend_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            amount=1,
            reason="Busy",
            actor="staff:1",
            now=datetime(2026, 2, 11, 9, 0, tzinfo=PARIS),
        )
    assert refused.value.http_status == 422
    stored = world.request(found.reference)
    assert stored.respond_by == date(2026, 2, 10)
    assert stored.extensions == []
    assert world.sent("extension") == []


def test_an_extension_without_reasons_is_refused(world: World) -> None:
    found = world.submit(
        request_type="access", email="ga@example.org", country="FR", now=RECEIVED
    ).request
    with world.session() as session, pytest.raises(InvalidInputError, match="reasons") as refused:
        extend_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            amount=1,
            reason=" ",
            actor="staff:1",
            now=RECEIVED,
        )
    assert refused.value.field == "reason"


def test_a_closed_request_cannot_be_extended(world: World) -> None:
    found = world.submit(
        request_type="access", email="ha@example.org", country="FR", now=RECEIVED
    ).request
    with world.session() as session:
        deny_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            reason="manifestly_unfounded",
            actor="staff:1",
            now=RECEIVED,
        )
    with world.session() as session, pytest.raises(ConflictError):
        extend_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            amount=1,
            reason="More time",
            actor="staff:1",
            now=RECEIVED,
        )


def test_the_queue_shows_what_is_overdue_and_due_soon(world: World) -> None:
    email = "queue@example.org"
    late = world.submit(
        request_type="access",
        email=email,
        country="FR",
        now=datetime(2026, 1, 5, 9, 0, tzinfo=PARIS),
    ).request
    soon = world.submit(
        request_type="erasure",
        email=email,
        country="FR",
        now=datetime(2026, 1, 30, 9, 0, tzinfo=PARIS),
    ).request
    later = world.submit(
        request_type="access",
        email=email,
        country="FR",
        now=datetime(2026, 2, 10, 9, 0, tzinfo=PARIS),
    ).request
    now = datetime(2026, 2, 24, 9, 0, tzinfo=PARIS)
    with world.sessions() as session:

        def refs(**filters: object) -> list[str]:
            page = list_requests(session, ctx=world.ctx, email=email, now=now, **filters)  # type: ignore[arg-type]
            return [i.reference for i in page.items]

        assert refs() == [late.reference, soon.reference, later.reference]
        assert refs(due="overdue") == [late.reference]
        assert refs(due="soon") == [soon.reference]
        assert refs(due="due") == [soon.reference, later.reference]
        assert refs(types=["erasure"]) == [soon.reference]
        page = list_requests(session, ctx=world.ctx, email=email, now=now)
        assert [i.deadline.value for i in page.items if i.deadline] == [
            "overdue",
            "due_soon",
            "due",
        ]
        with pytest.raises(InvalidInputError, match="Unknown due filter"):
            refs(due="someday")
