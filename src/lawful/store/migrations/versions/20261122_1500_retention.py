"""Retention: legal holds (people, datasets, cases), their records, anonymisation marks.

Revision ID: 42501212f534
Revises: a1c0e5d2b7f4
Created: 2026-11-22 15:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "42501212f534"
down_revision: str | None = "a1c0e5d2b7f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column(
            "scope",
            sa.Enum("person", "dataset", "case", name="holdscope", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "reference",
            sa.String(200),
            nullable=True,
            comment="Case or matter reference (no personal data)",
        ),
        sa.Column("reason", sa.Text(), nullable=False, comment="Why the data must be kept"),
        sa.Column("owner", sa.String(200), nullable=False, comment="Who answers for the hold"),
        sa.Column("datasets", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        _when("created_at", nullable=False),
        _when("released_at", nullable=True),
        sa.Column("released_by", sa.String(200), nullable=True),
        sa.Column("release_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    op.create_table(
        "legal_hold_people",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hold_id", sa.String(32), nullable=False),
        sa.Column(
            "identity_sealed", sa.LargeBinary(), nullable=False, comment="AES-GCM sealed identity"
        ),
        sa.Column(
            "identity_index", sa.String(64), nullable=False, comment="HMAC of the whole identity"
        ),
        sa.Column(
            "value_indexes",
            sa.JSON(),
            nullable=False,
            comment="HMAC of each identity value (type=value)",
        ),
        _when("records_found_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["legal_holds.id"],
            name=op.f("fk_legal_hold_people_hold_id_legal_holds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold_people")),
    )
    op.create_index(op.f("ix_legal_hold_people_hold_id"), "legal_hold_people", ["hold_id"])
    op.create_table(
        "legal_hold_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("dataset", sa.String(100), nullable=False),
        sa.Column("record_index", sa.String(64), nullable=False, comment="HMAC of dataset and key"),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["legal_hold_people.id"],
            name=op.f("fk_legal_hold_records_person_id_legal_hold_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold_records")),
        sa.UniqueConstraint(
            "person_id", "record_index", name=op.f("uq_legal_hold_records_person_id_record_index")
        ),
    )
    op.create_index(op.f("ix_legal_hold_records_person_id"), "legal_hold_records", ["person_id"])
    op.create_index("ix_legal_hold_records_record_index", "legal_hold_records", ["record_index"])
    op.create_table(
        "retention_marks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("dataset", sa.String(100), nullable=False),
        sa.Column("record_index", sa.String(64), nullable=False, comment="HMAC of dataset and key"),
        sa.Column("job_id", sa.String(32), nullable=False),
        _when("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_marks")),
        sa.UniqueConstraint(
            "rule", "record_index", name=op.f("uq_retention_marks_rule_record_index")
        ),
    )
    op.create_index(op.f("ix_retention_marks_dataset"), "retention_marks", ["dataset"])


def downgrade() -> None:
    op.drop_index(op.f("ix_retention_marks_dataset"), table_name="retention_marks")
    op.drop_table("retention_marks")
    op.drop_index("ix_legal_hold_records_record_index", table_name="legal_hold_records")
    op.drop_index(op.f("ix_legal_hold_records_person_id"), table_name="legal_hold_records")
    op.drop_table("legal_hold_records")
    op.drop_index(op.f("ix_legal_hold_people_hold_id"), table_name="legal_hold_people")
    op.drop_table("legal_hold_people")
    op.drop_table("legal_holds")
