"""The audit trail, page by page, filtered by who, what, about what and when; a check of its
hash chain; and the filtered trail exported with that check (every role may read it)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lawful.audit.export import FORMATS, export_trail
from lawful.audit.repository import AuditFilter, actions, audit_entries
from lawful.auth.names import STAFF_PREFIX, actor_names
from lawful.auth.repository import all_users
from lawful.http.auth import platform_of
from lawful.http.csvfile import download
from lawful.http.deps import CurrentStaff, DbSession, StaffForm, staff_actor
from lawful.http.sentences import describe, raw, words
from lawful.http.templating import render
from lawful.store.audit import AuditEntry, record_event, verify_chain
from lawful.store.models import utcnow

router = APIRouter(include_in_schema=False)
# The actor filter names staff by their bare id (the page never shows the "staff:" actor form).
_STAFF_ID = re.compile(r"[0-9a-f]{32}")
PAGE_SIZE = 50
Short = Annotated[str, Query(max_length=100)]


class FilterError(ValueError):
    pass


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(
            f"The {name} date {value[:20]!r} is not a date: write it as 2026-12-31."
        ) from None


def _filter(subject: str, actor: str, action: str, since: str, until: str) -> AuditFilter:
    """Dates are whole days in UTC, as the trail shows them; `until` is included."""
    first, last = _day(since, "from"), _day(until, "to")
    if first and last and last < first:
        raise FilterError(f"The dates are the wrong way round: {first} is after {last}.")
    return AuditFilter(
        subject_id=subject or None,
        actor=(f"{STAFF_PREFIX}{actor}" if _STAFF_ID.fullmatch(actor) else actor) or None,
        action=action or None,
        since=datetime.combine(first, time.min, UTC) if first else None,
        until=datetime.combine(last + timedelta(days=1), time.min, UTC) if last else None,
    )


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_trail(
    request: Request,
    db: DbSession,
    staff: CurrentStaff,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    subject: Short = "",
    actor: Short = "",
    action: Short = "",
    since: Annotated[str, Query(alias="from", max_length=20)] = "",
    until: Annotated[str, Query(alias="to", max_length=20)] = "",
) -> HTMLResponse:
    chosen = {"subject": subject, "actor": actor, "action": action, "from": since, "to": until}
    try:
        wanted = _filter(subject, actor, action, since, until)
    except FilterError as error:
        context = _context(request, db, page=1, wanted=None) | {
            "chosen": chosen,
            "error": str(error),
        }
        return render(request, "admin/audit.html.j2", context, status_code=422)
    context = _context(request, db, page=page, wanted=wanted) | {"chosen": chosen}
    return render(request, "admin/audit.html.j2", context)


@router.get("/admin/audit/export")
def export(
    request: Request,
    db: DbSession,
    staff: CurrentStaff,
    format: Annotated[str, Query(max_length=10)] = "csv",
    subject: Short = "",
    actor: Short = "",
    action: Short = "",
    since: Annotated[str, Query(alias="from", max_length=20)] = "",
    until: Annotated[str, Query(alias="to", max_length=20)] = "",
) -> Response:
    """The filtered trail with the chain's check; the export itself is audited."""
    chosen = {"subject": subject, "actor": actor, "action": action, "from": since, "to": until}
    try:
        if format not in FORMATS:
            raise FilterError(f"Unknown format {format[:10]!r}; use csv or jsonl.")
        wanted = _filter(subject, actor, action, since, until)
    except FilterError as error:
        context = _context(request, db, page=1, wanted=None) | {
            "chosen": chosen,
            "error": str(error),
        }
        return render(request, "admin/audit.html.j2", context, status_code=422)
    now = utcnow()
    text, count, checked = export_trail(db, wanted=wanted, file_format=format,
                                        names=_names(db), now=now)  # fmt: skip
    record_event(db, actor=staff_actor(staff), action="audit.exported", subject_type="audit_trail",
                 subject_id="trail", details={"format": format, "entries": count,
                 "intact": checked["intact"], "filters": {k: v for k, v in chosen.items() if v}})  # fmt: skip
    media = "application/x-ndjson" if format == "jsonl" else "text/csv"
    return download(text, file_name=f"audit-{now:%Y%m%d-%H%M%S}.{format}", media_type=media)


@router.post("/admin/audit/verify", response_class=HTMLResponse, dependencies=[StaffForm])
def verify_trail(request: Request, db: DbSession, staff: CurrentStaff) -> HTMLResponse:
    """Walk the whole chain: any edited, removed or reordered entry is listed."""
    breaks = [str(chain_break) for chain_break in verify_chain(db)]
    context = _context(request, db, page=1, wanted=AuditFilter()) | {
        "verified": True,
        "breaks": breaks,
    }
    return render(request, "admin/audit.html.j2", context)


def _names(db: Session) -> dict[str, str]:
    return {f"staff:{user.id}": f"{user.name} ({user.role.value})" for user in all_users(db)}


def _context(
    request: Request, db: Session, *, page: int, wanted: AuditFilter | None
) -> dict[str, Any]:
    """The page for `wanted`; None: a filter that could not be read, so no entries."""
    entries: list[AuditEntry] = []
    total = 0
    if wanted is not None:
        entries, total = audit_entries(
            db, subject_id=None, wanted=wanted, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    names = _names(db)
    datamap = platform_of(request).datamap
    sentences = request.app.state.sentences
    staff = [f"{STAFF_PREFIX}{e.subject_id}" for e in entries if e.subject_type == "staff"]
    shown = actor_names(db, [*(entry.actor for entry in entries), *staff])
    rows = [
        {
            "entry": entry,
            "text": describe(entry.action, entry.details, datamap, sentences),
            "about": _about(entry.subject_type, entry.subject_id, entry.details, shown),
            "raw": raw(entry.details) if entry.details else "",
        }
        for entry in entries
    ]
    subject = wanted.subject_id if wanted else None
    return {
        "active": "audit",
        "rows": rows,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "subject": subject,
        "subject_label": _about(entries[0].subject_type, subject, entries[0].details, shown)
        if subject and entries
        else None,
        "actor_names": shown,
        "actors": [
            *sorted(
                ((key.removeprefix(STAFF_PREFIX), name) for key, name in names.items()),
                key=lambda item: item[1].casefold(),
            ),
            ("person", "The person (privacy center)"),
            ("policy", "Lawful (policy)"),
        ],
        "actions": actions(db),
        "chosen": {
            "subject": subject or "",
            "actor": "",
            "action": "",
            "from": "",
            "to": "",
        },
        "verified": False,
        "breaks": [],
        "error": None,
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
