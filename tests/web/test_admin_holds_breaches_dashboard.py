"""The admin console's legal holds, breach register and dashboard pages."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from lawful.auth.models import Role
from lawful.breach.service import Changes, open_incident, update_incident
from lawful.engine.identity import parse_identity
from lawful.requests.intake import Intake
from lawful.requests.service import submit_request
from lawful.retention.models import HoldScope
from lawful.retention.service import add_legal_hold
from lawful.store.models import utcnow

from .conftest import Web, csrf


def test_holds_are_listed_masked_placed_and_released_by_an_officer(web: Web) -> None:
    platform = web.platform
    with platform.sessions() as session:
        person = parse_identity(["email=ann.tribunal@people.example"], datamap=platform.datamap)
        add_legal_hold(session, keyring=platform.keyring, datamap=platform.datamap,
                       scope=HoldScope.person, reason="Tribunal claim", owner="Counsel",
                       actor="test", people=[person])  # fmt: skip
        session.commit()
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/holds")
    assert page.status_code == 200
    assert "a…@people.example" in page.text
    assert "ann.tribunal" not in page.text
    placed = officer.post("/admin/holds", data={
        "csrf_token": csrf(page), "scope": "dataset", "datasets": ["prospects"],
        "reason": "Regulator audit", "owner": "DPO",
    })  # fmt: skip
    assert placed.status_code == 303
    listed = officer.get("/admin/holds")
    assert "Regulator audit" in listed.text
    hold_id = re.findall(r'action="/admin/holds/([0-9a-f]+)/release"', listed.text)
    released = officer.post(f"/admin/holds/{hold_id[0]}/release",
                            data={"csrf_token": csrf(listed), "note": "Audit over"})  # fmt: skip
    assert released.status_code == 303
    assert "Audit over" in officer.get("/admin/holds?all=true").text


def test_a_hold_missing_its_case_reference_is_refused_on_the_page(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    page = officer.get("/admin/holds")
    refused = officer.post("/admin/holds", data={
        "csrf_token": csrf(page), "scope": "case", "datasets": ["prospects"],
        "reason": "Claim", "owner": "Counsel",
    })  # fmt: skip
    assert refused.status_code == 422
    assert "A case hold needs a case reference" in refused.text


def test_analysts_read_holds_but_cannot_place_or_release_them(web: Web) -> None:
    analyst = web.signed_in(Role.analyst)
    page = analyst.get("/admin/holds")
    assert page.status_code == 200
    assert "Place a hold" not in page.text
    refused = analyst.post("/admin/holds", data={
        "csrf_token": csrf(page), "scope": "dataset", "datasets": ["prospects"],
        "reason": "x", "owner": "y",
    })  # fmt: skip
    assert refused.status_code == 403


def test_the_breach_register_shows_each_incident_on_its_clock_with_its_drafts(web: Web) -> None:
    platform, aware = web.platform, utcnow() - timedelta(hours=10)
    with platform.sessions() as session:
        incident = open_incident(session, datamap=platform.datamap, title="Stolen laptop",
                                 became_aware_at=aware, actor="test", systems=["ats"],
                                 nature="A laptop with ATS exports was stolen.")  # fmt: skip
        update_incident(session, datamap=platform.datamap, reference=incident.reference,
                        actor="test", changes=Changes(consequences="Identity fraud."))  # fmt: skip
        reference = incident.reference
        session.commit()
    auditor = web.signed_in(Role.auditor)
    register = auditor.get("/admin/breaches")
    assert reference in register.text
    assert "left to notify the authority" in register.text
    page = auditor.get(f"/admin/breaches/{reference}")
    assert page.status_code == 200
    assert "Art. 33(3)(d) (measures taken or proposed to address the breach)" in page.text
    assert "A laptop with ATS exports was stolen." in page.text
    draft = auditor.get(f"/admin/breaches/{reference}/drafts/authority.md")
    assert (
        draft.headers["content-disposition"] == f'attachment; filename="{reference}-authority.md"'
    )
    assert "Identity fraud." in draft.text
    assert auditor.get(f"/admin/breaches/{reference}/drafts/client.md").status_code == 422
    assert auditor.get("/admin/breaches/BR-1999-0001").status_code == 404


def test_the_dashboard_draws_its_charts_and_exports_the_ccpa_figures(web: Web) -> None:
    ctx = web.platform.requests
    with web.platform.sessions() as session:
        for email in ("one@people.example", "two@people.example"):
            intake = Intake(request_type="access", email=email, country="US", region="CA")
            submit_request(session, ctx=ctx, intake=intake)
        session.commit()
    web.settle()
    analyst = web.signed_in(Role.analyst)
    page = analyst.get("/admin/dashboard")
    assert page.status_code == 200
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 3
    assert "2 requests open" in page.text
    this_year = utcnow().year
    export = analyst.get(f"/admin/dashboard/ccpa-metrics-{this_year}.csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows[0]["request type"] == "Requests to know"
    assert rows[0]["received"] == "2"
    assert rows[0]["pending"] == "2"
    assert (
        analyst.get(f"/admin/dashboard/ccpa-metrics-{this_year}.json").json()["year"] == this_year
    )
