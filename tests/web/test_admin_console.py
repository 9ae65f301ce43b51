"""The admin console at work: the queue, staff entry, decisions, the audit trail."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import select

from lawful.auth.models import Role
from lawful.requests.intake import Intake
from lawful.requests.models import RightsRequest
from lawful.requests.service import confirm_identity, submit_request
from lawful.requests.states import RequestStatus
from lawful.store.audit import AuditEntry

from .conftest import Web, csrf


def _request(web: Web, *, request_type: str = "erasure", confirm: bool = True) -> str:
    ctx = web.platform.requests
    with web.platform.sessions() as session:
        intake = Intake(request_type=request_type, email="bo@people.example", country="GR")
        reference = submit_request(session, ctx=ctx, intake=intake).request.reference
        if confirm:
            confirm_identity(session, ctx=ctx, reference=reference, actor="test")
        session.commit()
    web.settle()
    return reference


def _stored(web: Web, reference: str) -> RightsRequest:
    with web.platform.sessions() as session:
        return session.scalars(
            select(RightsRequest).where(RightsRequest.reference == reference)
        ).one()


def test_the_queue_lists_requests_with_their_deadlines_and_filters_them(web: Web) -> None:
    access = _request(web, request_type="access", confirm=False)
    erasure = _request(web, request_type="erasure")
    auditor = web.signed_in(Role.auditor)
    page = auditor.get("/admin/requests")
    assert page.status_code == 200
    assert access in page.text
    assert erasure in page.text
    assert '<span class="badge due">due</span>' in page.text
    verified_only = auditor.get("/admin/requests?status=verified").text
    assert erasure in verified_only
    assert access not in verified_only
    assert access not in auditor.get("/admin/requests?due=overdue").text


def test_staff_enter_a_request_received_by_phone_counted_from_its_day(web: Web) -> None:
    analyst = web.signed_in(Role.analyst)
    form = analyst.get("/admin/requests/new")
    received = (date.today() - timedelta(days=3)).isoformat()
    response = analyst.post(
        "/admin/requests/new",
        data={"csrf_token": csrf(form), "channel": "phone", "received_on": received,
              "request_type": "access", "email": "caller@people.example", "country": "FR"},
    )  # fmt: skip
    assert response.status_code == 303
    reference = response.headers["location"].rsplit("/", 1)[1]
    stored = _stored(web, reference)
    assert stored.channel == "phone"
    assert stored.received_at.date().isoformat() == received
    assert "phone" in analyst.get(response.headers["location"]).text


def test_staff_entry_refuses_a_bad_email_and_stores_nothing(web: Web) -> None:
    analyst = web.signed_in(Role.analyst)
    form = analyst.get("/admin/requests/new")
    response = analyst.post(
        "/admin/requests/new",
        data={"csrf_token": csrf(form), "channel": "post", "request_type": "access",
              "email": "not an email", "country": "FR"},
    )  # fmt: skip
    assert response.status_code == 422
    assert 'id="email-error"' in response.text
    with web.platform.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RightsRequest)) == 0


def test_the_auditor_may_not_enter_requests(web: Web) -> None:
    auditor = web.signed_in(Role.auditor)
    assert auditor.get("/admin/requests/new").status_code == 403
    assert 'href="/admin/requests/new"' not in auditor.get("/admin/requests").text


def test_an_officer_denies_with_a_reason_the_law_allows_and_the_person_sees_why(web: Web) -> None:
    reference = _request(web)
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get(f"/admin/requests/{reference}")
    assert 'value="legal_obligation"' in page.text  # GDPR Art. 17(3)(b), for an erasure
    assert 'value="data_accurate"' not in page.text  # a rectification ground only
    refused = officer.post(
        f"/admin/requests/{reference}/deny",
        data={"csrf_token": csrf(page), "reason": "data_accurate"},
    )
    assert refused.status_code == 422
    assert "cannot refuse" in refused.text
    assert _stored(web, reference).status is RequestStatus.verified
    done = officer.post(
        f"/admin/requests/{reference}/deny",
        data={"csrf_token": csrf(page), "reason": "legal_obligation", "note": "Invoices."},
    )
    assert done.status_code == 303
    assert _stored(web, reference).status is RequestStatus.denied


def test_an_extension_needs_a_reason_and_moves_the_answer_date(web: Web) -> None:
    reference = _request(web)
    before = _stored(web, reference).respond_by
    analyst = web.signed_in(Role.analyst)
    page = analyst.get(f"/admin/requests/{reference}")
    no_reason = analyst.post(
        f"/admin/requests/{reference}/extend",
        data={"csrf_token": csrf(page), "amount": "2", "reason": " "},
    )
    assert no_reason.status_code == 422
    extended = analyst.post(
        f"/admin/requests/{reference}/extend",
        data={"csrf_token": csrf(page), "amount": "2", "reason": "Records held on paper."},
    )
    assert extended.status_code == 303
    assert _stored(web, reference).respond_by > before
    assert "extended" in analyst.get("/admin/requests").text


def test_the_audit_trail_page_shows_entries_and_finds_an_edited_one(web: Web) -> None:
    _request(web)
    auditor = web.signed_in(Role.auditor)
    page = auditor.get("/admin/audit")
    assert "request.received" in page.text
    assert (
        "The chain is intact"
        in auditor.post("/admin/audit/verify", data={"csrf_token": csrf(page)}).text
    )
    with web.platform.sessions() as session:
        session.execute(sa.update(AuditEntry).where(AuditEntry.seq == 1).values(actor="someone"))
        session.commit()
    broken = auditor.post("/admin/audit/verify", data={"csrf_token": csrf(page)}).text
    assert "The chain is broken" in broken
    assert re.search(r"entry 1: its content was changed", broken)


def test_the_outbox_page_shows_the_mail_written_instead_of_sent(web: Web) -> None:
    reference = _request(web, confirm=False)
    web.outbox()  # wait for the mail jobs
    page = web.signed_in(Role.auditor).get("/admin/outbox")
    assert "Mail is not being sent" in page.text
    assert f"Your code for request {reference}" in page.text
