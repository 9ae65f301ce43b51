"""OpenDSR: as the processor, the credentials given to clients (token hashes) and the
requests they sent (identities and access results sealed); as the controller, the requests
we sent to processors and their last status.

Revision ID: e5b9c3a7d104
Revises: a1c0e5d2b7f4
Created: 2026-12-07 15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e5b9c3a7d104"
# Its own branch: no foreign key to another domain's tables.
down_revision: str | None = "a1c0e5d2b7f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opendsr_credentials",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("client", sa.String(100), nullable=False, comment="The map's client id"),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("prefix", sa.String(12), nullable=False, comment="The token's start, to tell it"),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_opendsr_credentials_client", "opendsr_credentials", ["client"])
    op.create_table(
        "opendsr_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("client", sa.String(100), nullable=False),
        sa.Column(
            "subject_request_id", sa.String(36), nullable=False, comment="The controller's UUID"
        ),
        sa.Column(
            "request_type", sa.String(16), nullable=False, comment="access, portability, erasure"
        ),
        sa.Column("regulation", sa.String(8), nullable=False, comment="gdpr or ccpa"),
        sa.Column("api_version", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column(
            "identity_sealed",
            sa.LargeBinary,
            nullable=True,
            comment="The identities, encrypted; dropped once done",
        ),
        sa.Column("callback_urls", sa.JSON, nullable=False),
        sa.Column("base_url", sa.String(400), nullable=False, comment="Where results_url points"),
        sa.Column("submitted_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected_completion_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("job_id", sa.String(32), nullable=True, comment="Erasure job"),
        sa.Column(
            "results_sealed",
            sa.LargeBinary,
            nullable=True,
            comment="Access/portability: the package, encrypted",
        ),
        sa.Column("results_count", sa.Integer, nullable=True),
        sa.Column(
            "result", sa.JSON, nullable=True, comment="Counts and datasets only: no personal data"
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("client", "subject_request_id"),
    )
    op.create_index("ix_opendsr_requests_client", "opendsr_requests", ["client"])
    op.create_table(
        "opendsr_outgoing",
        sa.Column("subject_request_id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(32), nullable=False, comment="Our rights request"),
        sa.Column("recipient", sa.String(100), nullable=False, comment="The map's recipient id"),
        sa.Column("status", sa.String(16), nullable=False, comment="The processor's last status"),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("results_url", sa.String(1000), nullable=True),
        sa.UniqueConstraint("request_id", "recipient"),
    )
    op.create_index("ix_opendsr_outgoing_request_id", "opendsr_outgoing", ["request_id"])


def downgrade() -> None:
    op.drop_table("opendsr_outgoing")
    op.drop_table("opendsr_requests")
    op.drop_table("opendsr_credentials")
