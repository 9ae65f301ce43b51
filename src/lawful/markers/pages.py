"""The console's Markers page: the latest decisions placed or lifted, how each dataset's
system is told, where each delivery stands, and the changes staff must tell by hand (a
button records that they did). No identity is shown: staff find the person from the request."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from lawful.auth.names import actor_names
from lawful.http.deps import CurrentStaff, DbSession, RequestHandler, StaffForm, staff_actor
from lawful.http.templating import render
from lawful.markers.models import MarkerChange
from lawful.markers.repository import delivery_states, recent_changes
from lawful.markers.service import BY_HAND, mark_told

router = APIRouter(include_in_schema=False)
SHOWN = 200


@router.get("/admin/markers", response_class=HTMLResponse)
def markers(request: Request, db: DbSession, staff: CurrentStaff) -> HTMLResponse:
    return render(request, "markers/markers.html.j2", _context(db))


@router.post("/admin/markers/changes/{seq}/told", dependencies=[StaffForm])
def told(db: DbSession, staff: RequestHandler, seq: int) -> RedirectResponse:
    """Staff told a `manual` system of the change."""
    change = db.get(MarkerChange, seq)
    if change is not None and change.notify in BY_HAND and change.told_by is None:
        mark_told(db, change=change, actor=staff_actor(staff))
        db.commit()
    return RedirectResponse("/admin/markers", status_code=303)


def _context(db: Session) -> dict[str, Any]:
    rows = recent_changes(db, limit=SHOWN)
    states = delivery_states(db, [change.seq for change, _ in rows])
    changes: list[dict[str, Any]] = [
        {
            "seq": change.seq,
            "dataset": change.dataset,
            "kind": marker.kind.replace("_", " "),
            "reason": marker.reason.replace("_", " "),
            "action": change.action,
            "at": change.at,
            "notify": change.notify.replace("_", " "),
            "manual": change.notify in BY_HAND,
            "told_by": change.told_by,
            "delivery": states.get(change.seq),
        }
        for change, marker in rows
    ]
    return {
        "active": "markers",
        "changes": changes,
        "to_tell": sum(1 for c in changes if c["manual"] and not c["told_by"]),
        "actor_names": actor_names(db, [c["told_by"] for c in changes if c["told_by"]]),
    }
