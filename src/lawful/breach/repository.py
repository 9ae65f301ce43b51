"""Queries on the breach register. Nothing here commits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lawful.breach.models import Incident, IncidentStatus


def by_reference(session: Session, *, reference: str) -> Incident | None:
    query = (
        select(Incident)
        .options(selectinload(Incident.updates))
        .where(func.upper(Incident.reference) == reference.strip().upper())
    )
    return session.scalars(query).first()


def list_incidents(session: Session, *, include_closed: bool = True) -> list[Incident]:
    query = select(Incident).order_by(Incident.became_aware_at.desc(), Incident.reference)
    if not include_closed:
        query = query.where(Incident.status != IncidentStatus.closed)
    return list(session.scalars(query))


def references_in_year(session: Session, *, prefix: str) -> list[str]:
    query = select(Incident.reference).where(Incident.reference.like(f"{prefix}%"))
    return list(session.scalars(query))
