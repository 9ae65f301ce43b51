"""Staff users, their sessions and API tokens.

A staff member's email is personal data: it is sealed (AES-GCM) and found through its blind
index, like every identity the platform stores. Session and API tokens are stored only as
SHA-256 digests: a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lawful.store.models import Base, UTCDateTime, new_id, utcnow


class Role(StrEnum):
    """What a staff member may do (DESIGN.md §5); `lawful.auth.roles` holds the rules."""

    admin = "admin"
    privacy_officer = "privacy_officer"
    analyst = "analyst"
    auditor = "auditor"  # reads everything, changes nothing


def _role_enum() -> Enum:
    return Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    email_index: Mapped[str] = mapped_column(
        String(64), unique=True, comment="HMAC blind index of the lower-cased email"
    )
    email_sealed: Mapped[bytes] = mapped_column(LargeBinary, comment="AES-GCM sealed email")
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_role_enum())
    password_hash: Mapped[str] = mapped_column(String(200), comment="argon2id (RFC 9106)")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    totp_secret_sealed: Mapped[bytes | None] = mapped_column(
        LargeBinary, nullable=True, comment="AES-GCM sealed TOTP secret (RFC 6238)"
    )
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(
        Integer, nullable=True, comment="Time step of the last code accepted: not accepted again"
    )

    @property
    def invited(self) -> bool:
        """Invited, and has not chosen a password yet (the account is inactive until then)."""
        return self.password_hash == ""

    @property
    def two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    sessions: Mapped[list[StaffSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class StaffSession(Base):
    """One signed-in browser. Signing out or expiry ends it on the server, not just the cookie."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 of the token")
    user_id: Mapped[str] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64), comment="Sent back in every form")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), comment="Absolute end")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
    second_factor_due: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="Password checked, TOTP code not yet: no page but the code"
    )
    code_failures: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[StaffUser] = relationship(back_populates="sessions")


class LinkPurpose(StrEnum):
    invite = "invite"
    reset = "reset"


class StaffLink(Base):
    """A one-time, expiring link mailed to a staff member: an invitation or a password reset.
    Only the SHA-256 of its secret is stored."""

    __tablename__ = "staff_links"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[LinkPurpose] = mapped_column(
        Enum(
            LinkPurpose,
            native_enum=False,
            length=10,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 of the token")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RecoveryCode(Base):
    """A one-time code that replaces a TOTP code when the phone is lost; stored as a keyed
    hash (HMAC, the keyring's blind index key), never in clear."""

    __tablename__ = "staff_recovery_codes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ApiToken(Base):
    """A bearer token for the JSON API, limited to its scopes and its lifetime."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), comment="What the token is for")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="SHA-256 of the token")
    prefix: Mapped[str] = mapped_column(String(16), comment="First characters, to recognise it")
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SignInThrottle(Base):
    """Failed sign-ins per email (blind index), known account or not, so throttling does not
    reveal which emails have an account."""

    __tablename__ = "sign_in_throttles"

    email_index: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
