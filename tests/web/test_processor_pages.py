"""The processor register's pages (GDPR Art. 28): the map's processors with their agreements,
an agreement recorded, a change of sub-processor announced with the notice owed to the client
it touches, the notice recorded as sent once; analysts read only."""

from __future__ import annotations

import re

from sqlalchemy import select

from lawful.auth.models import Role
from lawful.store.audit import AuditEntry

from .conftest import Web, csrf


def test_an_officer_records_an_agreement_and_announces_a_change_to_the_client(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    listed = officer.get("/admin/processors")
    assert listed.status_code == 200
    row = re.search(r"Aegean Datacentres S\.A\..*?</tr>", listed.text, re.S)
    assert row is not None
    assert "none recorded" in row.group(0)
    assert "lumiere" in row.group(0)
    page = officer.get("/admin/processors/hosting_gr")
    done = officer.post("/admin/processors/hosting_gr/agreement", data={
        "csrf_token": csrf(page), "signed_on": "2025-04-01", "authorisation": "general",
        "review_on": "2027-04-01",
    })  # fmt: skip
    assert done.status_code == 303
    late = officer.post("/admin/processors/hosting_gr/changes", data={
        "csrf_token": csrf(page), "kind": "replaced", "description": "Move to Patras.",
        "effective_on": "2020-01-01",
    })  # fmt: skip
    assert late.status_code == 422
    assert "clients may object before it does (Art. 28(2))" in late.text
    announced = officer.post("/admin/processors/hosting_gr/changes", data={
        "csrf_token": csrf(page), "kind": "replaced", "description": "Move to Patras.",
        "effective_on": "2099-01-01",
    })  # fmt: skip
    assert announced.status_code == 303
    shown = officer.get("/admin/processors/hosting_gr")
    assert "signed 1 Apr 2025, general authorisation" in shown.text
    assert "Notice to Lumière Énergie SA: <strong>not sent yet</strong>" in shown.text
    assert "we intend to replace a sub-processor: Aegean Datacentres S.A. (GR)" in shown.text
    [action] = re.findall(r'action="(/admin/processors/hosting_gr/notices/\d+/sent)"', shown.text)
    assert officer.post(action, data={"csrf_token": csrf(shown)}).status_code == 303
    again = officer.post(action, data={"csrf_token": csrf(shown)})
    assert again.status_code == 409
    assert "already recorded as sent on" in again.text
    assert "Notice to Lumière Énergie SA: sent" in officer.get("/admin/processors/hosting_gr").text
    with web.platform.sessions() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.subject_id == "hosting_gr")
        ).all()
    assert actions == [
        "processor.agreement_recorded",
        "processor.change_announced",
        "processor.notice_sent",
    ]


def test_an_unknown_processor_is_a_clear_error_and_analysts_cannot_write(web: Web) -> None:
    analyst = web.signed_in(Role.analyst)
    missing = analyst.get("/admin/processors/urssaf")
    assert missing.status_code == 422
    assert "`urssaf` is not a processor of the map; processors:" in missing.text
    page = analyst.get("/admin/processors/hosting_gr")
    assert "Record the agreement" not in page.text
    refused = analyst.post("/admin/processors/hosting_gr/agreement", data={
        "csrf_token": csrf(page), "signed_on": "2025-04-01", "authorisation": "general",
    })  # fmt: skip
    assert refused.status_code == 403


def test_the_api_reads_the_processors_with_its_scope_only(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/processors/hosting_us")
    officer.post("/admin/processors/hosting_us/changes", data={
        "csrf_token": csrf(page), "kind": "added", "description": "Ohio backups.", "effective_on": "2099-01-01",
    })  # fmt: skip
    reader = {"Authorization": f"Bearer {web.api_token('processors:read')}"}
    answer = web.client.get("/api/v1/processors", headers=reader)
    assert answer.status_code == 200
    rows = {row["recipient"]: row for row in answer.json()}
    assert rows["hosting_us"]["clients"] == ["brightpath"]
    assert rows["hosting_us"]["changes"] == [
        {
            "kind": "added",
            "effective_on": "2099-01-01",
            "notices": [{"client": "brightpath", "sent_at": None}],
        }
    ]
    assert rows["hosting_fr"]["agreement"] is None
    other = {"Authorization": f"Bearer {web.api_token('dpia:read')}"}
    assert web.client.get("/api/v1/processors", headers=other).status_code == 403
