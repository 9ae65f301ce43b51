"""The forwards of a request to the clients we process data for: one row per client, sent,
open (a to-do that keeps the request from closing) or recorded by staff.

Revision ID: 6a4f0d2c8e17
Revises: 7d2e5a0c3b61
Created: 2026-12-07 06:20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6a4f0d2c8e17"
# After the requests' latest change (the DRP's column on rights_requests): a foreign key to them.
down_revision: str | None = "7d2e5a0c3b61"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_forwards",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id",
            sa.String(32),
            sa.ForeignKey("rights_requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("client", sa.String(100), nullable=False, comment="The client's id in the map"),
        sa.Column("client_name", sa.String(200), nullable=False),
        sa.Column("method", sa.String(16), nullable=False, comment="The map's forward method"),
        sa.Column("datasets", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(300), nullable=False, comment="Why it is open"),
        sa.Column(
            "channel",
            sa.String(40),
            nullable=True,
            comment="How it went: email, webhook, or what staff used",
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(2000), nullable=True, comment="What staff sent (staff only)"),
        sa.Column("recorded_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("request_id", "client", name="uq_request_forwards_request_id_client"),
    )
    op.create_index("ix_request_forwards_request_id", "request_forwards", ["request_id"])


def downgrade() -> None:
    op.drop_table("request_forwards")
