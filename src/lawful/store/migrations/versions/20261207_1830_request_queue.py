"""The request queue: an assignee per request, staff notes (sealed), and the words of each
person's name as blind indexes, so staff find a request by name without a name in clear.

Existing requests get their name's words on first search or with `lawful requests
index-names` (the key that opens the names is not the migration's to hold).

Revision ID: 8c5e2b7a1f93
Revises: 6a4f0d2c8e17
Created: 2026-12-07 18:30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c5e2b7a1f93"
down_revision: str | None = "6a4f0d2c8e17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rights_requests") as batch:
        batch.add_column(
            sa.Column(
                "assignee_id",
                sa.String(32),
                nullable=True,
                comment="The staff member working on it (id)",
            )
        )
        batch.add_column(
            sa.Column(
                "name_tokens_ready",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
                comment="Its name's words are in request_name_tokens",
            )
        )
        batch.create_index("ix_rights_requests_assignee_id", ["assignee_id"])
    op.create_table(
        "request_name_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "request_id",
            sa.String(32),
            sa.ForeignKey("rights_requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_index", sa.String(64), nullable=False, comment="HMAC blind index"),
        sa.UniqueConstraint("request_id", "token_index"),
    )
    op.create_index("ix_request_name_tokens_request_id", "request_name_tokens", ["request_id"])
    op.create_index("ix_request_name_tokens_token_index", "request_name_tokens", ["token_index"])
    op.create_table(
        "request_notes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "request_id",
            sa.String(32),
            sa.ForeignKey("rights_requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "author", sa.String(200), nullable=False, comment="staff:<id>, as the audit trail"
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body_sealed", sa.LargeBinary(), nullable=False, comment="AES-GCM sealed text"),
    )
    op.create_index("ix_request_notes_request_id", "request_notes", ["request_id"])


def downgrade() -> None:
    op.drop_table("request_notes")
    op.drop_table("request_name_tokens")
    with op.batch_alter_table("rights_requests") as batch:
        batch.drop_index("ix_rights_requests_assignee_id")
        batch.drop_column("name_tokens_ready")
        batch.drop_column("assignee_id")
