"""The complaints register in the console and over the API: staff enter an authority's
inquiry with a form, link the request it is about, add a note and answer it; an overdue one
is marked; auditors read but cannot write; API tokens need their scopes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select

from lawful.auth.models import Role
from lawful.requests.intake import Intake
from lawful.requests.service import submit_request
from lawful.store.audit import AuditEntry
from lawful.store.models import utcnow

from .conftest import Web, csrf


def _request_reference(web: Web) -> str:
    platform = web.platform
    with platform.sessions() as session:
        intake = Intake(request_type="access", email="nikos@people.example", country="GR")
        reference = submit_request(session, ctx=platform.requests, intake=intake).request.reference
        session.commit()
    web.settle()
    return str(reference)


def test_staff_enter_an_inquiry_link_a_request_note_and_answer_it(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    linked = _request_reference(web)
    form = officer.get("/admin/complaints/new")
    token = csrf(form)
    refused = officer.post("/admin/complaints/new", data={
        "csrf_token": token, "source": "authority", "authority": "", "subject": "Late access"})  # fmt: skip
    assert refused.status_code == 422
    assert "Name the authority that wrote" in refused.text
    assert 'id="authority-error"' in refused.text
    assert 'value="Late access"' in refused.text
    made = officer.post("/admin/complaints/new", data={
        "csrf_token": token, "source": "authority", "authority": "HDPA",
        "authority_reference": "Γ/ΕΙΣ/1234", "subject": "Access answered late",
        "complainant": "Νίκος Παππάς", "linked_requests": linked.lower()})  # fmt: skip
    assert made.status_code == 303
    page_url = made.headers["location"]
    page = officer.get(page_url)
    assert "Hellenic Data Protection Authority" in page.text
    assert "Νίκος Παππάς" in page.text
    assert f'href="/admin/requests/{linked}"' in page.text
    assert "58(1)(a)" in page.text
    token = csrf(page)
    assert officer.post(f"{page_url}/notes", data={"csrf_token": token, "note": "Sent the file"}
                        ).status_code == 303  # fmt: skip
    assert officer.post(f"{page_url}/links", data={"csrf_token": token, "linked_requests": "XX-1"}
                        ).status_code == 422  # fmt: skip
    answered = officer.post(f"{page_url}/decision", data={
        "csrf_token": token, "status": "answered", "outcome": "Answered the HDPA"})  # fmt: skip
    assert answered.status_code == 303
    page = officer.get(page_url)
    assert "Sent the file" in page.text
    assert "Answered the HDPA" in page.text
    with web.platform.sessions() as session:
        actions = [e.action for e in session.scalars(
            select(AuditEntry).where(AuditEntry.subject_type == "complaint"))]  # fmt: skip
    assert actions == ["complaint.received", "complaint.note_added", "complaint.updated"]
    trail = officer.get("/admin/audit").text
    assert f"Complaint received from HDPA about request {linked}: answer by" in trail
    assert "Complaint status and outcome recorded: now answered" in trail


def test_an_overdue_complaint_is_marked_and_auditors_only_read(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    token = csrf(officer.get("/admin/complaints/new"))
    long_ago = (utcnow() - timedelta(days=60)).date().isoformat()
    made = officer.post("/admin/complaints/new", data={
        "csrf_token": token, "source": "person", "subject": "Marketing after objection",
        "received_on": long_ago})  # fmt: skip
    assert made.status_code == 303
    register = officer.get("/admin/complaints")
    assert "overdue" in register.text
    assert "Marketing after objection" in register.text
    auditor = web.signed_in(Role.auditor)
    assert auditor.get(made.headers["location"]).status_code == 200
    assert auditor.get("/admin/complaints/new").status_code == 403


def test_the_api_registers_and_reads_complaints_with_its_scopes(web: Web) -> None:
    writer = web.api_token("complaints:write", "complaints:read")
    reader = web.api_token("complaints:read")
    body = {"subject": "Cookie banner", "source": "authority", "authority": "CNIL",
            "deadline": (utcnow() + timedelta(days=15)).date().isoformat(),
            "complainant": "Camille Durand"}  # fmt: skip
    denied = web.client.post("/api/v1/complaints", json=body,
                             headers={"Authorization": f"Bearer {reader}"})  # fmt: skip
    assert denied.status_code == 403
    made = web.client.post("/api/v1/complaints", json=body,
                           headers={"Authorization": f"Bearer {writer}"})  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["deadline_basis"] == "set by CNIL"
    assert "complainant" not in made.json()
    reference = made.json()["reference"]
    read = web.client.get(f"/api/v1/complaints/{reference}",
                          headers={"Authorization": f"Bearer {reader}"})  # fmt: skip
    assert read.json()["overdue"] is False
    bad = web.client.post("/api/v1/complaints", json=body | {"authority": "XYZ"},
                          headers={"Authorization": f"Bearer {writer}"})  # fmt: skip
    assert bad.status_code == 422
    assert "Unknown authority" in bad.text
    assert "/api/v1/complaints" in web.client.get("/openapi.json").text


def test_complaints_registered_at_once_each_get_their_own_reference(web: Web) -> None:
    # A token each: one token's use is recorded under its row lock, which would queue them.
    others = ["complaints:read", "audit:read", "requests:read", "consent:read", "status:read"]
    writers = [web.api_token("complaints:write"),
               *(web.api_token("complaints:write", other) for other in others)]  # fmt: skip
    body = {"subject": "Cookie banner", "source": "authority", "authority": "CNIL"}

    def register(n: int) -> tuple[int, str]:
        answer = web.browser().post("/api/v1/complaints", json=body,
                                    headers={"Authorization": f"Bearer {writers[n]}"})  # fmt: skip
        return int(answer.status_code), str(answer.json().get("reference"))

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(register, range(6)))
    assert [code for code, _ in answers] == [201] * 6
    assert len({reference for _, reference in answers}) == 6
