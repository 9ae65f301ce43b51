"""Console pages for jobs: the tasks that failed, wait for a retry or run (and the recent
done ones), a Retry of a failed one, the last retention sweeps (with their progress) and
discovery scans, and the installation's status (as `lawful status`).
Every role reads; request handlers retry (auditors get 403)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lawful.auth.roles import REQUEST_DECIDERS, REQUEST_HANDLERS
from lawful.discovery.service import DISCOVERY_SCAN, recent_scans
from lawful.http.deps import (
    CurrentStaff,
    DbSession,
    PlatformDep,
    RequestHandler,
    StaffForm,
    staff_actor,
)
from lawful.http.templating import render
from lawful.retention.console import recent_sweeps
from lawful.retention.schedule import SWEEP_TASK
from lawful.store.tasks import TaskStatus
from lawful.worker.service import list_tasks, retry_task
from lawful.worker.status import collect_status

router = APIRouter(include_in_schema=False)
# Job kinds in words, where the code's name says little to staff.
KIND_NAMES = {
    SWEEP_TASK: "retention sweep",
    DISCOVERY_SCAN: "discovery scan",
    "requests.execute": "rights request run",
    "requests.mail": "mail to a person",
}


@router.get("/admin/jobs", response_class=HTMLResponse)
def jobs(
    request: Request,
    db: DbSession,
    staff: CurrentStaff,
    status: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Failed first, then retrying, running, waiting and done; newest first within each."""
    chosen = TaskStatus(status) if status in TaskStatus.__members__ else None
    context = {
        "active": "jobs", "found": list_tasks(db, status=chosen, page=page),
        "status": chosen.value if chosen else "", "statuses": list(TaskStatus),
        "can_retry": staff.role in REQUEST_HANDLERS,
        "sweeps": recent_sweeps(db, limit=5), "scans": recent_scans(db, limit=5),
        "can_start": staff.role in REQUEST_DECIDERS, "kinds": KIND_NAMES,
    }  # fmt: skip
    return render(request, "worker/jobs.html.j2", context)


@router.post("/admin/jobs/{task_id}/retry", dependencies=[StaffForm])
def retry(
    db: DbSession,
    platform: PlatformDep,
    staff: RequestHandler,
    task_id: str,
    back: Annotated[Literal["jobs", "request"], Form()] = "jobs",
) -> RedirectResponse:
    """Queue a failed job again with all its attempts; it runs once this is stored."""
    task = retry_task(db, task_id=task_id, actor=staff_actor(staff), queue=platform.jobs)
    if back == "request" and task.request_reference:
        return RedirectResponse(f"/admin/requests/{task.request_reference}", status_code=303)
    return RedirectResponse("/admin/jobs", status_code=303)


@router.get("/admin/status", response_class=HTMLResponse)
def installation_status(
    request: Request, platform: PlatformDep, staff: CurrentStaff
) -> HTMLResponse:
    """The table of `lawful status`: store, broker, workers, jobs, each datastore."""
    report = collect_status(settings=platform.settings, sessions=platform.sessions,
                            datamap=platform.datamap, connectors=platform.connectors)  # fmt: skip
    return render(request, "worker/status.html.j2", {"active": "status", "report": report})
