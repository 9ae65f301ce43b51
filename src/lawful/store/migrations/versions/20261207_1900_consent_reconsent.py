"""Material notice changes: from when old consents stop counting, and the re-consent mails
(one run per notice version, one row per person: the checkpoint that never mails twice).

Revision ID: 3a9d6e1f7c42
Revises: 7e41c9b2d5a8
Created: 2026-12-07 19:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3a9d6e1f7c42"
down_revision: str | None = "7e41c9b2d5a8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consent_notice_versions") as batch:
        batch.add_column(
            sa.Column(
                "effective_at",
                sa.DateTime(timezone=True),
                nullable=True,
                comment="From when consents older than a material change stop counting",
            )
        )
    op.create_table(
        "consent_reconsent_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False, comment="People to ask"),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["notice_id"], ["consent_notice_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notice_id"),
    )
    op.create_table(
        "consent_reconsent_asks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("subject_index", sa.String(64), nullable=False, comment="HMAC blind index"),
        sa.Column(
            "subject_sealed", sa.LargeBinary(), nullable=False, comment="AES-GCM sealed subject"
        ),
        sa.Column(
            "purposes", sa.String(1000), nullable=False, comment="Purposes to ask about, ','"
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "mailed",
                "no_address",
                "superseded",
                name="askstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("mailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["consent_reconsent_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "subject_index", name="uq_consent_reconsent_asks_person"),
    )
    op.create_index(
        "ix_consent_reconsent_asks_run_status",
        "consent_reconsent_asks",
        ["run_id", "status"],
    )


def downgrade() -> None:
    op.drop_index("ix_consent_reconsent_asks_run_status", table_name="consent_reconsent_asks")
    op.drop_table("consent_reconsent_asks")
    op.drop_table("consent_reconsent_runs")
    with op.batch_alter_table("consent_notice_versions") as batch:
        batch.drop_column("effective_at")
