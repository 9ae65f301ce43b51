"""Rights requests: the requests, their timeline, codes, ID documents, packages, links.

Revision ID: 5d2f8c41e9a7
Revises: a1c0e5d2b7f4
Created: 2026-11-22 13:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5d2f8c41e9a7"
down_revision: str | None = "a1c0e5d2b7f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REQUEST_TYPES = (
    "access",
    "portability",
    "rectification",
    "erasure",
    "restriction",
    "objection",
    "objection_direct_marketing",
    "consent_withdrawal",
    "opt_out_sale_sharing",
    "limit_sensitive",
    "post_mortem",
    "complaint",
)
STATUSES = (
    "received",
    "verifying",
    "verified",
    "approved",
    "denied",
    "running",
    "completed",
    "partially_completed",
    "forwarded",
    "cancelled",
    "expired",
)
LEVELS = ("none", "email_code", "data_points", "id_document")


def _enum(name: str, values: Sequence[str], length: int) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


def _when(name: str, *, nullable: bool, comment: str | None = None) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable, comment=comment)


def _sealed(name: str, *, comment: str | None = None) -> sa.Column[object]:
    return sa.Column(name, sa.LargeBinary(), nullable=True, comment=comment)


def _request_fk(table: str, target: str = "rights_requests") -> sa.ForeignKeyConstraint:
    column = "request_id" if target == "rights_requests" else "package_id"
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    _requests()
    _events_and_codes()
    _documents_packages_links()


def _requests() -> None:
    op.create_table(
        "rights_requests",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column(
            "reference",
            sa.String(16),
            nullable=False,
            comment="Random reference given to the person",
        ),
        sa.Column("request_type", _enum("requesttype", REQUEST_TYPES, 32), nullable=False),
        sa.Column("status", _enum("requeststatus", STATUSES, 24), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False, comment="web, api, email, phone, post"),
        sa.Column("email_sealed", sa.LargeBinary(), nullable=False, comment="AES-GCM sealed email"),
        sa.Column("email_index", sa.String(64), nullable=False, comment="HMAC blind index"),
        _sealed("phone_sealed"),
        sa.Column("phone_index", sa.String(64), nullable=True),
        _sealed("name_sealed"),
        sa.Column("name_index", sa.String(64), nullable=True),
        _sealed("address_sealed"),
        sa.Column("address_index", sa.String(64), nullable=True),
        _sealed("identifiers_sealed", comment="Other identity values the map declares, sealed"),
        _sealed("details_sealed", comment="The person's message and corrections, sealed"),
        sa.Column("residence_country", sa.String(2), nullable=False),
        sa.Column("residence_region", sa.String(8), nullable=True),
        sa.Column("jurisdictions", sa.JSON(), nullable=False),
        sa.Column(
            "jurisdiction",
            sa.String(8),
            nullable=True,
            comment="The law whose clock decides; none: no law applies",
        ),
        sa.Column(
            "timezone", sa.String(64), nullable=False, comment="Days are counted in this zone"
        ),
        _when("received_at", nullable=False),
        sa.Column("acknowledge_by", sa.Date(), nullable=True),
        _when("acknowledged_at", nullable=True),
        sa.Column("respond_by", sa.Date(), nullable=False),
        sa.Column("respond_by_citation", sa.String(400), nullable=False),
        sa.Column("extension_notice_by", sa.Date(), nullable=True),
        sa.Column("max_extended_by", sa.Date(), nullable=True),
        sa.Column("extensions", sa.JSON(), nullable=False),
        sa.Column("verification_level", _enum("verificationlevel", LEVELS, 16), nullable=False),
        _when("verified_at", nullable=True),
        sa.Column("status_token_hash", sa.String(64), nullable=False, comment="HMAC of the token"),
        sa.Column(
            "status_token_sealed",
            sa.LargeBinary(),
            nullable=False,
            comment="AES-GCM sealed token, for the links in later mail",
        ),
        sa.Column("denial_reason", sa.String(40), nullable=True),
        sa.Column(
            "result",
            sa.JSON(),
            nullable=True,
            comment="Outcome without personal data: jobs, counts, forwards",
        ),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        _when("closed_at", nullable=True),
        _when("keep_until", nullable=True, comment="Purged after (11 CCR §7101)"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_rights_requests_reference")),
    )
    for column in (
        "status",
        "email_index",
        "phone_index",
        "name_index",
        "respond_by",
        "keep_until",
    ):
        op.create_index(op.f(f"ix_rights_requests_{column}"), "rights_requests", [column])


def _events_and_codes() -> None:
    op.create_table(
        "request_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(32), nullable=False),
        _when("at", nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("from_status", sa.String(24), nullable=True),
        sa.Column("to_status", sa.String(24), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        _request_fk("request_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_events")),
    )
    op.create_index(op.f("ix_request_events_request_id"), "request_events", ["request_id"])
    op.create_table(
        "request_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("purpose", _enum("codepurpose", ("verify", "download"), 16), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, comment="HMAC of the code"),
        _when("created_at", nullable=False),
        _when("expires_at", nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="Wrong tries so far"),
        _when("used_at", nullable=True),
        _when("locked_at", nullable=True),
        _request_fk("request_codes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_codes")),
    )
    op.create_index(op.f("ix_request_codes_request_id"), "request_codes", ["request_id"])


def _documents_packages_links() -> None:
    op.create_table(
        "request_documents",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False, comment="AES-GCM sealed file"),
        _when("uploaded_at", nullable=False),
        _request_fk("request_documents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_documents")),
    )
    op.create_index(op.f("ix_request_documents_request_id"), "request_documents", ["request_id"])
    op.create_table(
        "request_packages",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("file_name", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False, comment="Bytes of the ZIP before sealing"),
        sa.Column("sealed", sa.LargeBinary(), nullable=False, comment="AES-GCM sealed ZIP"),
        _when("created_at", nullable=False),
        _when("expires_at", nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        _request_fk("request_packages"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_packages")),
    )
    op.create_index(op.f("ix_request_packages_request_id"), "request_packages", ["request_id"])
    op.create_table(
        "request_download_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("package_id", sa.String(32), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, comment="HMAC of the token"),
        sa.Column(
            "session_hash", sa.String(64), nullable=False, comment="HMAC of the browser session"
        ),
        _when("created_at", nullable=False),
        _when("expires_at", nullable=False),
        _when("used_at", nullable=True),
        _request_fk("request_download_links", "request_packages"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_download_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_request_download_links_token_hash")),
    )
    op.create_index(
        op.f("ix_request_download_links_package_id"), "request_download_links", ["package_id"]
    )


def downgrade() -> None:
    for table in (
        "request_download_links",
        "request_packages",
        "request_documents",
        "request_codes",
        "request_events",
        "rights_requests",
    ):
        op.drop_table(table)
