"""Registers of complaints and authority inquiries (GDPR Art. 77, 57(1)(f), 58(1)) and of
post-mortem directives (Loi Informatique et Libertés art. 85).

Revision ID: 3b9d7e1c5a20
Revises: 8c5e2b7a1f93
Created: 2026-12-07 19:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "3b9d7e1c5a20"
down_revision: str | None = "8c5e2b7a1f93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def _when(name: str, *, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(20), nullable=False, comment="CP-YYYY-NNNN"),
        sa.Column("subject", sa.String(200), nullable=False, comment="What it is about, no names"),
        sa.Column("source", _enum("source", "person", "authority"), nullable=False),
        sa.Column(
            "authority",
            sa.String(20),
            nullable=True,
            comment="Supervisory authority code, e.g. CNIL, HDPA",
        ),
        sa.Column("authority_reference", sa.String(100), nullable=True),
        _when("received_at", nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column(
            "deadline_basis", sa.String(200), nullable=False, comment="Who set it, or the article"
        ),
        sa.Column("status", _enum("complaintstatus", "open", "answered", "closed"), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("linked_requests", sa.JSON(), nullable=False),
        sa.Column("complainant_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("complainant_index", sa.String(64), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        _when("answered_at"),
        _when("closed_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("reference", name=op.f("uq_complaints_reference")),
    )
    op.create_index(op.f("ix_complaints_complainant_index"), "complaints", ["complainant_index"])
    op.create_table(
        "complaint_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("complaint_id", sa.String(32), nullable=False),
        _when("at", nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("text_sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_notes_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_notes")),
    )
    op.create_index(op.f("ix_complaint_notes_complaint_id"), "complaint_notes", ["complaint_id"])

    op.create_table(
        "postmortem_directives",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(20), nullable=False, comment="PM-YYYY-NNNN"),
        sa.Column("kind", _enum("directivekind", "general", "specific"), nullable=False),
        sa.Column(
            "status", _enum("directivestatus", "recorded", "verified", "applied"), nullable=False
        ),
        sa.Column("country", sa.String(2), nullable=False, comment="Where the person lives: FR"),
        sa.Column("instructions", sa.JSON(), nullable=False),
        sa.Column(
            "person_sealed", sa.LargeBinary(), nullable=False, comment="name and email, sealed"
        ),
        sa.Column("person_index", sa.String(64), nullable=False),
        sa.Column(
            "designee_sealed", sa.LargeBinary(), nullable=False, comment="name and email, sealed"
        ),
        sa.Column("designee_index", sa.String(64), nullable=False),
        sa.Column("wording_sealed", sa.LargeBinary(), nullable=True),
        _when("verified_at"),
        sa.Column("verified_by", sa.String(200), nullable=True),
        sa.Column("verified_how", sa.String(200), nullable=True),
        _when("death_reported_at"),
        sa.Column("death_recorded_by", sa.String(200), nullable=True),
        sa.Column("proof_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_requests", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postmortem_directives")),
        sa.UniqueConstraint("reference", name=op.f("uq_postmortem_directives_reference")),
    )
    for column in ("person_index", "designee_index"):
        op.create_index(
            op.f(f"ix_postmortem_directives_{column}"), "postmortem_directives", [column]
        )


def downgrade() -> None:
    for column in ("person_index", "designee_index"):
        op.drop_index(
            op.f(f"ix_postmortem_directives_{column}"), table_name="postmortem_directives"
        )
    op.drop_table("postmortem_directives")
    op.drop_index(op.f("ix_complaint_notes_complaint_id"), table_name="complaint_notes")
    op.drop_table("complaint_notes")
    op.drop_index(op.f("ix_complaints_complainant_index"), table_name="complaints")
    op.drop_table("complaints")
