"""The indexes a person look-up needs beyond the demo's plain ones.

The engine matches an email identity as `lower(trim(email))` (connectors/sql/), which only
an index on that very expression serves (SQLite, PostgreSQL). The statements come from the
map's email identities and from `create_index`, the helper whose statement `lawful check
--live` prints with D012, so the demo and the check never disagree.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path

from lawful.connectors.schema import LiveColumn
from lawful.datamap.models import DataMap
from lawful.engine.live_rules import create_index


def identity_indexes(
    datamap: DataMap, *, backend: str, schemas: bool = False
) -> dict[str, list[str]]:
    """System id → a `CREATE INDEX IF NOT EXISTS` per email identity column of its datasets;
    with `schemas`, each table is named in its system's schema (`crm.contacts`)."""
    statements: dict[str, list[str]] = {}
    for did, dataset in datamap.datasets.items():
        table = dataset.table or did
        named = f"{dataset.system}.{table}" if schemas else table
        for kind, columns in dataset.identity_fields().items():
            if "email" not in kind:
                continue
            for name in columns:
                column = LiveColumn(name, "TEXT", nullable=True, case_sensitive=True)
                statements.setdefault(dataset.system, []).append(
                    create_index(backend, named, column, if_missing=True)
                )
    return statements


def add_identity_indexes(datamap: DataMap, *, files: Mapping[str, Path]) -> None:
    """Create the missing identity indexes in each system's SQLite file (system id → file);
    indexes already there are left as they are, so this can run on every start."""
    statements = identity_indexes(datamap, backend="sqlite")
    for system, path in files.items():
        with closing(sqlite3.connect(path)) as conn:
            for statement in statements.get(system, []):
                conn.execute(statement)
            conn.commit()
