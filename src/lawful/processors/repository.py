"""Queries on the processor register. Nothing here commits."""

from __future__ import annotations

from sqlalchemy import func, select
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
