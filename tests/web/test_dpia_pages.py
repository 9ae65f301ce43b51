"""The DPIA register's pages and API: the screening of every purpose, a DPIA opened and moved
forward by a privacy officer (audited), refused with the reason on the page, read-only for
analysts, and read over the API with the `dpia:read` scope only."""

from __future__ import annotations

import re

from sqlalchemy import select

from lawful.auth.models import Role
from lawful.store.audit import AuditEntry

from .conftest import Web, csrf


def test_an_officer_opens_a_dpia_for_the_purpose_the_map_flags_and_approves_it(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/dpia")
    assert page.status_code == 200
    row = re.search(r"Check the criminal record.*?</tr>", page.text, re.S)
    assert row is not None
    assert "evaluation, sensitive_data, vulnerable_subjects" in row.group(0)
    assert "DPIA-2026-0001</span> (named by the map, not in the register)" in row.group(0)
    opened = officer.post("/admin/dpia", data={
        "csrf_token": csrf(page), "purpose": "background_screening", "review_on": "2030-01-31",
    })  # fmt: skip
    assert opened.status_code == 303
    reference = opened.headers["location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"DPIA-\d{4}-0001", reference)
    detail = officer.get(f"/admin/dpia/{reference}")
    assert "Sensitive or highly personal data" in detail.text
    assert "privacy_officer" in detail.text  # by name, not `staff:<id>`
    refused = officer.post(f"/admin/dpia/{reference}", data={
        "csrf_token": csrf(detail), "state": "approved",
    })  # fmt: skip
    assert refused.status_code == 422
    assert "Write the summary of risks and measures before approving" in refused.text
    approved = officer.post(f"/admin/dpia/{reference}", data={
        "csrf_token": csrf(detail), "state": "approved", "summary": "Two recruiters see extracts.",
    })  # fmt: skip
    assert approved.status_code == 303
    shown = officer.get(f"/admin/dpia/{reference}").text
    assert "<dd>approved</dd>" in shown
    assert "31 Jan 2030" in shown
    with web.platform.sessions() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.subject_id == reference)
        ).all()
    assert actions == ["dpia.opened", "dpia.updated"]


def test_a_bad_date_or_purpose_is_refused_on_the_page_with_what_to_fix(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/dpia")
    bad_date = officer.post("/admin/dpia", data={
        "csrf_token": csrf(page), "purpose": "recruitment", "review_on": "31/01/2030",
    })  # fmt: skip
    assert bad_date.status_code == 422
    assert "is not a date like 2027-06-30" in bad_date.text
    bad_purpose = officer.post(
        "/admin/dpia", data={"csrf_token": csrf(page), "purpose": "<b>x</b>"}
    )
    assert bad_purpose.status_code == 422
    assert "&lt;b&gt;x&lt;/b&gt;" in bad_purpose.text
    assert "<b>x</b>" not in bad_purpose.text
    assert "is not a purpose of the map; purposes:" in bad_purpose.text


def test_analysts_read_the_register_but_cannot_open_a_dpia(web: Web) -> None:
    analyst = web.signed_in(Role.analyst)
    page = analyst.get("/admin/dpia")
    assert page.status_code == 200
    assert "Open a DPIA" not in page.text
    refused = analyst.post("/admin/dpia", data={"csrf_token": csrf(page), "purpose": "recruitment"})
    assert refused.status_code == 403


def test_the_api_reads_the_register_with_its_scope_only(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/dpia")
    officer.post("/admin/dpia", data={"csrf_token": csrf(page), "purpose": "background_screening"})
    reader = {"Authorization": f"Bearer {web.api_token('dpia:read')}"}
    answer = web.client.get("/api/v1/dpia", headers=reader)
    assert answer.status_code == 200
    body = answer.json()
    screening = {s["purpose"]: s for s in body["screenings"]}
    assert screening["background_screening"]["required"] is True
    assert screening["background_screening"]["missing"] is False
    assert screening["payroll"] == {"purpose": "payroll", "criteria": [], "required": False,
                                    "reference": None, "missing": False}  # fmt: skip
    reference = body["dpias"][0]["reference"]
    one = web.client.get(f"/api/v1/dpia/{reference}", headers=reader)
    assert one.json()["state"] == "required"
    assert web.client.get("/api/v1/dpia/DPIA-1999-0001", headers=reader).status_code == 404
    other = {"Authorization": f"Bearer {web.api_token('audit:read')}"}
    assert web.client.get("/api/v1/dpia", headers=other).status_code == 403
