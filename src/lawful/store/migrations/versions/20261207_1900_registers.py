"""Registers: DPIAs (GDPR Art. 35), processors and their agreements (Art. 28), staff training
(Art. 32(4), 39(1)(b)).

Revision ID: d1a5e8c3b720
Revises: 8c5e2b7a1f93, c4d8e2a6f1b3 (staff accounts: the training table refers to them)
Created: 2026-12-07 19:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "d1a5e8c3b720"
down_revision: str | tuple[str, ...] | None = ("8c5e2b7a1f93", "c4d8e2a6f1b3")  # + staff_users
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "dpia_assessments",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(20), nullable=False, comment="DPIA-YYYY-NNNN"),
        sa.Column("purpose", sa.String(100), nullable=False, comment="Purpose id of the map"),
        sa.Column("criteria", sa.JSON(), nullable=False, comment="WP248 criteria met"),
        sa.Column(
            "state",
            sa.Enum(
                "required", "started", "approved", name="dpiastate", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column(
            "summary",
            sa.Text(),
            nullable=True,
            comment="Risks found and measures (Art. 35(7)(c)–(d))",
        ),
        sa.Column("review_on", sa.Date(), nullable=True, comment="Next review (Art. 35(11))"),
        sa.Column("approved_by", sa.String(200), nullable=True),
        _when("approved_at", nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dpia_assessments")),
        sa.UniqueConstraint("reference", name=op.f("uq_dpia_assessments_reference")),
    )
    op.create_index(op.f("ix_dpia_assessments_purpose"), "dpia_assessments", ["purpose"])
    op.create_table(
        "processor_agreements",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(100), nullable=False, comment="Recipient id of the map"),
        sa.Column(
            "signed_on", sa.Date(), nullable=False, comment="Date of the Art. 28(3) agreement"
        ),
        sa.Column(
            "authorisation",
            sa.Enum("general", "specific", name="authorisation", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "safeguards",
            sa.Text(),
            nullable=True,
            comment="Transfer safeguards (Art. 46), e.g. SCCs module 2",
        ),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.String(200), nullable=False),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processor_agreements")),
        sa.UniqueConstraint("recipient", name=op.f("uq_processor_agreements_recipient")),
    )
    op.create_table(
        "processor_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recipient", sa.String(100), nullable=False, comment="The sub-processor"),
        sa.Column(
            "kind",
            sa.Enum(
                "added", "replaced", "removed", name="changekind", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("announced_by", sa.String(200), nullable=False),
        _when("announced_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processor_changes")),
    )
    op.create_index(op.f("ix_processor_changes_recipient"), "processor_changes", ["recipient"])
    op.create_table(
        "processor_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(100), nullable=False, comment="Client id of the map"),
        sa.Column("text", sa.Text(), nullable=False),
        _when("sent_at", nullable=True),
        sa.Column("sent_by", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["processor_changes.id"],
            ondelete="CASCADE",
            name=op.f("fk_processor_notices_change_id_processor_changes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processor_notices")),
        sa.UniqueConstraint(
            "change_id", "client", name=op.f("uq_processor_notices_change_id_client")
        ),
    )
    op.create_index(op.f("ix_processor_notices_change_id"), "processor_notices", ["change_id"])
    op.create_table(
        "staff_training",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
        sa.Column("course", sa.String(200), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False, comment="Last day it counts"),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        _when("recorded_at"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["staff_users.id"],
            ondelete="CASCADE",
            name=op.f("fk_staff_training_user_id_staff_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_training")),
    )
    op.create_index(op.f("ix_staff_training_user_id"), "staff_training", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_staff_training_user_id"), table_name="staff_training")
    op.drop_table("staff_training")
    op.drop_index(op.f("ix_processor_notices_change_id"), table_name="processor_notices")
    op.drop_table("processor_notices")
    op.drop_index(op.f("ix_processor_changes_recipient"), table_name="processor_changes")
    op.drop_table("processor_changes")
    op.drop_table("processor_agreements")
    op.drop_index(op.f("ix_dpia_assessments_purpose"), table_name="dpia_assessments")
    op.drop_table("dpia_assessments")
