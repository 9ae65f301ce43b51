"""Data Rights Protocol 1.0: the authorized agents staff trust, their pair-wise tokens
(hashed), the requests they sent; a rights request names the agent that sent it.

Revision ID: 7d2e5a0c3b61
Revises: 4f7a2c9d1e30, 5d2f8c41e9a7
Created: 2026-12-07 05:30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d2e5a0c3b61"
# Also after the rights requests (5d2f8c41e9a7): a foreign key to them, a column on them.
down_revision: str | tuple[str, ...] | None = ("4f7a2c9d1e30", "5d2f8c41e9a7")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drp_agents",
        sa.Column("id", sa.String(100), primary_key=True, comment="[A-Z_]+"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "verify_key", sa.String(64), nullable=False, comment="Ed25519 verify key, base64"
        ),
        sa.Column("web_url", sa.String(400), nullable=True),
        sa.Column("identity_assurance_url", sa.String(400), nullable=True),
        sa.Column("technical_contact", sa.String(200), nullable=True),
        sa.Column("business_contact", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "drp_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "agent_id",
            sa.String(100),
            sa.ForeignKey("drp_agents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_drp_tokens_agent_id", "drp_tokens", ["agent_id"])
    op.create_table(
        "drp_requests",
        sa.Column("id", sa.String(36), primary_key=True, comment="request_id (UUID)"),
        sa.Column(
            "agent_id",
            sa.String(100),
            sa.ForeignKey("drp_agents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "rights_request_id",
            sa.String(32),
            sa.ForeignKey("rights_requests.id", ondelete="SET NULL"),
            nullable=True,
            unique=True,
            comment="None once the record was purged (11 CCR §7101): the DRP status is expired",
        ),
        sa.Column("agent_request_id", sa.String(200), nullable=True),
        sa.Column("exercise", sa.String(40), nullable=False),
        sa.Column("regime", sa.String(40), nullable=True),
        sa.Column("status_callback", sa.String(1000), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "last_status",
            sa.JSON(),
            nullable=True,
            comment="The status last queued to the callback (no personal data)",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_drp_requests_agent_id", "drp_requests", ["agent_id"])
    with op.batch_alter_table("rights_requests") as batch:
        batch.add_column(
            sa.Column(
                "agent",
                sa.String(200),
                nullable=True,
                comment="The authorized agent who sent it (DRP), by name",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("rights_requests") as batch:
        batch.drop_column("agent")
    op.drop_table("drp_requests")
    op.drop_table("drp_tokens")
    op.drop_table("drp_agents")
