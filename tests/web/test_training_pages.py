"""Staff training (GDPR Art. 32(4), 39(1)(b)): attestations recorded on the page (audited),
and a role that must be trained sees no personal data without a valid attestation: the
request pages answer with a page that says why ("your training expired on …")."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import select

from lawful.auth.models import Role, StaffUser
from lawful.store.audit import AuditEntry
from lawful.store.models import utcnow
from lawful.training.service import record_training

from .conftest import Web, csrf


def _user(web: Web, role: Role) -> StaffUser:
    with web.platform.sessions() as session:
        user = session.scalars(select(StaffUser).where(StaffUser.role == role)).one()
        session.expunge(user)
        return user


def _record(web: Web, user: StaffUser, expires_on: date) -> None:
    with web.platform.sessions() as session:
        found = session.get(StaffUser, user.id)
        assert found is not None
        record_training(session, user=found, course="GDPR basics", actor="test",
                        completed_on=expires_on - timedelta(days=400), expires_on=expires_on,
                        at=utcnow())  # fmt: skip
        session.commit()


def test_an_analyst_without_valid_training_sees_why_and_no_personal_data(
    make_web: Callable[..., Web],
) -> None:
    web = make_web(training_required_roles=["analyst"])
    analyst = web.signed_in(Role.analyst)
    officer = web.signed_in(Role.privacy_officer)  # not a role that must be trained
    assert officer.get("/admin/requests").status_code == 200
    none = analyst.get("/admin/requests")
    assert none.status_code == 403
    assert "no training of yours is on record" in none.text
    user = _user(web, Role.analyst)
    today = utcnow().date()
    _record(web, user, today - timedelta(days=3))
    expired = analyst.get("/admin/requests")
    assert expired.status_code == 403
    assert re.search(r"your training expired on \d{1,2} \w{3} \d{4}\.", expired.text)
    assert analyst.get("/admin/outbox").status_code == 403
    assert analyst.get("/admin/consent").status_code == 403
    assert analyst.get("/admin/requests/export.csv").status_code == 403
    assert analyst.get("/admin/dpia").status_code == 200  # no personal data there
    _record(web, user, today + timedelta(days=1))
    assert analyst.get("/admin/requests").status_code == 200


def test_without_the_setting_nobody_is_stopped(web: Web) -> None:
    analyst = web.signed_in(Role.analyst)
    assert analyst.get("/admin/requests").status_code == 200


def test_an_officer_records_a_training_on_the_page_and_it_is_audited(web: Web) -> None:
    officer = web.signed_in(Role.privacy_officer)
    web.staff(Role.analyst)
    analyst = _user(web, Role.analyst)
    page = officer.get("/admin/training")
    assert page.status_code == 200
    assert "none on record" in page.text
    form = {"csrf_token": csrf(page), "user_id": analyst.id, "course": "GDPR basics 2026",
            "completed_on": "2026-11-02", "expires_on": "2027-11-01"}  # fmt: skip
    bad = officer.post("/admin/training", data=form | {"expires_on": "2026-10-01"})
    assert bad.status_code == 422
    assert "The training must expire after it was completed." in bad.text
    assert officer.post("/admin/training", data=form).status_code == 303
    shown = officer.get("/admin/training").text
    assert "GDPR basics 2026" in shown
    assert "1 Nov 2027" in shown
    with web.platform.sessions() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "training.recorded")
        ).one()
    assert entry.subject_id == analyst.id
    assert entry.details["expires_on"] == "2027-11-01"


def test_analysts_read_the_training_page_but_cannot_record(web: Web) -> None:
    analyst = web.signed_in(Role.analyst)
    page = analyst.get("/admin/training")
    assert "Record a training" not in page.text
    refused = analyst.post("/admin/training", data={"csrf_token": csrf(page), "user_id": "x",
                                                    "course": "c", "completed_on": "2026-01-01",
                                                    "expires_on": "2027-01-01"})  # fmt: skip
    assert refused.status_code == 403


def test_the_api_reads_each_staff_members_training_with_its_scope_only(
    make_web: Callable[..., Web],
) -> None:
    web = make_web(training_required_roles=["analyst"])
    web.staff(Role.analyst)
    analyst = _user(web, Role.analyst)
    _record(web, analyst, utcnow().date() - timedelta(days=1))
    reader = {"Authorization": f"Bearer {web.api_token('training:read')}"}
    answer = web.client.get("/api/v1/training", headers=reader)
    assert answer.status_code == 200
    rows = {row["staff_id"]: row for row in answer.json()}
    assert rows[analyst.id]["course"] == "GDPR basics"
    assert rows[analyst.id]["valid"] is False
    assert rows[analyst.id]["required"] is True
    other = {"Authorization": f"Bearer {web.api_token('dpia:read')}"}
    assert web.client.get("/api/v1/training", headers=other).status_code == 403
