"""Decision markers (restriction, objection, isolation, erasure pending) per person and
dataset, and the log of their changes that systems poll and webhooks deliver.

Revision ID: d3a9f1c7e5b2
Revises: 8c5e2b7a1f93
Created: 2026-12-07 19:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d3a9f1c7e5b2"
# After the latest head (the request queue); the markers reference no other table.
down_revision: str | None = "8c5e2b7a1f93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_markers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("dataset", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column(
            "person_index",
            sa.String(64),
            nullable=False,
            comment="HMAC blind index of the dataset and the person",
        ),
        sa.Column(
            "identity_sealed",
            sa.LargeBinary,
            nullable=False,
            comment="AES-GCM sealed: the dataset's own identity values and keys",
        ),
        sa.Column("reason", sa.String(40), nullable=False, comment="e.g. an Art. 18(1) ground"),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "dataset", "kind", "person_index", name="uq_decision_markers_dataset_kind_person_index"
        ),
    )
    op.create_index("ix_decision_markers_dataset", "decision_markers", ["dataset"])
    op.create_table(
        "marker_changes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "marker_id",
            sa.String(32),
            sa.ForeignKey("decision_markers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("dataset", sa.String(100), nullable=False),
        sa.Column("action", sa.String(10), nullable=False, comment="placed or lifted"),
        sa.Column(
            "notify",
            sa.String(20),
            nullable=False,
            comment="How the system is told: webhook, http_connector, manual, poll",
        ),
        sa.Column(
            "told_by", sa.String(200), nullable=True, comment="Staff who told a manual system"
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_marker_changes_marker_id", "marker_changes", ["marker_id"])
    op.create_index("ix_marker_changes_dataset", "marker_changes", ["dataset"])


def downgrade() -> None:
    op.drop_table("marker_changes")
    op.drop_table("decision_markers")
