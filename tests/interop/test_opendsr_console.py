"""The console page of OpenDSR: administrators make a client's token (shown once, kept
hashed, audited) and revoke it; the latest requests show no identity; other roles are
refused."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from lawful.auth.models import Role
from lawful.interop.opendsr.models import OpenDsrCredential
from lawful.store.audit import AuditEntry

from ..web.conftest import Web, csrf

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
SAME_SITE = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}


def test_an_administrator_makes_a_token_sees_it_once_and_revokes_it(web: Web) -> None:
    browser = web.signed_in(Role.admin)
    page = browser.get("/admin/opendsr")
    form = {"csrf_token": csrf(page), "client": "lumiere", "label": "Lumière DSR hub"}
    made = browser.post("/admin/opendsr", data=form, headers=SAME_SITE)
    assert made.status_code == 201
    token = re.search(r"odsr_[A-Za-z0-9_-]{43}", made.text)
    assert token is not None
    assert token.group(0) not in browser.get("/admin/opendsr").text  # shown once
    with web.platform.sessions() as session:
        stored = session.scalars(select(OpenDsrCredential)).one()
        issued = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "opendsr.credential_issued")
        ).all()
    assert stored.client == "lumiere"
    assert [e.subject_id for e in issued] == ["lumiere"]
    page = browser.get("/admin/opendsr")
    revoked = browser.post(f"/admin/opendsr/{stored.prefix}/revoke",
                           data={"csrf_token": csrf(page)}, headers=SAME_SITE)  # fmt: skip
    assert revoked.status_code == 303
    with web.platform.sessions() as session:
        assert session.scalars(select(OpenDsrCredential)).all() == []


def test_a_client_not_in_the_map_is_refused_on_the_form(web: Web) -> None:
    browser = web.signed_in(Role.admin)
    page = browser.get("/admin/opendsr")
    form = {"csrf_token": csrf(page), "client": "nobody", "label": "x"}
    refused = browser.post("/admin/opendsr", data=form, headers=SAME_SITE)
    assert refused.status_code == 422
    assert "no client" in refused.text


@pytest.mark.parametrize("role", [Role.privacy_officer, Role.analyst, Role.auditor])
def test_staff_who_are_not_administrators_cannot_see_the_opendsr_page(web: Web, role: Role) -> None:
    assert web.signed_in(role).get("/admin/opendsr").status_code == 403
