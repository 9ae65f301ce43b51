"""Read-only queries of the admin console over the platform's own tables (the audit trail);
they belong to no domain. Pages call these, never SQL directly."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lawful.store.audit import AuditEntry


def audit_entries(
    session: Session, *, subject_id: str | None, limit: int, offset: int
) -> tuple[list[AuditEntry], int]:
    """A page of the audit trail, newest first, and how many entries match in all."""
    query = select(AuditEntry)
    if subject_id:
        query = query.where(AuditEntry.subject_id == subject_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)
    return list(session.scalars(page)), int(total)
