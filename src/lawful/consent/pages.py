"""Console pages for the consent ledger: people by state for each purpose (with a chart),
the published notice versions and who must be asked again; publishing a new version; one
person's history, decisions and receipts.

Every staff role reads. A person is looked up with a POST form (an address in a URL would
land in access logs) and every look-up is audited. Publishing a notice version is kept to
privacy officers and administrators (auditors and analysts get 403).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lawful.auth.models import StaffUser
from lawful.auth.names import actor_names
from lawful.auth.roles import REQUEST_DECIDERS
from lawful.consent.api import receipt_response
from lawful.consent.errors import ConsentError
from lawful.consent.ledger_report import consent_overview, look_up_person
from lawful.consent.notices import publish_notice
from lawful.consent.policy import policy_for
from lawful.http.deps import (
    CurrentStaff,
    DbSession,
    PersonData,
    PlatformDep,
    RequestDecider,
    StaffForm,
    staff_actor,
)
from lawful.http.platform import Platform
from lawful.http.templating import render
from lawful.reports.charts import row_chart
from lawful.store.models import utcnow

router = APIRouter(include_in_schema=False, dependencies=[PersonData])  # Art. 32(4)


@router.get("/admin/consent", response_class=HTMLResponse)
def overview(
    request: Request, db: DbSession, platform: PlatformDep, staff: CurrentStaff
) -> HTMLResponse:
    return render(request, "consent/admin_overview.html.j2", _overview(db, platform, staff))


@router.post("/admin/consent/notices", dependencies=[StaffForm])
def publish(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    staff: RequestDecider,
    version: Annotated[str, Form(max_length=50)],
    material: Annotated[bool, Form()] = False,
    purposes: Annotated[list[str] | None, Form()] = None,
    summary: Annotated[str, Form(max_length=2000)] = "",
    grace_days: Annotated[int, Form(ge=0, le=366)] = 0,
) -> Response:
    """Publish the notice generated from the map as `version` (audited by the service)."""
    try:
        publish_notice(db, datamap=platform.datamap, actor=staff_actor(staff), material=material,
                       version=version.strip(), purposes=purposes or None,
                       summary=summary.strip() or None, grace_days=grace_days,
                       queue=platform.jobs)  # fmt: skip
    except ConsentError as error:
        db.rollback()
        context = _overview(db, platform, staff) | {"error": error.message}
        return render(
            request, "consent/admin_overview.html.j2", context, status_code=error.http_status
        )
    return RedirectResponse("/admin/consent", status_code=303)


@router.get("/admin/consent/person", response_class=HTMLResponse)
def person_form(request: Request, staff: CurrentStaff) -> HTMLResponse:
    context = {"active": "consent", "person": None, "subject": "", "error": None}
    return render(request, "consent/admin_person.html.j2", context)


@router.post("/admin/consent/person", response_class=HTMLResponse, dependencies=[StaffForm])
def person(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    staff: CurrentStaff,
    subject: Annotated[str, Form(max_length=400)],
) -> HTMLResponse:
    """A person's events, current decisions and receipts, found by email or phone."""
    context: dict[str, Any] = {"active": "consent", "subject": subject, "error": None}
    try:
        found = look_up_person(db, datamap=platform.datamap, keyring=platform.keyring,
                               subject=subject, actor=staff_actor(staff), now=utcnow())  # fmt: skip
    except ConsentError as error:
        context |= {"person": None, "error": error.message}
        return render(
            request, "consent/admin_person.html.j2", context, status_code=error.http_status
        )
    names = actor_names(db, [event.actor for event in found.events])
    context |= {"person": found, "actor_names": names}
    return render(request, "consent/admin_person.html.j2", context)


@router.get("/admin/consent/receipts/{event_id}/{kind}")
def receipt(
    db: DbSession,
    platform: PlatformDep,
    staff: CurrentStaff,
    event_id: str,
    kind: Literal["iso27560", "kantara"],
) -> Response:
    return receipt_response(db, platform, event_id=event_id, kind=kind)


def _overview(db: Session, platform: Platform, staff: StaffUser) -> dict[str, Any]:
    found = consent_overview(db, datamap=platform.datamap, keyring=platform.keyring, now=utcnow())
    bars = [(p.name, float(p.states["given"])) for p in found.purposes if p.basis == "consent"]
    rules = policy_for(platform.datamap).purposes.values()
    return {
        "active": "consent",
        "overview": found,
        "chart": row_chart(title="People whose consent is current, by purpose", bars=bars),
        "consent_purposes": [rule for rule in rules if rule.consent_based],
        "can_publish": staff.role in REQUEST_DECIDERS,
        "error": None,
    }
