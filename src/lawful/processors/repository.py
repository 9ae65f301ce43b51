"""Queries on the processor register. Nothing here commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from lawful.processors.models import Agreement, ClientNotice, SubprocessorChange


def agreements(session: Session) -> dict[str, Agreement]:
    return {a.recipient: a for a in session.scalars(select(Agreement))}


def agreement_for(session: Session, *, recipient: str) -> Agreement | None:
    return session.scalars(select(Agreement).where(Agreement.recipient == recipient)).first()


def changes(session: Session, *, recipient: str | None = None) -> list[SubprocessorChange]:
    query = select(SubprocessorChange).options(selectinload(SubprocessorChange.notices))
    if recipient is not None:
        query = query.where(SubprocessorChange.recipient == recipient)
    return list(session.scalars(query.order_by(SubprocessorChange.id.desc())))


def notice(session: Session, *, notice_id: int, lock: bool = False) -> ClientNotice | None:
    query = select(ClientNotice).where(ClientNotice.id == notice_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def unsent_count(session: Session) -> int:
    query = select(func.count()).select_from(ClientNotice).where(ClientNotice.sent_at.is_(None))
    return session.scalar(query) or 0


def claim_sent(session: Session, *, notice_id: int, at: datetime, actor: str) -> bool:
    """Mark a notice sent in one conditional statement: exact under parallel requests on
    SQLite and PostgreSQL alike (two at once: one row changed, then none)."""
    result = session.execute(
        update(ClientNotice)
        .where(ClientNotice.id == notice_id, ClientNotice.sent_at.is_(None))
        .values(sent_at=at, sent_by=actor)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
