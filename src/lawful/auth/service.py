"""Staff accounts, sign-in, sessions and API tokens. Functions never commit: the caller's
request or command owns the transaction. Every change is written to the audit trail, with
ids and blind indexes only."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from lawful.auth import repository
from lawful.auth.errors import InvalidStaffInputError, StaffExistsError, TokenNotFoundError
from lawful.auth.models import ApiToken, Role, StaffSession, StaffUser
from lawful.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from lawful.auth.roles import API_SCOPES
from lawful.engine.identity import normalise_email as valid_email
from lawful.store.audit import record_event
from lawful.store.crypto import Keyring

_EMAIL_CONTEXT = "staff_user.email"
TOKEN_PREFIX = "lawful_"  # noqa: S105 — a visible prefix, not a secret
MAX_TOKEN_LIFETIME = timedelta(days=366)
_TOUCH_EVERY = timedelta(minutes=1)  # a busy session is not rewritten on every page


def token_digest(secret: str) -> str:
    """SHA-256 of a session or API token: enough for 256-bit random secrets (no dictionary
    to guess from), and what the store keeps instead of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_index(keyring: Keyring, email: str) -> str:
    return keyring.index(f"staff.email={normalise_email(email)}")


def user_email(keyring: Keyring, user: StaffUser) -> str:
    return keyring.decrypt(user.email_sealed, context=_EMAIL_CONTEXT).decode()


# --- users -------------------------------------------------------------------------------------


def create_user(
    session: Session,
    *,
    keyring: Keyring,
    email: str,
    name: str,
    role: Role,
    password: str,
    actor: str,
) -> StaffUser:
    """A new staff account; refuses a malformed email, a weak password or a taken email."""
    address = _checked_email(email)
    if not name.strip() or len(name.strip()) > 200:
        raise InvalidStaffInputError(
            "Give the person's name (at most 200 characters).", field="name"
        )
    if problem := password_problem(password):
        raise InvalidStaffInputError(problem, field="password")
    index = email_index(keyring, address)
    if repository.user_by_email_index(session, index) is not None:
        raise StaffExistsError("A staff account with this email already exists.", field="email")
    user = StaffUser(
        email_index=index,
        email_sealed=keyring.encrypt(address.encode(), context=_EMAIL_CONTEXT),
        name=name.strip(),
        role=role,
        password_hash=hash_password(password),
        active=True,
    )
    session.add(user)
    session.flush()
    _audit(session, actor, "staff.user_created", user.id, {"role": role.value})
    return user


def _checked_email(email: str) -> str:
    address = normalise_email(email)
    try:
        valid_email(address)  # the one check every address entering the platform passes
    except ValueError as error:
        raise InvalidStaffInputError(
            f"{error} Write it like name@example.org.", field="email"
        ) from None
    return address


# --- sign-in -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignInPolicy:
    max_failures: int
    lockout: timedelta


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt: the user, or why not (and for how long)."""

    user: StaffUser | None
    retry_after: timedelta | None = None

    @property
    def throttled(self) -> bool:
        return self.retry_after is not None


def authenticate(
    session: Session,
    *,
    keyring: Keyring,
    email: str,
    password: str,
    policy: SignInPolicy,
    now: datetime,
) -> SignIn:
    """Check an email and password. After `policy.max_failures` wrong tries within
    `policy.lockout`, that email is refused for `policy.lockout`, whether it has an account or
    not (OWASP ASVS 2.2.1). Failures are written here: the caller commits them.

    The password is checked with no lock held; the decision that follows is one statement
    (`repository.count_failure` or `repository.clear_unless_locked`), so parallel tries
    lock at exactly `max_failures`, never fail on a duplicate row, and a right password
    decided after the lock is refused."""
    index = email_index(keyring, email)
    known = repository.throttle(session, email_index=index)
    if known is not None and known.locked_until is not None and known.locked_until > now:
        return SignIn(None, retry_after=known.locked_until - now)
    user = repository.user_by_email_index(session, index)
    usable = user if user is not None and user.active else None
    if not verify_password(usable.password_hash if usable else None, password) or usable is None:
        return _failed(session, index=index, policy=policy, now=now)
    if not repository.clear_unless_locked(session, email_index=index, now=now):
        return _locked(session, index=index, now=now)
    if needs_rehash(usable.password_hash):
        usable.password_hash = hash_password(password)
    usable.last_sign_in_at = now
    return SignIn(usable)


def _failed(session: Session, *, index: str, policy: SignInPolicy, now: datetime) -> SignIn:
    counted = repository.count_failure(
        session, email_index=index, max_failures=policy.max_failures, lockout=policy.lockout,
        now=now,
    )  # fmt: skip
    if counted is None:  # locked by a parallel try: nothing counted
        return _locked(session, index=index, now=now)
    if counted.locked_until is None:
        return SignIn(None)
    _audit(session, "anonymous", "staff.sign_in_locked", index, {"failures": counted.failures})
    return SignIn(None, retry_after=counted.locked_until - now)


def _locked(session: Session, *, index: str, now: datetime) -> SignIn:
    found = repository.throttle(session, email_index=index)
    until = found.locked_until if found is not None else None
    return SignIn(None, retry_after=(until - now) if until is not None and until > now else None)


# --- sessions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    record: StaffSession
    secret: str  # goes into the signed cookie; only its digest is stored


def start_session(
    session: Session,
    *,
    user: StaffUser,
    lifetime: timedelta,
    now: datetime,
    user_agent: str | None = None,
    method: str = "password",
) -> NewSession:
    """A session for `user`. With a second factor on, it opens pending (`second_factor_due`):
    it reaches no page but the code's until `complete_second_factor`."""
    secret = secrets.token_urlsafe(32)
    record = StaffSession(
        token_hash=token_digest(secret),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime,
        user_agent=(user_agent or "")[:300] or None,
        second_factor_due=user.totp_enabled_at is not None,
        code_failures=0,
    )
    session.add(record)
    session.flush()
    details: dict[str, object] = {"session": record.id, "method": method}
    if record.second_factor_due:
        details["second_factor"] = "due"
    _audit(session, f"staff:{user.id}", "staff.signed_in", user.id, details)
    return NewSession(record, secret)


def complete_second_factor(session: Session, *, record: StaffSession) -> None:
    record.second_factor_due = False
    _audit(session, f"staff:{record.user_id}", "staff.second_factor_passed", record.user_id,
           {"session": record.id})  # fmt: skip


def resume_session(
    session: Session, *, secret: str, idle: timedelta, now: datetime
) -> StaffSession | None:
    """The live session for a cookie's secret, or None if it ended, expired, sat idle too
    long, or its user was deactivated."""
    record = repository.session_by_token_hash(session, token_digest(secret))
    if record is None or record.ended_at is not None or not record.user.active:
        return None
    if record.expires_at <= now or record.last_seen_at + idle <= now:
        return None
    if now - record.last_seen_at >= _TOUCH_EVERY:
        record.last_seen_at = now
    return record


def end_session(session: Session, *, record: StaffSession, now: datetime) -> None:
    """Sign out: the session is over on the server, whatever the browser keeps."""
    if record.ended_at is None:
        record.ended_at = now
        actor = f"staff:{record.user_id}"
        _audit(session, actor, "staff.signed_out", record.user_id, {"session": record.id})


# --- API tokens ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once to the person who made it; only its digest is stored


def create_token(
    session: Session,
    *,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime,
    created_by: StaffUser,
    now: datetime,
) -> NewToken:
    """A bearer token for the JSON API with the given scopes, valid until `expires_at`."""
    wanted = sorted(set(scopes))
    _check_token_request(name, wanted, expires_at, now)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        token_hash=token_digest(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 4],
        scopes=wanted,
        created_by=created_by.id,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    details: dict[str, object] = {"scopes": wanted, "expires_at": expires_at.isoformat()}
    _audit(session, f"staff:{created_by.id}", "api_token.created", token.id, details)
    return NewToken(token, secret)


def _check_token_request(name: str, scopes: list[str], expires_at: datetime, now: datetime) -> None:
    if not name.strip() or len(name.strip()) > 100:
        raise InvalidStaffInputError("Name the token (at most 100 characters).", field="name")
    unknown = [scope for scope in scopes if scope not in API_SCOPES]
    if unknown or not scopes:
        raise InvalidStaffInputError(
            f"Choose scopes among: {', '.join(API_SCOPES)}"
            + (f" (unknown: {', '.join(unknown)})." if unknown else "."),
            field="scopes",
        )
    if not now < expires_at <= now + MAX_TOKEN_LIFETIME:
        raise InvalidStaffInputError(
            f"A token must expire in the future and within {MAX_TOKEN_LIFETIME.days} days.",
            field="expires_at",
        )


def token_is_live(*, revoked_at: datetime | None, expires_at: datetime, now: datetime) -> bool:
    return revoked_at is None and now < expires_at


def last_use_due(last_used_at: datetime | None, *, now: datetime) -> bool:
    """Whether a token's last use should be stored now: at most once a minute, so a busy
    integration does not cost a disk write per call."""
    return last_used_at is None or now - last_used_at >= _TOUCH_EVERY


def check_token(session: Session, *, secret: str, now: datetime) -> ApiToken | None:
    """The live token for a bearer secret, or None (unknown, revoked or expired)."""
    token = repository.token_by_hash(session, token_digest(secret))
    if token is None or not token_is_live(
        revoked_at=token.revoked_at, expires_at=token.expires_at, now=now
    ):
        return None
    if last_use_due(token.last_used_at, now=now):
        token.last_used_at = now
    return token


def revoke_token(session: Session, *, token_id: str, actor: str, now: datetime) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise TokenNotFoundError("There is no API token with this id.")
    if token.revoked_at is None:
        token.revoked_at = now
        _audit(session, actor, "api_token.revoked", token.id, {})
    return token


def _audit(
    session: Session, actor: str, action: str, subject_id: str, details: dict[str, object]
) -> None:
    subject_type = action.split(".")[0]
    record_event(
        session,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=dict(details),
    )
