"""Read-only queries of the admin console over the platform's own tables (the audit trail);
they belong to no domain. Pages call these, never SQL directly."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lawful.store.audit import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    """Entries by whom (`actor` as stored: staff:<id>, person, policy, token:<id>), what
    (`action`, or its start up to a dot: "request." finds every request action), about what
    (`subject_id`), and when (`since` included, `until` excluded)."""

    subject_id: str | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(wanted: AuditFilter) -> Select[AuditEntry]:
    query = select(AuditEntry)
    if wanted.subject_id:
        query = query.where(AuditEntry.subject_id == wanted.subject_id)
    if wanted.actor:
        query = query.where(AuditEntry.actor == wanted.actor)
    if wanted.action:
        column = AuditEntry.action
        query = query.where(
            column.startswith(wanted.action, autoescape=True)
            if wanted.action.endswith(".")
            else column == wanted.action
        )
    if wanted.since:
        query = query.where(AuditEntry.at >= wanted.since)
    if wanted.until:
        query = query.where(AuditEntry.at < wanted.until)
    return query


def audit_entries(
    session: Session,
    *,
    subject_id: str | None,
    limit: int,
    offset: int,
    wanted: AuditFilter | None = None,
) -> tuple[list[AuditEntry], int]:
    """A page of the audit trail, newest first, and how many entries match in all."""
    query = _filtered(wanted or AuditFilter(subject_id=subject_id))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)
    return list(session.scalars(page)), int(total)


def each_entry(session: Session, *, wanted: AuditFilter, batch: int = 1000) -> Iterator[AuditEntry]:
    """Every matching entry, oldest first, read `batch` at a time (for an export)."""
    last = 0
    while True:
        query = _filtered(wanted).where(AuditEntry.seq > last).order_by(AuditEntry.seq)
        rows = list(session.scalars(query.limit(batch)))
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].seq


def actions(session: Session) -> list[str]:
    """The actions the trail holds, for the page's list."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
