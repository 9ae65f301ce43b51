"""The console's Retention page: the plan per rule with what is due now and soon (as
`lawful retention plan` computes it), the last sweeps with their evidence, the schedule, and
"Run now" (privacy officers and administrators), which queues one sweep as a job."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from lawful.auth.roles import REQUEST_DECIDERS
from lawful.connectors.base import ConnectorError
from lawful.engine.datastores import Datastores
from lawful.engine.errors import EngineError
from lawful.http.deps import (
    CurrentStaff,
    DbSession,
    PlatformDep,
    RequestDecider,
    StaffForm,
    staff_actor,
)
from lawful.http.templating import render
from lawful.retention.console import Plan, plan_lines, recent_sweeps, request_sweep, schedule
from lawful.retention.errors import RetentionError
from lawful.retention.repository import open_sweep_task
from lawful.retention.schedule import SWEEP_TASK

router = APIRouter(include_in_schema=False)


@router.get("/admin/retention", response_class=HTMLResponse)
def retention(
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    staff: CurrentStaff,
    queued: Annotated[str, Query(max_length=8)] = "",
) -> HTMLResponse:
    now = datetime.now(UTC)
    plan: Plan | None = None
    problem = None
    try:
        with Datastores(platform.connectors) as datastores:
            plan = plan_lines(db, datamap=platform.datamap, datastores=datastores,
                              keyring=platform.keyring, today=now.date())  # fmt: skip
    except EngineError as error:
        db.rollback()
        problem = "; ".join(str(p) for p in error.problems)
    except RetentionError as error:
        db.rollback()
        problem = error.message
    except ConnectorError as error:
        db.rollback()
        problem = str(error)
    context = {
        "active": "retention",
        "plan": plan,
        "problem": problem,
        "sweeps": recent_sweeps(db),
        "schedule": schedule(interval_hours=platform.settings.retention_interval_hours, now=now),
        "waiting": open_sweep_task(db, kind=SWEEP_TASK),
        "queued": queued,
        "can_run": staff.role in REQUEST_DECIDERS,
    }
    return render(request, "retention/retention.html.j2", context)


@router.post("/admin/retention/run", dependencies=[StaffForm])
def run_now(db: DbSession, platform: PlatformDep, staff: RequestDecider) -> RedirectResponse:
    """Queue a sweep as a job (once, however many click); it runs once this is stored."""
    queued = request_sweep(db, queue=platform.jobs, actor=staff_actor(staff))
    return RedirectResponse(f"/admin/retention?queued={'new' if queued.new else 'already'}",
                            status_code=303)  # fmt: skip
