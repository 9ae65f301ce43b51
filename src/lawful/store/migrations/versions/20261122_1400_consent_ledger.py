"""Consent ledger: append-only consent events and published notice versions.

Revision ID: 7e41c9b2d5a8
Revises: a1c0e5d2b7f4
Created: 2026-11-22 14:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "7e41c9b2d5a8"
down_revision: str | None = "a1c0e5d2b7f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSAL = "consent events are append-only: record a new event instead"


def _when(name: str, *, nullable: bool, comment: str | None = None) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, comment=comment)


def upgrade() -> None:
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(32), nullable=False, comment="Public record id (receipts)"),
        sa.Column(
            "subject_index",
            sa.String(64),
            nullable=False,
            comment="HMAC blind index of the subject",
        ),
        sa.Column(
            "subject_sealed", sa.LargeBinary(), nullable=False, comment="AES-GCM sealed subject"
        ),
        sa.Column(
            "subject_type", sa.String(32), nullable=False, comment="email, phone, browser, ..."
        ),
        sa.Column("purpose", sa.String(100), nullable=True),
        sa.Column(
            "contact_channel",
            sa.String(16),
            nullable=True,
            comment="Preference for a channel: email, sms, phone, post",
        ),
        sa.Column("cookie_category", sa.String(32), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "given",
                "refused",
                "withdrawn",
                "expired",
                name="consentstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("notice_version", sa.String(50), nullable=True),
        sa.Column("notice_sha256", sa.String(64), nullable=True),
        sa.Column(
            "channel",
            sa.String(16),
            nullable=False,
            comment="Where it was collected: web_form, email, phone, paper, api, ...",
        ),
        sa.Column(
            "method", sa.String(64), nullable=False, comment="How: checkbox, one_click, gpc, ..."
        ),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column(
            "actor", sa.String(200), nullable=False, comment="subject, staff:<id>, token:<id>"
        ),
        _when("at", nullable=False, comment="When it happened"),
        _when("recorded_at", nullable=False),
        _when("expires_at", nullable=True),
        sa.Column(
            "evidence_sealed",
            sa.LargeBinary(),
            nullable=True,
            comment="AES-GCM sealed form snapshot and truncated IP",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
        sa.UniqueConstraint("uid", name=op.f("uq_consent_events_uid")),
    )
    op.create_index(op.f("ix_consent_events_subject_index"), "consent_events", ["subject_index"])
    op.create_index("ix_consent_events_purpose_at", "consent_events", ["purpose", "at"])
    op.create_table(
        "consent_notice_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, comment="SHA-256 of the published text"),
        sa.Column("text", sa.Text(), nullable=False, comment="The notice as published (Markdown)"),
        sa.Column("material", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        _when("published_at", nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_notice_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_consent_notice_versions_version")),
    )
    op.create_table(
        "consent_notice_purposes",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["consent_notice_versions.id"],
            name=op.f("fk_consent_notice_purposes_notice_id_consent_notice_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notice_id", "purpose", name=op.f("pk_consent_notice_purposes")),
    )
    _refuse_updates()


def _refuse_updates() -> None:
    """The ledger is append-only in the database itself, not only in Lawful's code."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events "
            "FOR EACH ROW EXECUTE FUNCTION consent_events_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
        )


def downgrade() -> None:
    op.drop_table("consent_notice_purposes")
    op.drop_table("consent_notice_versions")
    op.drop_table("consent_events")  # its trigger goes with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS consent_events_append_only()")
