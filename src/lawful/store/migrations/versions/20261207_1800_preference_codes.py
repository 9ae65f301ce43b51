"""Codes that open the preference center from the privacy center, by email.

Revision ID: 9b3e7d2f4a61
Revises: 6a4f0d2c8e17
Created: 2026-12-07 18:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9b3e7d2f4a61"
down_revision: str | None = "6a4f0d2c8e17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "preference_codes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "slot",
            sa.String(100),
            nullable=False,
            comment="Blind index of the address, hour and number",
        ),
        sa.Column("email_sealed", sa.LargeBinary, nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, comment="HMAC of the code"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, comment="Tries so far"),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("slot", name="uq_preference_codes_slot"),
    )
    op.create_index("ix_preference_codes_expires_at", "preference_codes", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_preference_codes_expires_at", table_name="preference_codes")
    op.drop_table("preference_codes")
