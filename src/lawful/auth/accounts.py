"""Staff accounts as an administrator manages them: invitations, role changes, deactivation,
password resets by mail link, and sessions listed and revoked.

Functions never commit (the caller's request owns the transaction) and write every change to
the audit trail with ids only. The rule "at least one active administrator" is decided under
a lock on the staff table (`repository.lock_staff`), so two administrators demoting each
other at the same moment cannot leave the installation without one.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from lawful.auth import repository
from lawful.auth.errors import InvalidStaffInputError, LastAdminError, LinkInvalidError
from lawful.auth.models import LinkPurpose, Role, StaffLink, StaffSession, StaffUser
from lawful.auth.passwords import hash_password, password_problem
from lawful.auth.service import _audit, _checked_email, email_index, token_digest
from lawful.store.crypto import Keyring

_EMAIL_CONTEXT = "staff_user.email"
INVITE_LIFETIME = timedelta(days=3)
RESET_LIFETIME = timedelta(hours=1)  # OWASP Forgot Password Cheat Sheet: short-lived
USER_AGENT_LENGTH = 300


@dataclass(frozen=True)
class NewLink:
    link: StaffLink
    secret: str  # goes into the mailed URL; only its digest is stored


def _new_link(
    session: Session, *, user: StaffUser, purpose: LinkPurpose, lifetime: timedelta, now: datetime
) -> NewLink:
    repository.retire_links(session, user_id=user.id, purpose=purpose, now=now)
    secret = secrets.token_urlsafe(32)
    link = StaffLink(
        user_id=user.id,
        purpose=purpose,
        token_hash=token_digest(secret),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(link)
    session.flush()
    return NewLink(link, secret)


def invite_user(
    session: Session,
    *,
    keyring: Keyring,
    email: str,
    name: str,
    role: Role,
    actor: str,
    now: datetime,
) -> NewLink:
    """A new account, inactive until its invitation link is accepted (a password chosen)."""
    address = _checked_email(email)
    if not name.strip() or len(name.strip()) > 200:
        raise InvalidStaffInputError(
            "Give the person's name (at most 200 characters).", field="name"
        )
    index = email_index(keyring, address)
    if repository.user_by_email_index(session, index) is not None:
        raise InvalidStaffInputError(
            "A staff account with this email already exists.", field="email"
        )
    user = StaffUser(
        email_index=index,
        email_sealed=keyring.encrypt(address.encode(), context=_EMAIL_CONTEXT),
        name=name.strip(),
        role=role,
        password_hash="",  # no password until the invitation is accepted
        active=False,
        created_at=now,
    )
    session.add(user)
    session.flush()
    _audit(session, actor, "staff.user_invited", user.id, {"role": role.value})
    return _new_link(
        session, user=user, purpose=LinkPurpose.invite, lifetime=INVITE_LIFETIME, now=now
    )


def request_reset(session: Session, *, user: StaffUser, actor: str, now: datetime) -> NewLink:
    """A password-reset link for an active account (or a fresh invitation's, if pending)."""
    if user.invited:
        _audit(session, actor, "staff.invitation_renewed", user.id, {})
        return _new_link(
            session, user=user, purpose=LinkPurpose.invite, lifetime=INVITE_LIFETIME, now=now
        )
    if not user.active:
        raise InvalidStaffInputError(
            "This account is deactivated: reactivate it before sending a password reset."
        )
    _audit(session, actor, "staff.password_reset_sent", user.id, {})
    return _new_link(
        session, user=user, purpose=LinkPurpose.reset, lifetime=RESET_LIFETIME, now=now
    )


def open_link(session: Session, *, secret: str, now: datetime) -> StaffLink:
    """The live link for a mailed secret; refuses a used, expired or unknown one."""
    link = repository.link_by_hash(session, token_digest(secret))
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise LinkInvalidError(
            "This link is used, expired or unknown. Ask an administrator to send a new one."
        )
    return link


def use_link(session: Session, *, secret: str, password: str, now: datetime) -> StaffUser:
    """Set the password through an invitation or reset link, once: the link is spent in one
    statement, so two tabs sending it at once set the password once. A reset also ends every
    session of the account (whoever had the old password is signed out)."""
    link = open_link(session, secret=secret, now=now)
    if problem := password_problem(password):
        raise InvalidStaffInputError(problem, field="password")
    if not repository.spend_link(session, link_id=link.id, now=now):
        raise LinkInvalidError(
            "This link is used, expired or unknown. Ask an administrator to send a new one."
        )
    user = session.get(StaffUser, link.user_id)
    assert user is not None
    user.password_hash = hash_password(password)
    actor = f"staff:{user.id}"
    if link.purpose is LinkPurpose.invite:
        user.active = True
        _audit(session, actor, "staff.invitation_accepted", user.id, {})
    else:
        repository.end_sessions(session, user_id=user.id, now=now)
        _audit(session, actor, "staff.password_reset", user.id, {})
    return user


# --- role and activity: at least one active administrator ----------------------------------


def _locked_fresh(session: Session, user: StaffUser) -> None:
    """Take the staff lock, then read the account again: decide on what is stored now."""
    repository.lock_staff(session)
    session.refresh(user)


def _keep_an_admin(session: Session, *, user: StaffUser) -> None:
    if repository.active_admin_count(session, excluding=user.id) == 0:
        raise LastAdminError(
            "This is the last active administrator: make another person an administrator "
            "first, so someone can still manage accounts."
        )


def change_role(session: Session, *, user: StaffUser, role: Role, actor: str) -> StaffUser:
    _locked_fresh(session, user)
    if role is user.role:
        return user
    if user.role is Role.admin and user.active:
        _keep_an_admin(session, user=user)
    before = user.role
    user.role = role
    _audit(session, actor, "staff.role_changed", user.id, {"from": before.value, "to": role.value})
    return user


def deactivate(session: Session, *, user: StaffUser, actor: str, now: datetime) -> StaffUser:
    """Deactivate an account: every session it has ends now."""
    if user.invited:
        raise InvalidStaffInputError(
            "This invitation is not accepted yet: there is nothing to deactivate."
        )
    _locked_fresh(session, user)
    if not user.active:
        return user
    if user.role is Role.admin:
        _keep_an_admin(session, user=user)
    user.active = False
    ended = repository.end_sessions(session, user_id=user.id, now=now)
    _audit(session, actor, "staff.user_deactivated", user.id, {"sessions_ended": ended})
    return user


def reactivate(session: Session, *, user: StaffUser, actor: str) -> StaffUser:
    if user.invited:
        raise InvalidStaffInputError("This invitation is not accepted yet: send it again instead.")
    if not user.active:
        user.active = True
        _audit(session, actor, "staff.user_reactivated", user.id, {})
    return user


# --- sessions --------------------------------------------------------------------------------


def live_sessions(session: Session, *, user_id: str, now: datetime) -> Sequence[StaffSession]:
    return repository.live_sessions(session, user_id=user_id, now=now)


def revoke_session(
    session: Session, *, record: StaffSession, actor: str, now: datetime
) -> StaffSession:
    """End a session: its next request is refused, whatever the browser keeps."""
    if record.ended_at is None:
        record.ended_at = now
        _audit(session, actor, "staff.session_revoked", record.user_id, {"session": record.id})
    return record


def describe_agent(user_agent: str | None) -> str:
    """A short name for a browser's User-Agent header, for the sessions list."""
    if not user_agent:
        return "unknown browser"
    for name in ("Edg/", "Firefox/", "Chrome/", "Safari/", "curl/", "python-httpx/"):
        if name in user_agent:
            return name.rstrip("/").replace("Edg", "Edge")
    return user_agent[:60]
