"""Queries on the DPIA register. Nothing here commits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lawful.dpia.models import Dpia


def by_reference(session: Session, *, reference: str, lock: bool = False) -> Dpia | None:
    query = select(Dpia).where(func.upper(Dpia.reference) == reference.strip().upper())
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def list_dpias(session: Session) -> list[Dpia]:
    return list(session.scalars(select(Dpia).order_by(Dpia.reference)))


def references_with(session: Session, *, prefix: str) -> list[str]:
    return list(session.scalars(select(Dpia.reference).where(Dpia.reference.like(f"{prefix}%"))))
