"""Console pages of discovery: each SQL system's last scan, and per system the declared vs
found personal columns, what is new since the previous scan, free text holding personal data
and undeclared columns with the YAML to add. Every staff role reads; privacy officers and
administrators queue a scan."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lawful.auth.names import actor_names
from lawful.auth.roles import REQUEST_DECIDERS
from lawful.discovery.service import request_scan, system_drift, systems_overview
from lawful.http.deps import (
    CurrentStaff,
    DbSession,
    PlatformDep,
    RequestDecider,
    StaffForm,
    staff_actor,
)
from lawful.http.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/admin/discovery", response_class=HTMLResponse)
def discovery(
    request: Request, db: DbSession, platform: PlatformDep, staff: CurrentStaff
) -> HTMLResponse:
    systems = systems_overview(db, datamap=platform.datamap)
    schedule = platform.settings.discovery_scan_schedule
    context = {"active": "discovery", "systems": systems, "schedule": schedule}
    return render(request, "discovery/overview.html.j2", context)


@router.get("/admin/discovery/{system}", response_class=HTMLResponse)
def discovery_system(
    request: Request, db: DbSession, platform: PlatformDep, staff: CurrentStaff, system: str
) -> HTMLResponse:
    drift = system_drift(db, datamap=platform.datamap, system=system)
    runs = [r for r in (drift.last_run, drift.previous_run) if r is not None]
    context = {"active": "discovery", "drift": drift, "queued": request.query_params.get("queued"),
               "can_scan": staff.role in REQUEST_DECIDERS,
               "actor_names": actor_names(db, [r.requested_by for r in runs])}  # fmt: skip
    return render(request, "discovery/system.html.j2", context)


@router.post("/admin/discovery/{system}/scan", dependencies=[StaffForm])
def scan_system(
    db: DbSession, platform: PlatformDep, staff: RequestDecider, system: str
) -> RedirectResponse:
    """Queue a scan of the system; it runs once this is stored."""
    request_scan(db, datamap=platform.datamap, queue=platform.jobs, system=system,
                 actor=staff_actor(staff))  # fmt: skip
    return RedirectResponse(f"/admin/discovery/{system}?queued=1", status_code=303)
