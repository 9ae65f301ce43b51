"""Post-mortem directives (Loi Informatique et Libertés art. 85): recorded for people living in
France only, verified, and applied once when the designated person reports the death — as an
erasure request and staff tasks; sealed at rest; every step audited; two reports at once
apply it once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import select, text

from lawful.auth.models import Role
from lawful.requests.models import RightsRequest
from lawful.store.audit import AuditEntry

from .conftest import Web, csrf

PERSON = {"name": "Amélie Poulain", "email": "amelie@people.example"}
DESIGNEE = {"name": "Nino Quincampoix", "email": "nino@people.example"}


def _body(**given: Any) -> dict[str, Any]:
    return {"kind": "specific", "country": "FR", "person": PERSON, "designee": DESIGNEE,
            "instructions": ["erasure", "access", "task"],
            "wording": "Close my account and send my photos to Nino."} | given  # fmt: skip


def _verified(web: Web, writer: str) -> str:
    headers = {"Authorization": f"Bearer {writer}"}
    made = web.client.post("/api/v1/directives", json=_body(), headers=headers)
    assert made.status_code == 201, made.text
    reference = str(made.json()["reference"])
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get(f"/admin/directives/{reference}")
    verified = officer.post(f"/admin/directives/{reference}/verify",
                            data={"csrf_token": csrf(page), "how": "ID card seen at the desk"})  # fmt: skip
    assert verified.status_code == 303
    return reference


def test_staff_record_verify_and_apply_a_directive_in_the_console(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    token = csrf(officer.get("/admin/directives/new"))
    form = {"csrf_token": token, "kind": "general", "person_name": PERSON["name"],
            "person_email": PERSON["email"], "designee_name": DESIGNEE["name"],
            "designee_email": DESIGNEE["email"], "instructions": ["erasure"]}  # fmt: skip
    abroad = officer.post("/admin/directives/new", data=form | {"country": "DE"})
    assert abroad.status_code == 422
    assert "Loi Informatique et Libertés art. 85" in abroad.text
    assert 'id="country-error"' in abroad.text
    made = officer.post("/admin/directives/new", data=form | {"country": "fr"})
    assert made.status_code == 303
    url = made.headers["location"]
    page = officer.get(url)
    assert "Amélie Poulain" in page.text
    assert "Apply the directive" not in page.text
    token = csrf(page)
    early = officer.post(f"{url}/death", data={"csrf_token": token,
                         "reporter_email": DESIGNEE["email"], "proof": "Death certificate"})  # fmt: skip
    assert early.status_code == 409
    assert "is not verified" in early.text
    officer.post(f"{url}/verify", data={"csrf_token": token, "how": "Signed letter and ID"})
    stranger = officer.post(f"{url}/death", data={"csrf_token": token,
                            "reporter_email": "heir@people.example", "proof": "Certificate"})  # fmt: skip
    assert stranger.status_code == 422
    assert "Only the person the directives designate" in stranger.text
    applied = officer.post(f"{url}/death", data={"csrf_token": token,
                           "reporter_email": "NINO@people.example", "proof": "Death certificate, Paris 4e"})  # fmt: skip
    assert applied.status_code == 303
    page = officer.get(url)
    assert "applied" in page.text
    assert "Death certificate, Paris 4e" in page.text
    with web.platform.sessions() as session:
        raw = session.execute(text("SELECT * FROM postmortem_directives")).one()
        assert not [v for v in raw if isinstance(v, (str, bytes)) and b"Poulain" in
                    (v.encode() if isinstance(v, str) else bytes(v))]  # fmt: skip
        actions = [e.action for e in session.scalars(
            select(AuditEntry).where(AuditEntry.subject_type == "directive").order_by(AuditEntry.seq))]  # fmt: skip
    assert actions == ["directive.recorded", "directive.verified", "directive.death_reported",
                       "directive.applied"]  # fmt: skip
    trail = officer.get("/admin/audit").text
    assert "Post-mortem directive recorded (general): asks erasure" in trail
    assert "Death reported by the designated person, with proof" in trail
    assert "Post-mortem directive applied: requests " in trail


def test_instructions_become_an_erasure_request_and_staff_tasks(web: Web) -> None:
    writer = web.api_token("directives:write", "directives:read")
    reference = _verified(web, writer)
    headers = {"Authorization": f"Bearer {writer}"}
    death = {"reporter_email": DESIGNEE["email"], "proof": "Death certificate"}
    applied = web.client.post(f"/api/v1/directives/{reference}/death", json=death, headers=headers)
    assert applied.status_code == 200, applied.text
    created = applied.json()["created_requests"]
    assert len(created) == 3
    web.settle()
    with web.platform.sessions() as session:
        kinds = [session.scalars(select(RightsRequest).where(RightsRequest.reference == r)).one()
                 for r in created]  # fmt: skip
        assert [k.request_type.value for k in kinds] == ["erasure", "post_mortem", "post_mortem"]
        assert all(k.residence_country == "FR" for k in kinds)
        assert all(k.status.value != "verifying" for k in kinds)
    again = web.client.post(f"/api/v1/directives/{reference}/death", json=death, headers=headers)
    assert again.status_code == 409


def test_two_death_reports_at_once_apply_the_directive_once(web: Web) -> None:
    writer = web.api_token("directives:write", "directives:read")
    reference = _verified(web, writer)
    death = {"reporter_email": DESIGNEE["email"], "proof": "Death certificate"}

    def report(_: int) -> int:
        client = web.browser()
        answer = client.post(f"/api/v1/directives/{reference}/death", json=death,
                             headers={"Authorization": f"Bearer {writer}"})  # fmt: skip
        return int(answer.status_code)

    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = sorted(pool.map(report, range(4)))
    web.settle()
    assert codes == [200, 409, 409, 409]
    with web.platform.sessions() as session:
        requests = session.scalar(text("SELECT count(*) FROM rights_requests"))
        applied = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "directive.applied")
        ).all()
    assert (requests, len(applied)) == (3, 1)


def test_the_api_needs_its_scopes_and_refuses_other_countries(web: Web) -> None:
    reader = web.api_token("directives:read")
    writer = web.api_token("directives:write")
    denied = web.client.post("/api/v1/directives", json=_body(),
                             headers={"Authorization": f"Bearer {reader}"})  # fmt: skip
    assert denied.status_code == 403
    abroad = web.client.post("/api/v1/directives", json=_body(country="GR"),
                             headers={"Authorization": f"Bearer {writer}"})  # fmt: skip
    assert abroad.status_code == 422
    assert "art. 85" in abroad.text
    listed = web.client.get("/api/v1/directives", headers={"Authorization": f"Bearer {reader}"})
    assert listed.json() == []


def test_hostile_and_foreign_names_are_sealed_and_shown_as_text(web: Web) -> None:
    hostile = "<script>alert(1)</script>' OR 1=1 -- Ｊｏｓéphine Ελένη"
    writer = web.api_token("directives:write")
    made = web.client.post("/api/v1/directives", headers={"Authorization": f"Bearer {writer}"},
                           json=_body(person={"name": hostile, "email": "jo@people.example"}))  # fmt: skip
    assert made.status_code == 201, made.text
    officer = web.signed_in(Role.analyst)
    page = officer.get(f"/admin/directives/{made.json()['reference']}")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#39; OR 1=1 -- Ｊｏｓéphine Ελένη" in page.text
    with web.platform.sessions() as session:
        sealed = session.scalar(text("SELECT person_sealed FROM postmortem_directives"))
    assert "Ελένη".encode() not in bytes(sealed)
