"""Admin pages for the breach register: every incident on its clock, one incident with its
Art. 33(3) items, who must be told (Art. 33–34) and its phases, and its drafts to download.
Every staff role may read them; privacy officers and administrators open, update and record
notifications through the forms of `lawful.breach.forms_pages` (or `lawful breach`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawful.auth.models import StaffUser
from lawful.auth.names import actor_names
from lawful.auth.roles import REQUEST_DECIDERS
from lawful.breach.assessment import assess
from lawful.breach.drafts import AUDIENCES, DraftError, make_draft, render_draft
from lawful.breach.errors import InvalidIncidentError
from lawful.breach.forms import Form
from lawful.breach.models import Incident, OurRole
from lawful.breach.service import get_incident, incident_clock, list_incidents
from lawful.formats import display_zone
from lawful.http.deps import CurrentStaff, DbSession, PlatformDep
from lawful.http.platform import Platform
from lawful.http.templating import render
from lawful.store.models import utcnow

router = APIRouter(include_in_schema=False)
MEDIA = {"md": "text/markdown; charset=utf-8", "html": "text/html; charset=utf-8"}


@router.get("/admin/breaches", response_class=HTMLResponse)
def register(request: Request, db: DbSession, staff: CurrentStaff) -> HTMLResponse:
    now = utcnow()
    rows = [(i, incident_clock(i, now=now)) for i in list_incidents(db)]
    context = {"active": "breaches", "rows": rows, "can_edit": staff.role in REQUEST_DECIDERS}
    return render(request, "breach/register.html.j2", context)


@router.get("/admin/breaches/{reference}", response_class=HTMLResponse)
def incident_page(
    request: Request, db: DbSession, platform: PlatformDep, staff: CurrentStaff, reference: str
) -> HTMLResponse:
    context = incident_context(db, platform, staff, reference=reference)
    return render(request, "breach/incident.html.j2", context)


def incident_context(
    db: Session, platform: Platform, staff: StaffUser, *, reference: str
) -> dict[str, Any]:
    """The incident page's facts: its clocks, who must be told, its drafts and phases."""
    incident = get_incident(db, reference=reference)
    datamap, now = platform.datamap, utcnow()
    clients = sorted({c for d in incident.datasets if (c := datamap.datasets[d].client_id())})
    decision = assess(risk=incident.risk, exemptions=incident.exemptions, role=incident.our_role,
                      categories=incident.categories, clients=clients, people=incident.people_count)  # fmt: skip
    draft = make_draft(incident=incident, datamap=datamap, audience="authority", now=now,
                       zone=display_zone(platform.settings))  # fmt: skip
    clock = incident_clock(incident, now=now)
    return {
        "active": "breaches",
        "incident": incident,
        "clock": clock,
        "elapsed_hours": min(72.0, clock.elapsed.total_seconds() / 3600),
        "actor_names": actor_names(db, [update.actor for update in incident.updates]),
        "decision": decision,
        "clients": clients,
        "preview": render_draft(draft, kind="md"),
        "pending": draft.pending,
        "audiences": [a for a in AUDIENCES if a != "client" or clients],
        "can_edit": staff.role in REQUEST_DECIDERS,
        "notify_to": _to_notify(incident, clients=bool(clients)),
        "errors": {},
        "form": Form({}, {}),
    }


def _to_notify(incident: Incident, *, clients: bool) -> list[str]:
    """Who is still to be told, as the register stands (Art. 33(1), 33(2), 34(1))."""
    wanted = {
        "authority": incident.our_role is OurRole.controller and incident.authority_notified_at is None,
        "people": incident.our_role is OurRole.controller and incident.people_notified_at is None,
        "clients": (incident.our_role is OurRole.processor or clients)
        and incident.clients_notified_at is None,
    }  # fmt: skip
    return [audience for audience, open_ in wanted.items() if open_]


@router.get("/admin/breaches/{reference}/drafts/{audience}.{kind}")
def download_draft(
    db: DbSession,
    platform: PlatformDep,
    staff: CurrentStaff,
    reference: str,
    audience: Annotated[str, Path(pattern="^(authority|people|public|client)$")],
    kind: Literal["md", "html"],
) -> Response:
    incident = get_incident(db, reference=reference)
    try:
        draft = make_draft(incident=incident, datamap=platform.datamap, audience=audience,  # type: ignore[arg-type]
                           now=utcnow(), zone=display_zone(platform.settings))  # fmt: skip
    except DraftError as error:
        raise InvalidIncidentError(str(error), field="client") from None
    name = f"{incident.reference}-{audience}.{kind}"
    return Response(
        render_draft(draft, kind=kind),
        media_type=MEDIA[kind],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
