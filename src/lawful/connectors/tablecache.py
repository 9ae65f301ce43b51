"""Table definitions kept between runs, so a short command does not reflect every table again.

One JSON file per datastore in the platform's data folder, holding the tables' columns (name,
type, NULL, key) and the fingerprint of the live schema they were read under. The
fingerprint is one cheap query of the database's catalog (SQLite: the `CREATE` statements in
`sqlite_master`; PostgreSQL: every column's name, type, NULL, collation and every primary
key); when it differs from the file's, the file is dropped and tables are reflected afresh.
A type is kept only if it is rebuilt exactly (its `repr` round-trips through the dialect's
own type classes); a table with any other type is simply reflected each time. MySQL and
MariaDB have no fingerprint here: their tables are always reflected.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import json
import os
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

_TYPE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\((.*)\)\Z", re.DOTALL)

_SQLITE = "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY 1, 2, 3"
_POSTGRESQL = """
    SELECT n.nspname, c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
           a.attnotnull, coalesce(co.collname, ''),
           coalesce((SELECT array_to_string(p.conkey, ',') FROM pg_constraint p
                      WHERE p.conrelid = c.oid AND p.contype = 'p'), '')
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_collation co ON co.oid = a.attcollation
     WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND left(n.nspname, 8) <> 'pg_toast'
     ORDER BY 1, 2, 3
"""


def schema_fingerprint(conn: sa.Connection) -> str | None:
    """A digest of the live schema's tables and columns, or None for a database without one."""
    sql = {"sqlite": _SQLITE, "postgresql": _POSTGRESQL}.get(conn.dialect.name)
    if sql is None:
        return None
    digest = hashlib.sha256()
    for row in conn.exec_driver_sql(sql):
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


class TableCache:
    """The tables of one datastore, as described in `path` under `fingerprint`."""

    def __init__(self, path: Path, *, fingerprint: str, dialect: sa.Dialect) -> None:
        self.path, self.fingerprint = path, fingerprint
        self._types = _type_namespaces(dialect)
        self._tables: dict[str, dict[str, Any]] = self._read()
        self._changed = False

    def get(self, name: str) -> sa.Table | None:
        """The cached table, or None when it is not cached or cannot be rebuilt exactly."""
        described = self._tables.get(name)
        return None if described is None else _table(name, described, self._types)

    def put(self, name: str, table: sa.Table) -> None:
        described = _described(table)
        if _table(name, described, self._types) is not None:  # every type rebuilds exactly
            self._tables[name] = described
            self._changed = True

    def save(self) -> None:
        """Write the file if a table was added (owner-only, replaced in one rename)."""
        if not self._changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        document = {"fingerprint": self.fingerprint, "tables": self._tables}
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        partial.replace(self.path)
        self._changed = False

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict) or document.get("fingerprint") != self.fingerprint:
            return {}  # the schema changed since (or the file is not ours): start afresh
        tables = document.get("tables")
        return tables if isinstance(tables, dict) else {}


def _type_namespaces(dialect: sa.Dialect) -> list[Any]:
    """Where a reflected type's class is found: the dialect's module, then the generic types."""
    return [importlib.import_module(type(dialect).__module__), sa.types]


def _described(table: sa.Table) -> dict[str, Any]:
    return {
        "columns": [
            {"name": c.name, "type": repr(c.type), "nullable": bool(c.nullable)}
            for c in table.columns
        ],
        "primary_key": [c.name for c in table.primary_key.columns],
    }


def _table(name: str, described: dict[str, Any], types: list[Any]) -> sa.Table | None:
    schema, _, bare = name.rpartition(".")
    try:
        columns = [
            sa.Column(c["name"], _type(c["type"], types), nullable=c["nullable"])
            for c in described["columns"]
        ]
        key = sa.PrimaryKeyConstraint(*described["primary_key"])
        return sa.Table(bare, sa.MetaData(), *columns, key, schema=schema or None)
    except (KeyError, TypeError, ValueError, SyntaxError, sa.exc.ArgumentError):
        return None  # not a description this version wrote: the table is reflected


def _type(text: str, types: list[Any]) -> Any:
    """The type whose `repr` is `text`, e.g. `VARCHAR(length=100)`; ValueError if it cannot be
    rebuilt from literal arguments into exactly that."""
    match = _TYPE.match(text)
    if match is None:
        raise ValueError(text)
    found = next((getattr(m, match[1]) for m in types if hasattr(m, match[1])), None)
    if not (isinstance(found, type) and issubclass(found, sa.types.TypeEngine)):
        raise ValueError(text)
    call = ast.parse(f"f({match[2]})", mode="eval").body
    assert isinstance(call, ast.Call)
    args = [ast.literal_eval(a) for a in call.args]
    kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg is not None}
    rebuilt = found(*args, **kwargs)
    if repr(rebuilt) != text:
        raise ValueError(text)
    return rebuilt
