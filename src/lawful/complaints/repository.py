"""Queries on the complaints register. Nothing here commits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lawful.complaints.models import Complaint


def by_reference(session: Session, *, reference: str) -> Complaint | None:
    query = (
        select(Complaint)
        .options(selectinload(Complaint.notes))
        .where(func.upper(Complaint.reference) == reference.strip().upper())
    )
    return session.scalars(query).first()


def list_complaints(session: Session) -> list[Complaint]:
    query = select(Complaint).order_by(Complaint.deadline, Complaint.reference)
    return list(session.scalars(query))
