"""A request from intake to completion, on SQLite and PostgreSQL, with every code read from
mail that went through a real SMTP server."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

from sqlalchemy import select

from lawful.config import Settings
from lawful.requests.delivery import confirm_download_code, open_download, send_download_code
from lawful.requests.mail import SMTPMailer
from lawful.requests.service import approve_request, verify_request
from lawful.requests.states import RequestStatus
from lawful.requests.views import person_status, request_detail
from lawful.store.audit import AuditEntry, verify_chain

from ..support.mail import SMTPServer
from .conftest import World, WorldFactory

BROWSER = "browser-session-of-the-person-0001"


def test_an_access_request_goes_from_intake_to_download_with_codes_from_real_mail(
    world_factory: WorldFactory, store_url: str, smtp_server: SMTPServer
) -> None:
    mailer = SMTPMailer(
        Settings(
            smtp_host="127.0.0.1",
            smtp_port=smtp_server.port,
            smtp_starttls=False,
            smtp_from="privacy@voxaria.example",
        )
    )
    world = world_factory(store_url, mailer=mailer)
    inbox = smtp_server.inbox
    person_id, email = world.candidate(offset=3)

    submitted = world.submit(request_type="access", email=email.upper(), country="FR")
    reference = submitted.request.reference
    assert len(reference) == 10
    assert reference.isalnum()
    [receipt] = inbox.to(email, "We received your request")
    assert reference in inbox.text(receipt)
    assert "23 Dec 2026" in inbox.text(receipt)
    [code_mail] = inbox.to(email, "Your code")

    world.clock.now += timedelta(minutes=3)
    with world.session() as session:
        found, outcome = verify_request(
            session,
            ctx=world.ctx,
            reference=reference,
            code=inbox.code(code_mail),
            now=world.clock.now,
        )
        assert outcome.accepted
        assert found.status is RequestStatus.verified
    with world.session() as session:
        approve_request(
            session, ctx=world.ctx, reference=reference, actor="staff:dpo", now=world.clock.now
        )

    with world.sessions() as session:
        detail = request_detail(session, ctx=world.ctx, reference=reference, now=world.clock.now)
        status = person_status(
            session,
            ctx=world.ctx,
            reference=reference,
            status_token=submitted.status_token,
            now=world.clock.now,
        )
    assert detail.summary.status is RequestStatus.completed
    assert [e.to_status for e in detail.timeline if e.to_status] == [
        "verifying",
        "verified",
        "approved",
        "running",
        "completed",
    ]
    assert detail.result is not None
    assert detail.result["datasets"]["candidates"] == 1
    assert detail.acknowledged_at is not None  # the receipt went out
    assert status.package_until is not None
    [done] = inbox.to(email, "is complete")
    assert "/download?token=" in inbox.text(done)

    with world.session() as session:
        send_download_code(session, ctx=world.ctx, reference=reference, now=world.clock.now)
    [download_mail] = inbox.to(email, "Your code to download")
    with world.session() as session:
        link = confirm_download_code(
            session,
            ctx=world.ctx,
            reference=reference,
            code=inbox.code(download_mail),
            browser_session=BROWSER,
            now=world.clock.now,
        )
    assert link.token is not None
    with world.session() as session:
        package = open_download(
            session, ctx=world.ctx, token=link.token, browser_session=BROWSER, now=world.clock.now
        )
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        data = json.loads(archive.read("data.json"))
        assert "report.html" in archive.namelist()
    candidates = next(d for d in data["datasets"] if d["id"] == "candidates")
    assert [r["candidate_id"] for r in candidates["records"]] == [person_id]
    assert candidates["records"][0]["email"] == email

    with world.sessions() as session:
        assert verify_chain(session) == []
        entries = select(AuditEntry).filter_by(subject_id=world.request(reference).id)
        actions = list(
            session.scalars(entries.order_by(AuditEntry.seq).with_only_columns(AuditEntry.action))
        )
    assert actions[:3] == ["request.received", "request.code_sent", "request.mail_sent"]
    assert "request.downloaded" in actions
    assert all(email not in json.dumps(e) for e in _audit_details(world))


def _audit_details(world: World) -> list[dict[str, object]]:
    with world.sessions() as session:
        return list(session.scalars(select(AuditEntry.details)))
