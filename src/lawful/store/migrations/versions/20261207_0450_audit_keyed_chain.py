"""Audit trail: each entry says how its hash was made — 1, SHA-256 (entries written before
this version), or 2, HMAC-SHA-256 under the audit key kept outside the store.

Revision ID: 5e1a7c93d2b8
Revises: b7e3d1f0a2c9
Created: 2026-12-07 04:50
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1a7c93d2b8"
down_revision: str | None = "b7e3d1f0a2c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing entries keep their unkeyed hashes (1); the keyed chain continues from them.
    with op.batch_alter_table("audit_entries") as batch:
        batch.add_column(
            sa.Column(
                "chain_version",
                sa.Integer(),
                nullable=False,
                server_default="1",
                comment="1: SHA-256 (before the audit key); 2: HMAC-SHA-256 under the audit key",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch:
        batch.drop_column("chain_version")
