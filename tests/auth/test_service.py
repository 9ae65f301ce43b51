"""Staff accounts, sessions and API tokens, at the service level (no HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session, sessionmaker

from lawful.auth import passwords
from lawful.auth.errors import InvalidStaffInputError, StaffExistsError
from lawful.auth.models import ApiToken, Role, StaffUser
from lawful.auth.service import (
    SignInPolicy,
    authenticate,
    check_token,
    create_token,
    create_user,
    end_session,
    resume_session,
    start_session,
    user_email,
)
from lawful.store.crypto import Keyring

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = SignInPolicy(max_failures=3, lockout=timedelta(minutes=15))
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)


@pytest.fixture
def db(platform_sessions: sessionmaker[Session]) -> Session:
    return platform_sessions()


def _user(db: Session, keyring: Keyring, role: Role = Role.analyst) -> StaffUser:
    return create_user(db, keyring=keyring, email=" Ann@Staff.Example ", name="Ann",
                       role=role, password=PASSWORD, actor="test")  # fmt: skip


def test_a_user_is_stored_with_a_sealed_email_and_an_argon2_hash(
    db: Session, platform_keyring: Keyring
) -> None:
    user = _user(db, platform_keyring)
    assert user_email(platform_keyring, user) == "ann@staff.example"
    assert b"ann@staff.example" not in user.email_sealed
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_the_same_email_in_another_case_is_the_same_account(
    db: Session, platform_keyring: Keyring
) -> None:
    _user(db, platform_keyring)
    with pytest.raises(StaffExistsError):
        create_user(db, keyring=platform_keyring, email="ANN@staff.example", name="Ann 2",
                    role=Role.admin, password=PASSWORD, actor="test")  # fmt: skip


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("ann", PASSWORD, "email"), ("ann@staff.example", "too short", "password")],
)
def test_bad_account_details_are_refused_by_field(
    db: Session, platform_keyring: Keyring, email: str, password: str, field: str
) -> None:
    with pytest.raises(InvalidStaffInputError) as refused:
        create_user(db, keyring=platform_keyring, email=email, name="Ann", role=Role.admin,
                    password=password, actor="test")  # fmt: skip
    assert refused.value.field == field


def test_sign_in_is_paused_after_repeated_failures_then_allowed_again(
    db: Session, platform_keyring: Keyring
) -> None:
    _user(db, platform_keyring)

    def attempt(password: str, at: datetime) -> object:
        return authenticate(db, keyring=platform_keyring, email="ann@staff.example",
                            password=password, policy=POLICY, now=at)  # fmt: skip

    outcomes = [attempt("wrong", NOW + timedelta(seconds=i)) for i in range(3)]
    assert [o.throttled for o in outcomes] == [False, False, True]  # type: ignore[attr-defined]
    assert attempt(PASSWORD, NOW + timedelta(minutes=5)).user is None  # type: ignore[attr-defined]
    later = attempt(PASSWORD, NOW + timedelta(minutes=16))
    assert later.user is not None  # type: ignore[attr-defined]


def test_a_deactivated_user_cannot_sign_in_or_keep_a_session(
    db: Session, platform_keyring: Keyring
) -> None:
    user = _user(db, platform_keyring)
    new = start_session(db, user=user, lifetime=timedelta(hours=12), now=NOW)
    user.active = False
    assert resume_session(db, secret=new.secret, idle=timedelta(minutes=30), now=NOW) is None
    signed = authenticate(db, keyring=platform_keyring, email="ann@staff.example",
                          password=PASSWORD, policy=POLICY, now=NOW)  # fmt: skip
    assert signed.user is None


def test_a_session_ends_when_idle_too_long_at_its_absolute_end_or_on_sign_out(
    db: Session, platform_keyring: Keyring
) -> None:
    user = _user(db, platform_keyring)
    idle = timedelta(minutes=30)
    new = start_session(db, user=user, lifetime=timedelta(hours=1), now=NOW)
    assert resume_session(db, secret=new.secret, idle=idle, now=NOW + timedelta(minutes=29))
    assert resume_session(db, secret=new.secret, idle=idle, now=NOW + timedelta(minutes=58))
    assert resume_session(db, secret=new.secret, idle=idle, now=NOW + timedelta(minutes=61)) is None
    other = start_session(db, user=user, lifetime=timedelta(hours=1), now=NOW)
    assert (
        resume_session(db, secret=other.secret, idle=idle, now=NOW + timedelta(minutes=31)) is None
    )
    third = start_session(db, user=user, lifetime=timedelta(hours=1), now=NOW)
    end_session(db, record=third.record, now=NOW)
    assert resume_session(db, secret=third.secret, idle=idle, now=NOW) is None
    assert new.secret not in new.record.token_hash


def test_a_token_carries_known_scopes_within_a_year_and_is_checked_by_digest(
    db: Session, platform_keyring: Keyring
) -> None:
    maker = _user(db, platform_keyring, Role.admin)
    with pytest.raises(InvalidStaffInputError, match="unknown: rule:world"):
        create_token(db, name="x", scopes=["rule:world"], created_by=maker,
                     expires_at=NOW + timedelta(days=1), now=NOW)  # fmt: skip
    with pytest.raises(InvalidStaffInputError) as too_long:
        create_token(db, name="x", scopes=["audit:read"], created_by=maker,
                     expires_at=NOW + timedelta(days=400), now=NOW)  # fmt: skip
    assert too_long.value.field == "expires_at"
    new = create_token(db, name="x", scopes=["audit:read", "audit:read"], created_by=maker,
                       expires_at=NOW + timedelta(days=1), now=NOW)  # fmt: skip
    assert new.token.scopes == ["audit:read"]
    found = check_token(db, secret=new.secret, now=NOW + timedelta(hours=1))
    assert isinstance(found, ApiToken)
    assert found.last_used_at == NOW + timedelta(hours=1)
    assert check_token(db, secret=new.secret, now=NOW + timedelta(days=2)) is None
    assert check_token(db, secret=new.secret + "x", now=NOW) is None
