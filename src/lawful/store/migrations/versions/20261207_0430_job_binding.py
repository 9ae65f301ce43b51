"""Jobs are bound to what they planned: the datastores they planned on (identities, never a
secret), the request they run for, and how many planned rows were skipped on resume because
they no longer held the person's identity values.

Revision ID: 4f7a2c9d1e30
Revises: 9b3e6f12c0d4
Created: 2026-12-07 04:30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4f7a2c9d1e30"
down_revision: str | None = "9b3e6f12c0d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(
            sa.Column(
                "request_ref",
                sa.String(40),
                nullable=True,
                comment="Reference of the rights request the job runs for",
            )
        )
        batch.add_column(
            sa.Column(
                "binding",
                sa.JSON(),
                nullable=True,
                comment="Datastore identities planned on (backend, host, database, schema; "
                "no secret) and the salt of the row digests",
            )
        )
    with op.batch_alter_table("job_steps") as batch:
        batch.add_column(
            sa.Column(
                "rows_skipped",
                sa.Integer(),
                nullable=False,
                server_default="0",
                comment="Planned rows left unchanged: they no longer matched the person",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("job_steps") as batch:
        batch.drop_column("rows_skipped")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("binding")
        batch.drop_column("request_ref")
