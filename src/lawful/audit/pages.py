"""The audit trail, page by page, and a check of its hash chain (every role may read it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from lawful.audit.repository import audit_entries
from lawful.auth.names import STAFF_PREFIX, actor_names
from lawful.http.auth import platform_of
from lawful.http.deps import CurrentStaff, DbSession, StaffForm
from lawful.http.sentences import describe, raw, words
from lawful.http.templating import render
from lawful.store.audit import verify_chain

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_trail(
    request: Request,
    db: DbSession,
    staff: CurrentStaff,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    subject: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    return render(request, "admin/audit.html.j2", _context(request, db, page=page, subject=subject))


@router.post("/admin/audit/verify", response_class=HTMLResponse, dependencies=[StaffForm])
def verify_trail(request: Request, db: DbSession, staff: CurrentStaff) -> HTMLResponse:
    """Walk the whole chain: any edited, removed or reordered entry is listed."""
    breaks = [str(chain_break) for chain_break in verify_chain(db)]
    context = _context(request, db, page=1, subject=None) | {"verified": True, "breaks": breaks}
    return render(request, "admin/audit.html.j2", context)


def _context(request: Request, db: Session, *, page: int, subject: str | None) -> dict[str, Any]:
    entries, total = audit_entries(
        db, subject_id=subject, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    datamap = platform_of(request).datamap
    sentences = request.app.state.sentences
    staff = [f"{STAFF_PREFIX}{e.subject_id}" for e in entries if e.subject_type == "staff"]
    names = actor_names(db, [*(entry.actor for entry in entries), *staff])
    rows = [
        {
            "entry": entry,
            "text": describe(entry.action, entry.details, datamap, sentences),
            "about": _about(entry.subject_type, entry.subject_id, entry.details, names),
            "raw": raw(entry.details) if entry.details else "",
        }
        for entry in entries
    ]
    return {
        "active": "audit",
        "rows": rows,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "subject": subject,
        "subject_label": _about(entries[0].subject_type, subject, entries[0].details, names)
        if subject and entries
        else None,
        "actor_names": names,
        "verified": False,
        "breaks": [],
    }


def _about(
    subject_type: str, subject_id: str, details: dict[str, Any], names: dict[str, str]
) -> str:
    """What an entry is about, by the name people use for it (a reference, a staff member's
    name) where it has one."""
    kind = words(subject_type).lower()
    if subject_type == "staff":
        return f"staff member {names.get(STAFF_PREFIX + subject_id, 'no longer listed')}"
    for key in ("reference", "name", "purpose", "rule"):
        if isinstance(details.get(key), str):
            return f"{kind} {details[key]}"
    return kind
