"""Staff accounts, their sessions, API tokens and sign-in throttling.

Revision ID: c4d8e2a6f1b3
Revises: a1c0e5d2b7f4
Created: 2026-11-22 12:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "c4d8e2a6f1b3"
down_revision: str | None = "a1c0e5d2b7f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_ROLE = sa.Enum(
    "admin", "privacy_officer", "analyst", "auditor", name="role", native_enum=False, length=20
)


def _when(name: str, *, nullable: bool, comment: str | None = None) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, comment=comment)


def _digest(comment: str) -> sa.Column[str]:
    return sa.Column("token_hash", sa.String(64), nullable=False, comment=comment)


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("email_index", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        _when("first_failure_at", nullable=False),
        _when("locked_until", nullable=True),
        sa.PrimaryKeyConstraint("email_index", name=op.f("pk_sign_in_throttles")),
    )
    op.create_table(
        "staff_users",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column(
            "email_index",
            sa.String(64),
            nullable=False,
            comment="HMAC blind index of the lower-cased email",
        ),
        sa.Column("email_sealed", sa.LargeBinary(), nullable=False, comment="AES-GCM sealed email"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", _ROLE, nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False, comment="argon2id (RFC 9106)"),
        sa.Column("active", sa.Boolean(), nullable=False),
        _when("created_at", nullable=False),
        _when("last_sign_in_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_users")),
        sa.UniqueConstraint("email_index", name=op.f("uq_staff_users_email_index")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False, comment="What the token is for"),
        _digest("SHA-256 of the token"),
        sa.Column(
            "prefix", sa.String(16), nullable=False, comment="First characters, to recognise it"
        ),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=True),
        _when("created_at", nullable=False),
        _when("expires_at", nullable=False),
        _when("last_used_at", nullable=True),
        _when("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_users.id"],
            name=op.f("fk_api_tokens_created_by_staff_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(32), nullable=False),
        _digest("SHA-256 of the token"),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False, comment="Sent back in every form"),
        _when("created_at", nullable=False),
        _when("last_seen_at", nullable=False),
        _when("expires_at", nullable=False, comment="Absolute end"),
        _when("ended_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            name=op.f("fk_staff_sessions_user_id_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    op.create_index(op.f("ix_staff_sessions_user_id"), "staff_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_sessions_user_id"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("api_tokens")
    op.drop_table("staff_users")
    op.drop_table("sign_in_throttles")
