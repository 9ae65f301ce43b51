"""Proof of identity: one-time codes (6 digits, stored hashed, 15 minutes, locked after 5
wrong tries), and the stronger levels: matching data points, an ID document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lawful.requests.errors import (
    CodeLockedError,
    CodeRejectedError,
    ConflictError,
    UploadRejectedError,
    UploadTooLargeError,
)
from lawful.requests.mail import MemoryMailer
from lawful.requests.models import (
    IdentityDocument,
    RequestEvent,
    RightsRequest,
    VerificationCode,
    VerificationLevel,
)
from lawful.requests.service import (
    confirm_identity,
    deny_request,
    read_document,
    resend_code,
    verify_request,
)
from lawful.requests.states import RequestStatus
from lawful.requests.verification import MAX_DOCUMENT_BYTES, Upload

from .conftest import World, WorldFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_code_is_six_digits_and_stored_only_as_a_keyed_hash(world: World) -> None:
    found = world.submit(request_type="access", email="ann@example.org", country="FR").request
    code = world.code()
    assert len(code) == 6
    assert code.isdigit()
    with world.sessions() as session:
        stored = session.scalars(select(VerificationCode).filter_by(request_id=found.id)).one()
    assert code not in stored.code_hash
    assert len(stored.code_hash) == 64
    assert stored.expires_at - stored.created_at == timedelta(minutes=15)


def test_five_wrong_codes_lock_the_request_even_for_the_right_code(world: World) -> None:
    reference = world.submit(
        request_type="access", email="bo@example.org", country="FR"
    ).request.reference
    code = world.code()
    errors = []
    for _ in range(5):
        with world.session() as session:
            _, outcome = verify_request(
                session, ctx=world.ctx, reference=reference, code=wrong(code), now=world.clock.now
            )
            errors.append(outcome.error)
    assert [type(e) for e in errors] == [CodeRejectedError] * 4 + [CodeLockedError]
    assert "1 more try" in errors[3].message  # type: ignore[union-attr]
    with world.session() as session:
        found, outcome = verify_request(
            session, ctx=world.ctx, reference=reference, code=code, now=world.clock.now
        )
        assert isinstance(outcome.error, CodeLockedError)
        assert outcome.error.http_status == 429
        assert found.status is RequestStatus.verifying
    with world.session() as session, pytest.raises(CodeLockedError):
        resend_code(session, ctx=world.ctx, reference=reference, now=world.clock.now)
    timeline = [e.action for e in world_events(world, reference)]
    assert timeline.count("code_rejected") == 5  # 4 wrong + the right one after the lock
    assert timeline.count("code_locked") == 1


def world_events(world: World, reference: str) -> list[RequestEvent]:
    return list(world.request(reference).events)


def test_an_expired_code_is_refused_and_a_new_one_works(world: World) -> None:
    reference = world.submit(
        request_type="access", email="cy@example.org", country="FR"
    ).request.reference
    code = world.code()
    later = world.clock.now + timedelta(minutes=15, seconds=1)
    with world.session() as session:
        found, outcome = verify_request(
            session, ctx=world.ctx, reference=reference, code=code, now=later
        )
        assert isinstance(outcome.error, CodeRejectedError)
        assert "expired" in outcome.error.message
        assert found.status is RequestStatus.verifying
    with world.session() as session:
        resend_code(session, ctx=world.ctx, reference=reference, now=later)
    fresh = world.code()
    with world.session() as session:
        _, outcome = verify_request(
            session, ctx=world.ctx, reference=reference, code=code, now=later
        )
        assert outcome.error is not None  # the old code was superseded
    with world.session() as session:
        found, outcome = verify_request(
            session, ctx=world.ctx, reference=reference, code=fresh, now=later
        )
        assert outcome.accepted
        assert found.status is RequestStatus.verified


def test_a_code_at_exactly_fifteen_minutes_still_works(world: World) -> None:
    reference = world.submit(
        request_type="access", email="dee@example.org", country="FR"
    ).request.reference
    with world.session() as session:
        _, outcome = verify_request(
            session,
            ctx=world.ctx,
            reference=reference,
            code=world.code(),
            now=world.clock.now + timedelta(minutes=15),
        )
        assert outcome.accepted


def test_an_opt_out_needs_no_proof_and_is_approved_by_policy(world: World) -> None:
    found = world.submit(
        request_type="opt_out_sale_sharing", email="dan@example.com", country="US", region="CA"
    ).request
    assert found.verification_level is VerificationLevel.none
    assert world.sent("verification_code") == []
    stored = world.request(found.reference)
    assert stored.status is RequestStatus.completed  # auto-approved and carried out
    with world.session() as session, pytest.raises(ConflictError):
        verify_request(session, ctx=world.ctx, reference=found.reference, code="000000")


def test_data_points_that_match_the_records_verify_the_person(
    world_factory: WorldFactory, sqlite_url: str
) -> None:
    world = world_factory(sqlite_url, settings={"verification_levels": {"access": "data_points"}})
    [(email, phone, first, last)] = world.query(
        "ats",
        "SELECT email, phone, first_name, last_name FROM candidates "
        "WHERE phone IS NOT NULL ORDER BY candidate_id LIMIT 1",
    )
    good = world.submit(
        request_type="access", email=email, phone=phone, name=f"{first} {last}", country="FR"
    ).request
    bad = world.submit(
        request_type="access", email=email, phone="+33600000001", name="Nobody Known", country="FR"
    ).request
    assert good.verification_level is VerificationLevel.data_points
    codes = [m for m in world.sent("verification_code")]
    for found, mail in zip((good, bad), codes, strict=True):
        code = next(line.strip() for line in mail.text.splitlines() if line.strip().isdigit())
        with world.session() as session:
            verify_request(
                session, ctx=world.ctx, reference=found.reference, code=code, now=world.clock.now
            )
    assert world.request(good.reference).status is RequestStatus.verified
    assert world.request(bad.reference).status is RequestStatus.verifying
    short = [e for e in world_events(world, bad.reference) if e.action == "data_points_short"]
    assert short[0].details == {"matched": 0, "needed": 2}


def test_an_id_document_is_sealed_seen_by_staff_and_deleted_when_the_request_closes(
    world_factory: WorldFactory, store_url: str
) -> None:
    world = world_factory(store_url, settings={"verification_levels": {"erasure": "id_document"}})
    found = world.submit(
        request_type="erasure",
        email="eve@example.org",
        country="FR",
        document=Upload(PDF, "passport.pdf", "application/pdf"),
    ).request
    assert found.verification_level is VerificationLevel.id_document
    with world.session() as session:
        verify_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            code=world.code(),
            now=world.clock.now,
        )
    assert world.request(found.reference).status is RequestStatus.verifying  # staff must look
    with world.sessions() as session:
        [document] = session.scalars(select(IdentityDocument).filter_by(request_id=found.id))
        assert PDF not in document.sealed
    with world.session() as session:
        kind, data = read_document(
            session,
            ctx=world.ctx,
            reference=found.reference,
            document_id=document.id,
            actor="staff:1",
            now=world.clock.now,
        )
        assert (kind, data) == ("application/pdf", PDF)
        confirm_identity(
            session,
            ctx=world.ctx,
            reference=found.reference,
            actor="staff:1",
            how="passport matches the name on file",
            now=world.clock.now,
        )
    with world.session() as session:
        deny_request(
            session,
            ctx=world.ctx,
            reference=found.reference,
            reason="legal_claims",
            actor="staff:1",
            now=world.clock.now,
        )
    with world.sessions() as session:
        assert session.scalars(select(IdentityDocument).filter_by(request_id=found.id)).all() == []
    actions = [e.action for e in world_events(world, found.reference)]
    assert (
        actions.index("document_viewed")
        < actions.index("verified")
        < actions.index("documents_deleted")
    )


@pytest.mark.parametrize(
    ("upload", "error", "status"),
    [
        (Upload(b"GIF89a" + b"\x00" * 10, "id.gif", "image/png"), UploadRejectedError, 422),
        (Upload(b"", "empty.pdf", "application/pdf"), UploadRejectedError, 422),
        (
            Upload(PNG + b"\x00" * MAX_DOCUMENT_BYTES, "big.png", "image/png"),
            UploadTooLargeError,
            413,
        ),
    ],
    ids=["wrong type despite its name", "empty", "over 5 MB"],
)
def test_a_bad_upload_is_refused_and_the_request_not_stored(
    sqlite_world: World, upload: Any, error: Any, status: int
) -> None:
    world = sqlite_world
    with pytest.raises(error) as refused:
        world.submit(request_type="erasure", email="fay@example.org", country="FR", document=upload)
    assert refused.value.http_status == status
    assert refused.value.field == "document"
    assert isinstance(world.mailer, MemoryMailer)
    assert world.mailer.sent == []
    with world.sessions() as session:
        assert session.scalars(select(RightsRequest)).all() == []
