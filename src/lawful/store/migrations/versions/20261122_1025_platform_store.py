"""Platform store: jobs and their checkpoints, the suppression list, restrictions.

Revision ID: a1c0e5d2b7f4
Revises:
Created: 2026-11-22 10:25
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "a1c0e5d2b7f4"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def _when(name: str, *, nullable: bool) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column(
            "kind",
            _enum("jobkind", "access", "portability", "erase", "rectify", "restrict"),
            nullable=False,
        ),
        sa.Column(
            "identity_sealed", sa.LargeBinary(), nullable=False, comment="AES-GCM sealed identity"
        ),
        sa.Column("identity_index", sa.String(64), nullable=False, comment="HMAC blind index"),
        sa.Column("status", _enum("jobstatus", "running", "done", "failed"), nullable=False),
        sa.Column(
            "map_digest", sa.String(64), nullable=False, comment="SHA-256 of the data map used"
        ),
        _when("created_at", nullable=False),
        _when("finished_at", nullable=True),
        sa.Column(
            "result",
            sa.JSON(),
            nullable=True,
            comment="Summary without personal data: counts, kept, forwards",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_identity_index"), "jobs", ["identity_index"])
    op.create_table(
        "job_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("job_id", sa.String(32), nullable=False),
        sa.Column("dataset", sa.String(100), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column(
            "position", sa.Integer(), nullable=False, comment="Execution order within the job"
        ),
        sa.Column("action", sa.String(16), nullable=False, comment="read, update or delete"),
        sa.Column("status", _enum("stepstatus", "pending", "done", "failed"), nullable=False),
        sa.Column(
            "payload_sealed",
            sa.LargeBinary(),
            nullable=True,
            comment="AES-GCM sealed keys and new values of the batch",
        ),
        sa.Column("rows_planned", sa.Integer(), nullable=False),
        sa.Column("rows_changed", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _when("started_at", nullable=True),
        _when("finished_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_steps_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_steps")),
        sa.UniqueConstraint(
            "job_id", "dataset", "batch", name=op.f("uq_job_steps_job_id_dataset_batch")
        ),
    )
    op.create_index(op.f("ix_job_steps_job_id"), "job_steps", ["job_id"])
    op.create_table(
        "suppressions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("identity_type", sa.String(32), nullable=False),
        sa.Column("identity_hash", sa.String(64), nullable=False),
        _when("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
        sa.UniqueConstraint(
            "identity_type",
            "identity_hash",
            name=op.f("uq_suppressions_identity_type_identity_hash"),
        ),
    )
    op.create_table(
        "restrictions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("identity_index", sa.String(64), nullable=False, comment="HMAC blind index"),
        sa.Column("dataset", sa.String(100), nullable=False),
        sa.Column("record_index", sa.String(64), nullable=False, comment="HMAC of dataset and key"),
        sa.Column("reason", sa.String(32), nullable=False, comment="Art. 18(1)(a)–(d)"),
        _when("created_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restrictions")),
        sa.UniqueConstraint("record_index", name=op.f("uq_restrictions_record_index")),
    )
    op.create_index("ix_restrictions_identity_index", "restrictions", ["identity_index"])


def downgrade() -> None:
    op.drop_table("restrictions")
    op.drop_table("suppressions")
    op.drop_index(op.f("ix_job_steps_job_id"), table_name="job_steps")
    op.drop_table("job_steps")
    op.drop_index(op.f("ix_jobs_identity_index"), table_name="jobs")
    op.drop_table("jobs")
