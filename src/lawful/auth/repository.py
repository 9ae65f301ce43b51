"""Queries of the staff domain; nothing else in `lawful.auth` writes SQL."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lawful.auth.models import (
    ApiToken,
    LinkPurpose,
    RecoveryCode,
    Role,
    SignInThrottle,
    StaffLink,
    StaffSession,
    StaffUser,
)
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


# --- staff accounts: the last administrator, one-time links, sessions ---------------------------

STAFF_LOCK_KEY = 0x1A3F_57AF  # pg_advisory_xact_lock key of the staff table's admin rule


def lock_staff(session: Session) -> None:
    """Serialise changes that could leave no active administrator: an advisory lock on
    PostgreSQL, SQLite's write lock (a write that changes nothing) otherwise. Held until the
    transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": STAFF_LOCK_KEY})
    else:
        session.execute(text("UPDATE staff_users SET role = role WHERE 0 = 1"))


def active_admin_count(session: Session, *, excluding: str) -> int:
    query = (
        select(func.count())
        .select_from(StaffUser)
        .where(StaffUser.role == Role.admin, StaffUser.active.is_(True), StaffUser.id != excluding)
    )
    return int(session.scalar(query) or 0)


def link_by_hash(session: Session, token_hash: str) -> StaffLink | None:
    return session.scalars(select(StaffLink).where(StaffLink.token_hash == token_hash)).first()


def retire_links(session: Session, *, user_id: str, purpose: LinkPurpose, now: datetime) -> None:
    """A new link replaces the account's earlier ones of that purpose."""
    session.execute(
        update(StaffLink)
        .where(StaffLink.user_id == user_id, StaffLink.purpose == purpose)
        .where(StaffLink.used_at.is_(None))
        .values(used_at=now)
    )


def spend_link(session: Session, *, link_id: str, now: datetime) -> bool:
    """Mark a link used in one statement; False when a parallel use spent it first."""
    result = session.execute(
        update(StaffLink)
        .where(StaffLink.id == link_id, StaffLink.used_at.is_(None), StaffLink.expires_at > now)
        .values(used_at=now)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def end_sessions(session: Session, *, user_id: str, now: datetime) -> int:
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0))


def live_sessions(session: Session, *, user_id: str, now: datetime) -> Sequence[StaffSession]:
    return session.scalars(
        select(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .where(StaffSession.expires_at > now)
        .order_by(StaffSession.last_seen_at.desc())
    ).all()


# --- second factor: each decision one statement ---------------------------------------------


def claim_totp_step(session: Session, *, user_id: str, step: int) -> bool:
    """Record `step` as the last accepted TOTP time step unless it (or a later one) was
    accepted already: a code is used once (RFC 6238 §5.2)."""
    result = session.execute(
        update(StaffUser)
        .where(StaffUser.id == user_id)
        .where(StaffUser.totp_last_step.is_(None) | (StaffUser.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def spend_recovery_code(session: Session, *, user_id: str, code_hash: str, now: datetime) -> bool:
    result = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == code_hash)
        .where(RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) >= 1)


def unused_recovery_codes(session: Session, *, user_id: str) -> int:
    query = (
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    )
    return int(session.scalar(query) or 0)


def replace_recovery_codes(session: Session, *, user_id: str, hashes: list[str]) -> None:
    session.query(RecoveryCode).filter(RecoveryCode.user_id == user_id).delete()
    session.add_all(RecoveryCode(user_id=user_id, code_hash=h) for h in hashes)


def count_code_failure(session: Session, *, session_id: str) -> int:
    """One more wrong code on a pending sign-in, in one statement; the new count."""
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.id == session_id)
        .values(code_failures=StaffSession.code_failures + 1)
        .returning(StaffSession.code_failures)
        .execution_options(synchronize_session=False)
    )
    row = result.first()
    return int(row[0]) if row else 0
