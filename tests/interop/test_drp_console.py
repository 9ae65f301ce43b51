"""The console page of the authorized agents: administrators register and remove agents,
each change is in the audit trail with who made it; other roles are refused."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from nacl.signing import SigningKey
from sqlalchemy import select

from lawful.auth.models import Role, StaffUser
from lawful.interop.drp.models import DrpAgent
from lawful.store.audit import AuditEntry

from ..web.conftest import Web, csrf

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
SAME_SITE = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}


def _key() -> str:
    return base64.b64encode(bytes(SigningKey.generate().verify_key)).decode()


def _register(browser: TestClient, **fields: str) -> tuple[int, str]:
    page = browser.get("/admin/agents")
    data = {"csrf_token": csrf(page), "agent_id": "CR_APP", "name": "Permission Slip",
            "verify_key": _key(), "technical_contact": "dev@agent.test"} | fields  # fmt: skip
    answer = browser.post("/admin/agents", data=data, headers=SAME_SITE)
    return answer.status_code, answer.text


def test_an_administrator_registers_an_agent_and_the_audit_trail_names_them(web: Web) -> None:
    status, page = _register(web.signed_in(Role.admin))
    assert status == 201
    assert "CR_APP" in page
    assert "Permission Slip" in page
    with web.platform.sessions() as session:
        agent = session.get(DrpAgent, "CR_APP")
        events = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "drp.agent_saved")
        ).all()
    assert agent is not None
    assert agent.technical_contact == "dev@agent.test"
    assert [e.subject_id for e in events] == ["CR_APP"]
    with web.platform.sessions() as session:
        admin = session.scalars(select(StaffUser).where(StaffUser.role == Role.admin)).one()
    assert events[0].actor == f"staff:{admin.id}"


def test_a_bad_agent_id_or_key_is_shown_on_the_form_and_nothing_is_saved(web: Web) -> None:
    admin = web.signed_in(Role.admin)
    status, page = _register(admin, agent_id="cr-app")
    assert status == 422
    assert "capital letters" in page
    status, page = _register(admin, verify_key="bm90IGEga2V5")
    assert status == 422
    assert "Ed25519" in page
    with web.platform.sessions() as session:
        assert session.scalars(select(DrpAgent)).all() == []


def test_an_administrator_removes_an_agent_and_it_is_recorded(web: Web) -> None:
    browser = web.signed_in(Role.admin)
    assert _register(browser)[0] == 201
    page = browser.get("/admin/agents")
    answer = browser.post(
        "/admin/agents/CR_APP/remove", data={"csrf_token": csrf(page)}, headers=SAME_SITE
    )
    assert answer.status_code == 303
    with web.platform.sessions() as session:
        assert session.get(DrpAgent, "CR_APP") is None
        removed = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "drp.agent_removed")
        ).all()
    assert [e.subject_id for e in removed] == ["CR_APP"]


@pytest.mark.parametrize("role", [Role.privacy_officer, Role.analyst, Role.auditor])
def test_staff_who_are_not_administrators_cannot_see_or_change_the_agents(
    web: Web, role: Role
) -> None:
    browser = web.signed_in(role)
    assert browser.get("/admin/agents").status_code == 403
    assert "/admin/agents" not in browser.get("/admin/requests").text
