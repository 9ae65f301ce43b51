"""A forward Lawful cannot send is a to-do on the request's page: privacy officers record it
(CSRF-protected, audited), analysts cannot, and the request closes once it is recorded."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from lawful.auth.models import Role
from lawful.config import Settings
from lawful.datamap.loader import LoadedMap
from lawful.datamap.models import ClientForward, ForwardMethod
from lawful.requests.intake import Intake
from lawful.requests.models import RightsRequest
from lawful.requests.service import approve_request, confirm_identity, submit_request
from lawful.requests.states import RequestStatus
from lawful.store.audit import AuditEntry
from lawful.web.app import create_app

from .conftest import Web, csrf


def test_staff_record_a_manual_forward_in_the_console_and_the_request_closes(
    make_settings: Callable[..., Settings],
    example_map: LoadedMap,
    company_files: Path,
) -> None:
    datamap = example_map.datamap
    lumiere = datamap.clients["lumiere"].model_copy(
        update={"forward": ClientForward(method=ForwardMethod.opendsr, address="https://l.example")}
    )
    loaded = dataclasses.replace(
        example_map,
        datamap=datamap.model_copy(update={"clients": {**datamap.clients, "lumiere": lumiere}}),
    )
    app = create_app(make_settings(datastore_dir=company_files), loaded=loaded)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as client:
        web = Web(app, client)
        with sqlite3.connect(company_files / "contact_eu.sqlite") as db:
            [(email,)] = db.execute(
                "SELECT email FROM customers WHERE email IS NOT NULL ORDER BY customer_id LIMIT 1"
            ).fetchall()
        ctx = web.platform.requests
        with web.platform.sessions() as session:
            intake = Intake(request_type="access", email=email, country="FR")
            reference = submit_request(session, ctx=ctx, intake=intake).request.reference
            confirm_identity(session, ctx=ctx, reference=reference, actor="test")
            approve_request(session, ctx=ctx, reference=reference, actor="test")
            session.commit()
        web.settle()

        analyst = web.signed_in(Role.analyst)
        page = analyst.get(f"/admin/requests/{reference}")
        assert "To do: send it on to Lumière Énergie SA" in page.text
        assert "Record as sent" not in page.text  # a privacy officer's decision
        action = f"/admin/requests/{reference}/forwards/lumiere"
        form = {"channel": "portal", "sent": "the portal form", "sent_at": "2026-12-07T10:30"}
        refused = analyst.post(action, data={**form, "csrf_token": csrf(page)})
        assert refused.status_code == 403

        officer = web.signed_in(Role.privacy_officer)
        page = officer.get(f"/admin/requests/{reference}")
        assert officer.post(action, data=form).status_code in (400, 403)  # no CSRF token
        now = datetime.now(web.platform.requests.shown_zone()).strftime("%Y-%m-%dT%H:%M")
        done = officer.post(action, data={**form, "sent_at": now, "csrf_token": csrf(page)})
        assert done.status_code == 303
        web.settle()
        with web.platform.sessions() as session:
            status = session.scalars(
                select(RightsRequest.status).where(RightsRequest.reference == reference)
            ).one()
            entries = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "request.forward_recorded")
            ).all()
        assert status is RequestStatus.forwarded
        assert [e.details["channel"] for e in entries] == ["portal"]
        assert "the portal form" not in str(entries[0].details)  # what was sent: staff only
