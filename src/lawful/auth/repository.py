"""Queries of the staff domain; nothing else in `lawful.auth` writes SQL."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lawful.auth.models import ApiToken, SignInThrottle, StaffSession, StaffUser
from lawful.store.models import UTCDateTime


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


def user_names(session: Session, user_ids: Collection[str]) -> dict[str, str]:
    """The names of these staff members, in one query (a page's actors, not one per row)."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(sorted(set(user_ids))))
    )
    return {user_id: name for user_id, name in rows}


def all_tokens(session: Session) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())).all()


# --- sign-in throttles: every decision is one statement, so parallel sign-ins agree -----------


@dataclass(frozen=True)
class Failure:
    """A wrong password as counted: the failures in the window, and the lock if it set one."""

    failures: int
    locked_until: datetime | None


def _upsert(session: Session) -> Any:
    """INSERT … ON CONFLICT for the store's dialect (SQLite ≥ 3.24 and PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(SignInThrottle.__table__)


def count_failure(
    session: Session, *, email_index: str, max_failures: int, lockout: timedelta, now: datetime
) -> Failure | None:
    """Count a wrong password for this email in one statement: a new row, a window that
    restarts once `lockout` has passed since its first failure, or one more failure that
    locks at `max_failures`. None when the email is locked already (nothing counted)."""
    current = SignInThrottle.__table__.c
    at, until = literal(now, UTCDateTime()), literal(now + lockout, UTCDateTime())
    restart = current.first_failure_at <= now - lockout
    failures = case((restart, 1), else_=current.failures + 1)
    statement = _upsert(session).values(
        email_index=email_index,
        failures=1,
        first_failure_at=now,
        locked_until=now + lockout if max_failures <= 1 else None,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[current.email_index],
        set_={
            "failures": failures,
            "first_failure_at": case((restart, at), else_=current.first_failure_at),
            "locked_until": case((failures >= max_failures, until), else_=None),
        },
        where=current.locked_until.is_(None) | (current.locked_until <= now),
    )
    row = session.execute(
        statement.returning(current.failures, current.locked_until)
    ).first()  # no row: the WHERE kept a standing lock, nothing was counted
    if row is None:
        return None
    return Failure(failures=row.failures, locked_until=row.locked_until)


def throttle(session: Session, *, email_index: str) -> SignInThrottle | None:
    """The email's throttle as stored now (not as this session last saw it)."""
    query = select(SignInThrottle).where(SignInThrottle.email_index == email_index)
    return session.scalars(query.execution_options(populate_existing=True)).first()


def clear_unless_locked(session: Session, *, email_index: str, now: datetime) -> bool:
    """After a right password: forget the email's failures, unless it is locked, in one
    statement. False when a lock stands (set before this statement, by parallel wrong
    passwords). The row it writes stays locked until the caller commits, so a parallel
    wrong password is counted after this sign-in, never between its check and its commit."""
    current = SignInThrottle.__table__.c
    statement = _upsert(session).values(
        email_index=email_index, failures=0, first_failure_at=now, locked_until=None
    )
    statement = statement.on_conflict_do_update(
        index_elements=[current.email_index],
        set_={"failures": 0, "first_failure_at": literal(now, UTCDateTime()), "locked_until": None},
        where=current.locked_until.is_(None) | (current.locked_until <= now),
    )
    return session.execute(statement.returning(current.failures)).first() is not None
