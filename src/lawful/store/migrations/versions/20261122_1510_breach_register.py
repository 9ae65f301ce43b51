"""Breach register: incidents, their scope, counts, assessment, and phased updates.

Revision ID: 7f0c4ad5c74e
Revises: a1c0e5d2b7f4
Created: 2026-11-22 15:10
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "7f0c4ad5c74e"
down_revision: str | None = "a1c0e5d2b7f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=16)


def _when(name: str, *, nullable: bool = True, comment: str | None = None) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, comment=comment)


def _text(name: str, comment: str | None = None) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=True, comment=comment)


def upgrade() -> None:
    op.create_table(
        "breach_incidents",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("reference", sa.String(20), nullable=False, comment="BR-YYYY-NNNN"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", _enum("incidentstatus", "open", "contained", "closed"), nullable=False),
        sa.Column("our_role", _enum("ourrole", "controller", "processor"), nullable=False),
        _when("became_aware_at", nullable=False, comment="Art. 33(1) clock"),
        _when("occurred_from"),
        _when("occurred_until"),
        sa.Column(
            "reported_by",
            sa.String(100),
            nullable=True,
            comment="Recipient id of the processor that told us",
        ),
        _when("reported_to_us_at"),
        sa.Column("systems", sa.JSON(), nullable=False),
        sa.Column("datasets", sa.JSON(), nullable=False, comment="Affected datasets"),
        sa.Column(
            "kinds", sa.JSON(), nullable=False, comment="confidentiality, integrity, availability"
        ),
        _text("nature", "Art. 33(3)(a)"),
        _text("consequences", "Art. 33(3)(c)"),
        _text("measures_taken", "Art. 33(3)(d)"),
        _text("measures_proposed"),
        _text("advice_to_people", "What people can do to protect themselves (Art. 34(2))"),
        _text("delay_reasons", "Why notified after 72 hours (Art. 33(1))"),
        sa.Column("people_count", sa.Integer(), nullable=True),
        sa.Column("records_count", sa.JSON(), nullable=False),
        sa.Column("unidentified_records", sa.Integer(), nullable=True),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        _when("counted_at"),
        sa.Column("risk", _enum("risk", "unassessed", "unlikely", "risk", "high"), nullable=False),
        _text("risk_reasoning"),
        sa.Column(
            "exemptions", sa.JSON(), nullable=False, comment="Art. 34(3)(a)–(c) grounds relied on"
        ),
        _when("authority_notified_at"),
        sa.Column("authority_reference", sa.String(100), nullable=True),
        _when("people_notified_at"),
        _when("clients_notified_at"),
        sa.Column("created_by", sa.String(200), nullable=False),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        _when("closed_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_incidents")),
        sa.UniqueConstraint("reference", name=op.f("uq_breach_incidents_reference")),
    )
    op.create_table(
        "breach_updates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(32), nullable=False),
        _when("at", nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False, comment="Fields changed"),
        sa.Column("values", sa.JSON(), nullable=False, comment="Their new values"),
        _text("note"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["breach_incidents.id"],
            name=op.f("fk_breach_updates_incident_id_breach_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_updates")),
    )
    op.create_index(op.f("ix_breach_updates_incident_id"), "breach_updates", ["incident_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_breach_updates_incident_id"), table_name="breach_updates")
    op.drop_table("breach_updates")
    op.drop_table("breach_incidents")
