"""Staff identity: TOTP second factor (sealed secret, last accepted step), recovery codes,
one-time invitation and password-reset links, and each session's user agent and pending
second factor.

Revision ID: 9b2f6c1d4e70
Revises: c4d8e2a6f1b3
Created: 2026-12-07 18:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b2f6c1d4e70"
# On the staff tables' own branch.
down_revision: str | None = "c4d8e2a6f1b3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(
            sa.Column(
                "totp_secret_sealed",
                sa.LargeBinary(),
                nullable=True,
                comment="AES-GCM sealed TOTP secret (RFC 6238)",
            )
        )
        batch.add_column(sa.Column("totp_enabled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column(
                "totp_last_step",
                sa.Integer(),
                nullable=True,
                comment="Time step of the last code accepted: not accepted again",
            )
        )
    with op.batch_alter_table("staff_sessions") as batch:
        batch.add_column(sa.Column("user_agent", sa.String(300), nullable=True))
        batch.add_column(
            sa.Column(
                "second_factor_due",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
                comment="Password checked, TOTP code not yet: no page but the code",
            )
        )
        batch.add_column(
            sa.Column("code_failures", sa.Integer(), nullable=False, server_default="0")
        )
    op.create_table(
        "staff_links",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(32),
            sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(10), nullable=False),
        sa.Column(
            "token_hash", sa.String(64), nullable=False, unique=True, comment="SHA-256 of the token"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_staff_links_user_id", "staff_links", ["user_id"])
    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(32),
            sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_staff_recovery_codes_user_id", "staff_recovery_codes", ["user_id"])


def downgrade() -> None:
    op.drop_table("staff_recovery_codes")
    op.drop_table("staff_links")
    with op.batch_alter_table("staff_sessions") as batch:
        batch.drop_column("code_failures")
        batch.drop_column("second_factor_due")
        batch.drop_column("user_agent")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_enabled_at")
        batch.drop_column("totp_secret_sealed")
