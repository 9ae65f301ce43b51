"""Console forms of the breach register: open an incident, update it (one phase of
information, GDPR Art. 33(4)) and record a notification (Art. 33(1), 33(2), 34(1)). Kept to
privacy officers and administrators; every change is audited by the services. A form with
mistakes comes back with every one of them next to its field, nothing stored."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from lawful.breach.assessment import EXEMPTIONS, Exemption
from lawful.breach.errors import InvalidIncidentError
from lawful.breach.forms import (
    Errors,
    Form,
    map_categories,
    read_changes,
    read_notice,
    read_opening,
)
from lawful.breach.models import Incident, IncidentStatus, OurRole, Risk
from lawful.breach.notify import record_notification
from lawful.breach.pages import incident_context
from lawful.breach.service import (
    KINDS,
    PROCESSOR_ROLES,
    count_affected,
    get_incident,
    open_incident,
    update_incident,
)
from lawful.connectors.base import ConnectorError
from lawful.engine.datastores import Datastores
from lawful.engine.errors import EngineError
from lawful.http.deps import DbSession, PlatformDep, RequestDecider, StaffForm, staff_actor
from lawful.http.platform import Platform
from lawful.http.templating import render
from lawful.store.models import utcnow

router = APIRouter(include_in_schema=False)
LISTS = ("systems", "datasets", "kinds", "exemptions", "categories", "add_datasets")


async def _form(request: Request) -> Form:
    data = await request.form()
    single = {k: v for k, v in data.items() if isinstance(v, str)}
    lists = {name: [v for v in data.getlist(name) if isinstance(v, str)] for name in LISTS}
    return Form(single, lists)


def _choices(platform: Platform) -> dict[str, Any]:
    datamap = platform.datamap
    processors = [r for r, v in datamap.recipients.items() if v.role in PROCESSOR_ROLES]
    return {"systems": list(datamap.systems), "datasets": list(datamap.datasets),
            "kinds": KINDS, "processors": processors, "roles": list(OurRole)}  # fmt: skip


@router.get("/admin/breaches/new", response_class=HTMLResponse)
def new_incident(request: Request, platform: PlatformDep, staff: RequestDecider) -> HTMLResponse:
    context = {"active": "breaches", "errors": {}, "form": Form({}, {})} | _choices(platform)
    return render(request, "breach/open.html.j2", context)


@router.post("/admin/breaches", response_class=HTMLResponse, dependencies=[StaffForm])
async def open_form(
    request: Request, db: DbSession, platform: PlatformDep, staff: RequestDecider
) -> Response:
    form = await _form(request)
    opening, errors = read_opening(form, datamap=platform.datamap, now=utcnow())
    if not errors:
        try:
            incident = open_incident(db, datamap=platform.datamap, actor=staff_actor(staff),
                                     **opening.arguments())  # fmt: skip
            return RedirectResponse(f"/admin/breaches/{incident.reference}", status_code=303)
        except InvalidIncidentError as error:
            db.rollback()
            errors[error.field or "title"] = error.message
    context = {"active": "breaches", "errors": errors, "form": form} | _choices(platform)
    return render(request, "breach/open.html.j2", context, status_code=422)


def _edit_context(
    platform: Platform, incident: Incident, form: Form, errors: Errors
) -> dict[str, Any]:
    return {
        "active": "breaches", "incident": incident, "form": form, "errors": errors,
        "statuses": list(IncidentStatus), "risks": list(Risk), "kinds": KINDS,
        "exemptions": [(e.value, EXEMPTIONS[e]) for e in Exemption],
        "categories": map_categories(platform.datamap, incident),
        "datasets": [d for d in platform.datamap.datasets if d not in incident.datasets],
    }  # fmt: skip


def _as_form(incident: Incident) -> Form:
    """The incident as the update form shows it first."""
    texts = {k: getattr(incident, k) or "" for k in ("title", "nature", "consequences",
             "measures_taken", "measures_proposed", "advice_to_people", "risk_reasoning",
             "delay_reasons")}  # fmt: skip
    times = {k: f"{v:%Y-%m-%dT%H:%M}" if (v := getattr(incident, k)) else ""
             for k in ("occurred_from", "occurred_until")}  # fmt: skip
    single = texts | times | {"status": incident.status.value, "risk": incident.risk.value,
              "people_count": "" if incident.people_count is None else str(incident.people_count)}  # fmt: skip
    lists = {"kinds": incident.kinds, "exemptions": incident.exemptions,
             "categories": incident.categories}  # fmt: skip
    return Form(single, lists)


@router.get("/admin/breaches/{reference}/edit", response_class=HTMLResponse)
def edit_incident(
    request: Request, db: DbSession, platform: PlatformDep, staff: RequestDecider, reference: str
) -> HTMLResponse:
    incident = get_incident(db, reference=reference)
    context = _edit_context(platform, incident, _as_form(incident), {})
    return render(request, "breach/update.html.j2", context)


@router.post("/admin/breaches/{reference}/edit", response_class=HTMLResponse,
             dependencies=[StaffForm])  # fmt: skip
async def update_form(
    request: Request, db: DbSession, platform: PlatformDep, staff: RequestDecider, reference: str
) -> Response:
    form = await _form(request)
    incident = get_incident(db, reference=reference)
    changes, errors = read_changes(form, datamap=platform.datamap, incident=incident, now=utcnow())
    if not errors:
        try:
            update_incident(db, datamap=platform.datamap, reference=incident.reference,
                            changes=changes, actor=staff_actor(staff),
                            note=form.text("note")[:2000] or None)  # fmt: skip
            return RedirectResponse(f"/admin/breaches/{incident.reference}", status_code=303)
        except InvalidIncidentError as error:
            db.rollback()
            errors[error.field or "note"] = error.message
            incident = get_incident(db, reference=reference)
    context = _edit_context(platform, incident, form, errors)
    return render(request, "breach/update.html.j2", context, status_code=422)


@router.post("/admin/breaches/{reference}/notify", response_class=HTMLResponse,
             dependencies=[StaffForm])  # fmt: skip
async def notify_form(
    request: Request, db: DbSession, platform: PlatformDep, staff: RequestDecider, reference: str
) -> Response:
    form = await _form(request)
    incident = get_incident(db, reference=reference)
    notice, errors = read_notice(form, incident=incident, now=utcnow())
    if notice is not None:
        try:
            record_notification(db, datamap=platform.datamap, reference=incident.reference,
                                audience=notice.audience, notified_at=notice.at,
                                channel=notice.channel, actor=staff_actor(staff),
                                authority_reference=notice.authority_reference,
                                delay_reasons=notice.delay_reasons, note=notice.note)  # fmt: skip
            return RedirectResponse(f"/admin/breaches/{incident.reference}", status_code=303)
        except InvalidIncidentError as error:
            db.rollback()
            errors[error.field or "audience"] = error.message
    return _incident_again(request, db, platform, staff, reference, form, errors)


@router.post("/admin/breaches/{reference}/count", response_class=HTMLResponse,
             dependencies=[StaffForm])  # fmt: skip
def count_form(
    request: Request, db: DbSession, platform: PlatformDep, staff: RequestDecider, reference: str
) -> Response:
    """Count the people and records affected through the connectors (Art. 33(3)(a)); the
    counts, never the people, are kept on the incident and audited (`breach.counted`)."""
    try:
        with Datastores(platform.connectors) as datastores:
            count_affected(db, datamap=platform.datamap, datastores=datastores,
                           reference=reference, actor=staff_actor(staff))  # fmt: skip
    except (EngineError, ConnectorError) as error:
        db.rollback()
        why = error.problems if isinstance(error, EngineError) else [error]
        message = "The count could not be made: " + "; ".join(str(p) for p in why)
        return _incident_again(request, db, platform, staff, reference, Form({}, {}),
                               {"count": message})  # fmt: skip
    return RedirectResponse(f"/admin/breaches/{reference}", status_code=303)


def _incident_again(
    request: Request,
    db: Session,
    platform: Platform,
    staff: Any,
    reference: str,
    form: Form,
    errors: Errors,
) -> HTMLResponse:
    context = incident_context(db, platform, staff, reference=reference)
    context |= {"errors": errors, "form": form}
    return render(request, "breach/incident.html.j2", context, status_code=422)
