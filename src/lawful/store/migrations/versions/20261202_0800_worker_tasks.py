"""Worker: the durable task table behind every deferred job (in-process or Celery), and
the workers' heartbeats.

Revision ID: 9b3e6f12c0d4
Revises: a1c0e5d2b7f4
Created: 2026-12-02 08:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "9b3e6f12c0d4"
down_revision: str | None = "a1c0e5d2b7f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("queued", "running", "retrying", "done", "failed")


def _when(name: str, *, nullable: bool = True, comment: str | None = None) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, comment=comment)


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column(
            "kind", sa.String(64), nullable=False, comment="requests.mail, retention.sweep, …"
        ),
        sa.Column("payload", sa.JSON(), nullable=False, comment="Ids only; secrets sealed"),
        sa.Column(
            "request_id", sa.String(32), nullable=True, comment="The rights request it works for"
        ),
        sa.Column(
            "dedupe_key",
            sa.String(200),
            nullable=True,
            comment="Scheduled work: one task per slot",
        ),
        sa.Column(
            "status",
            sa.Enum(*STATUSES, name="taskstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        _when("run_after", nullable=False),
        _when("published_at", comment="Last hand-over to a broker or thread"),
        sa.Column("worker", sa.String(200), nullable=True),
        _when("lease_until"),
        sa.Column(
            "last_error",
            sa.Text(),
            nullable=True,
            comment="Error class and a message without personal data",
        ),
        _when("created_at", nullable=False),
        _when("started_at"),
        _when("finished_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_tasks_dedupe_key")),
    )
    op.create_index("ix_tasks_status_run_after", "tasks", ["status", "run_after"])
    op.create_index(op.f("ix_tasks_request_id"), "tasks", ["request_id"])
    op.create_table(
        "workers",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        _when("started_at", nullable=False),
        _when("last_seen", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_workers")),
    )


def downgrade() -> None:
    op.drop_table("workers")
    op.drop_index(op.f("ix_tasks_request_id"), table_name="tasks")
    op.drop_index("ix_tasks_status_run_after", table_name="tasks")
    op.drop_table("tasks")
