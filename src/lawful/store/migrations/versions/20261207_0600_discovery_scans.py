"""Discovery: scans of the map's SQL systems and the personal columns they found (categories
and counts only, never a sampled value).

Revision ID: 3c8d1f6a9e25
Revises: a1c0e5d2b7f4
Created: 2026-12-07 06:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "3c8d1f6a9e25"
down_revision: str | None = "a1c0e5d2b7f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _count(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "discovery_runs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("done", "unreachable", name="runoutcome", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column(
            "requested_by", sa.String(200), nullable=False, comment="schedule, staff:<id> or cli"
        ),
        _when("started_at"),
        _when("finished_at"),
        _count("tables_seen"),
        _count("columns_seen"),
        _count("rows_sampled"),
        _count("personal_columns"),
        _count("undeclared_columns"),
        _count("new_columns"),
        _count("free_text_columns"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_runs")),
    )
    op.create_index(op.f("ix_discovery_runs_system"), "discovery_runs", ["system"])
    op.create_table(
        "discovery_findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("table_name", sa.String(200), nullable=False),
        sa.Column("column_name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(100), nullable=False, comment="data category guessed"),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column(
            "evidence",
            sa.Enum("name", "values", "both", name="evidence", native_enum=False, length=16),
            nullable=False,
        ),
        _count("values_sampled"),
        _count("values_matched"),
        sa.Column("declared", sa.Boolean(), nullable=False, comment="the map declares this field"),
        sa.Column(
            "dataset",
            sa.String(100),
            nullable=True,
            comment="the map's dataset for the table, if any",
        ),
        sa.Column(
            "erase", sa.String(64), nullable=False, comment="erase strategy the column accepts"
        ),
        sa.Column(
            "free_text", sa.Boolean(), nullable=False, comment="free text holding personal data"
        ),
        sa.Column("first_seen_run", sa.String(32), nullable=False),
        sa.Column("last_seen_run", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["first_seen_run"],
            ["discovery_runs.id"],
            name=op.f("fk_discovery_findings_first_seen_run_discovery_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["last_seen_run"],
            ["discovery_runs.id"],
            name=op.f("fk_discovery_findings_last_seen_run_discovery_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discovery_findings")),
        sa.UniqueConstraint(
            "system",
            "table_name",
            "column_name",
            name=op.f("uq_discovery_findings_system_table_name_column_name"),
        ),
    )
    op.create_index(op.f("ix_discovery_findings_system"), "discovery_findings", ["system"])
    op.create_index(
        op.f("ix_discovery_findings_last_seen_run"), "discovery_findings", ["last_seen_run"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_discovery_findings_last_seen_run"), table_name="discovery_findings")
    op.drop_index(op.f("ix_discovery_findings_system"), table_name="discovery_findings")
    op.drop_table("discovery_findings")
    op.drop_index(op.f("ix_discovery_runs_system"), table_name="discovery_runs")
    op.drop_table("discovery_runs")
