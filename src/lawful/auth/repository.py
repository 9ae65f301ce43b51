"""Queries of the staff domain; nothing else in `lawful.auth` writes SQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from lawful.auth.models import ApiToken, StaffSession, StaffUser


def user_by_email_index(session: Session, email_index: str) -> StaffUser | None:
    return session.scalars(select(StaffUser).where(StaffUser.email_index == email_index)).first()


def session_by_token_hash(session: Session, token_hash: str) -> StaffSession | None:
    return session.scalars(
        select(StaffSession).where(StaffSession.token_hash == token_hash)
    ).first()


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash)).first()


def all_users(session: Session) -> Sequence[StaffUser]:
    return session.scalars(select(StaffUser).order_by(StaffUser.created_at)).all()


def all_tokens(session: Session) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())).all()
