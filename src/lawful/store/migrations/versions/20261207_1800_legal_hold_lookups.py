"""Legal holds looked up by the database: one row per held identity value and per held
dataset, indexed, so erasure asks which active hold names a person or a dataset with one
bounded query instead of loading every hold (issue 19). Existing holds are copied over.

Revision ID: 8c3e1b7d2f90
Revises: 42501212f534
Created: 2026-12-07 18:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c3e1b7d2f90"
down_revision: str | None = "42501212f534"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_people = sa.table(
    "legal_hold_people",
    sa.column("id", sa.Integer()),
    sa.column("value_indexes", sa.JSON()),
)
_holds = sa.table("legal_holds", sa.column("id", sa.String()), sa.column("datasets", sa.JSON()))


def upgrade() -> None:
    values = op.create_table(
        "legal_hold_values",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "value_index", sa.String(64), nullable=False, comment="HMAC of one value (type=value)"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["legal_hold_people.id"],
            name=op.f("fk_legal_hold_values_person_id_legal_hold_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold_values")),
    )
    op.create_index(op.f("ix_legal_hold_values_person_id"), "legal_hold_values", ["person_id"])
    op.create_index("ix_legal_hold_values_value_index", "legal_hold_values", ["value_index"])
    datasets = op.create_table(
        "legal_hold_datasets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hold_id", sa.String(32), nullable=False),
        sa.Column("dataset", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["hold_id"],
            ["legal_holds.id"],
            name=op.f("fk_legal_hold_datasets_hold_id_legal_holds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_hold_datasets")),
    )
    op.create_index(op.f("ix_legal_hold_datasets_hold_id"), "legal_hold_datasets", ["hold_id"])
    op.create_index("ix_legal_hold_datasets_dataset", "legal_hold_datasets", ["dataset"])
    bind = op.get_bind()
    held_values = [
        {"person_id": person_id, "value_index": value}
        for person_id, indexes in bind.execute(sa.select(_people.c.id, _people.c.value_indexes))
        for value in dict.fromkeys(indexes or [])
    ]
    if held_values:
        op.bulk_insert(values, held_values)
    held_datasets = [
        {"hold_id": hold_id, "dataset": dataset}
        for hold_id, names in bind.execute(sa.select(_holds.c.id, _holds.c.datasets))
        for dataset in dict.fromkeys(names or [])
    ]
    if held_datasets:
        op.bulk_insert(datasets, held_datasets)


def downgrade() -> None:
    op.drop_index("ix_legal_hold_datasets_dataset", table_name="legal_hold_datasets")
    op.drop_index(op.f("ix_legal_hold_datasets_hold_id"), table_name="legal_hold_datasets")
    op.drop_table("legal_hold_datasets")
    op.drop_index("ix_legal_hold_values_value_index", table_name="legal_hold_values")
    op.drop_index(op.f("ix_legal_hold_values_person_id"), table_name="legal_hold_values")
    op.drop_table("legal_hold_values")
