"""The live structure of a SQL datastore, read from the database itself.

Keys (composite ones too), every foreign key with its ON DELETE action, NOT NULL, unique
constraints, indexes (column and expression ones) and whether each text column compares
case-sensitively. Plain frozen dataclasses: the engine and the checks compare them with the
data map; `lawful inspect` prints them.

Case sensitivity comes from the collation: MySQL/MariaDB `*_ci` collations ignore case;
PostgreSQL deterministic collations compare exactly (`citext` and nondeterministic
collations do not); SQLite compares exactly unless the column is `COLLATE NOCASE`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

RESTRICTING = frozenset({"RESTRICT", "NO ACTION"})


@dataclass(frozen=True)
class LiveColumn:
    """One column: `case_sensitive` is None for a column that holds no text."""

    name: str
    type: str
    nullable: bool
    max_length: int | None = None
    collation: str | None = None
    case_sensitive: bool | None = None


@dataclass(frozen=True)
class LiveForeignKey:
    """`columns` of this table hold values of `referred_columns` of `referred_table`."""

    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"
    name: str | None = None

    @property
    def restricts_delete(self) -> bool:
        """Whether the database refuses to delete a referred row while this one points at it."""
        return self.on_delete in RESTRICTING


@dataclass(frozen=True)
class IndexPart:
    """One entry of an index: a column name, or an expression such as `lower(email)`."""

    text: str
    expression: bool = False
    collation: str | None = None  # SQLite: the entry's collation when not BINARY

    def __str__(self) -> str:
        return f"{self.text} COLLATE {self.collation}" if self.collation else self.text


@dataclass(frozen=True)
class LiveIndex:
    name: str | None
    parts: tuple[IndexPart, ...]
    unique: bool = False


@dataclass(frozen=True)
class LiveTable:
    name: str
    columns: tuple[LiveColumn, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[LiveForeignKey, ...] = ()
    unique_constraints: tuple[tuple[str, ...], ...] = ()
    indexes: tuple[LiveIndex, ...] = ()

    def column(self, name: str) -> LiveColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    def is_unique(self, columns: Sequence[str]) -> bool:
        """Whether no two rows can share these columns' values (a key, a unique constraint
        or a unique column index among them)."""
        wanted = set(columns)
        keys = [self.primary_key, *self.unique_constraints]
        keys += [
            tuple(p.text for p in i.parts)
            for i in self.indexes
            if i.unique and not any(p.expression for p in i.parts)
        ]
        return any(key and set(key) <= wanted for key in keys)


@dataclass(frozen=True)
class LiveSchema:
    """The tables of one datastore (tables outside the default schema as `schema.table`)."""

    backend: str  # sqlite, postgresql, mysql or mariadb
    tables: tuple[LiveTable, ...]

    def table(self, name: str) -> LiveTable | None:
        return next((t for t in self.tables if t.name == name), None)

    def referrers(self, name: str) -> list[tuple[LiveTable, LiveForeignKey]]:
        """Every (table, foreign key) pointing at table `name`."""
        return [(t, fk) for t in self.tables for fk in t.foreign_keys if fk.referred_table == name]


def read_live_schema(conn: sa.Connection, *, schemas: Sequence[str] = ()) -> LiveSchema:
    """Read the default schema's tables, and those of the other `schemas` named."""
    backend = conn.dialect.name
    if backend == "sqlite":
        return LiveSchema(backend, tuple(_sqlite_tables(conn)))
    if backend in ("mysql", "mariadb"):
        backend = "mariadb" if getattr(conn.dialect, "is_mariadb", False) else "mysql"
    inspector = sa.inspect(conn)
    default = inspector.default_schema_name
    tables: list[LiveTable] = []
    with warnings.catch_warnings():
        # A type SQLAlchemy does not know is still a column: its name is all we need.
        warnings.simplefilter("ignore", sa_exc.SAWarning)
        for schema in dict.fromkeys([default, *schemas]):
            prefix = "" if schema == default else f"{schema}."
            tables += _server_tables(conn, inspector, schema, prefix, default)
    return LiveSchema(backend, tuple(tables))


# --- PostgreSQL and MySQL/MariaDB: SQLAlchemy's inspector, plus the catalogs ----------------


def _server_tables(
    conn: sa.Connection, inspector: sa.Inspector, schema: str | None, prefix: str, default: Any
) -> Iterator[LiveTable]:
    collations = _collations(conn, schema)
    on_delete = _mysql_delete_rules(conn, schema) if conn.dialect.name != "postgresql" else {}
    for name in inspector.get_table_names(schema=schema):
        columns = tuple(
            _server_column(conn, column, collations.get((name, column["name"])))
            for column in inspector.get_columns(name, schema=schema)
        )
        keys = tuple(
            LiveForeignKey(
                columns=tuple(fk["constrained_columns"]),
                referred_table=_qualified(fk["referred_schema"], fk["referred_table"], default),
                referred_columns=tuple(fk["referred_columns"]),
                on_delete=_rule(
                    on_delete.get((name, fk["name"] or "")) or fk["options"].get("ondelete")
                ),
                name=fk["name"],
            )
            for fk in inspector.get_foreign_keys(name, schema=schema)
        )
        yield LiveTable(
            name=f"{prefix}{name}",
            columns=columns,
            primary_key=tuple(
                inspector.get_pk_constraint(name, schema=schema)["constrained_columns"]
            ),
            foreign_keys=keys,
            unique_constraints=tuple(
                tuple(u["column_names"])
                for u in inspector.get_unique_constraints(name, schema=schema)
            ),
            indexes=tuple(_server_index(i) for i in inspector.get_indexes(name, schema=schema)),
        )


def _qualified(schema: str | None, table: str, default: Any) -> str:
    return table if schema in (None, default) else f"{schema}.{table}"


def _rule(action: str | None) -> str:
    return " ".join((action or "NO ACTION").upper().split())


def _server_column(
    conn: sa.Connection, column: Any, collation: tuple[str, bool] | None
) -> LiveColumn:
    kind = column["type"]
    text = isinstance(kind, sa.String)
    name, sensitive = collation if collation else (getattr(kind, "collation", None), True)
    if text and conn.dialect.name != "postgresql":
        sensitive = not (name or "").lower().endswith("_ci")
    if "CITEXT" in type(kind).__name__.upper():
        sensitive = False
    return LiveColumn(
        name=column["name"],
        type=_type_text(kind, conn.dialect),
        nullable=bool(column["nullable"]),
        max_length=getattr(kind, "length", None) if text else None,
        collation=name if text else None,
        case_sensitive=sensitive if text else None,
    )


def _type_text(kind: Any, dialect: sa.Dialect) -> str:
    try:
        return str(kind.compile(dialect=dialect))
    except sa_exc.SQLAlchemyError:
        return type(kind).__name__.upper()


def _collations(conn: sa.Connection, schema: str | None) -> dict[tuple[str, str], tuple[str, bool]]:
    """(table, column) → (collation name, compares case-sensitively), from the catalogs."""
    if conn.dialect.name == "postgresql":
        query = sa.text(
            "SELECT c.relname, a.attname, co.collname, co.collisdeterministic "
            "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_collation co ON co.oid = a.attcollation "
            "WHERE n.nspname = coalesce(:schema, current_schema()) AND a.attnum > 0 "
            "AND NOT a.attisdropped"
        )
        rows = conn.execute(query, {"schema": schema})
        return {(r[0], r[1]): (r[2], bool(r[3])) for r in rows}
    query = sa.text(
        "SELECT TABLE_NAME, COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS "
        "WHERE TABLE_SCHEMA = coalesce(:schema, DATABASE()) AND COLLATION_NAME IS NOT NULL"
    )
    rows = conn.execute(query, {"schema": schema})
    return {(r[0], r[1]): (r[2], not str(r[2]).lower().endswith("_ci")) for r in rows}


def _mysql_delete_rules(conn: sa.Connection, schema: str | None) -> dict[tuple[str, str], str]:
    """(table, constraint) → DELETE_RULE: MariaDB's SHOW CREATE TABLE omits RESTRICT."""
    query = sa.text(
        "SELECT TABLE_NAME, CONSTRAINT_NAME, DELETE_RULE "
        "FROM information_schema.REFERENTIAL_CONSTRAINTS "
        "WHERE CONSTRAINT_SCHEMA = coalesce(:schema, DATABASE())"
    )
    return {(r[0], r[1]): r[2] for r in conn.execute(query, {"schema": schema})}


def _server_index(index: Any) -> LiveIndex:
    expressions = index.get("expressions") or []
    parts = tuple(
        IndexPart(name)
        if name is not None
        else IndexPart(expressions[i] if i < len(expressions) else "?", expression=True)
        for i, name in enumerate(index["column_names"])
    )
    return LiveIndex(index["name"], parts, bool(index["unique"]))


# --- SQLite: the PRAGMAs (SQLAlchemy skips expression indexes and ON DELETE there) ----------

_LENGTH = re.compile(r"\(\s*(\d+)\s*\)")
_TEXT_AFFINITY = ("CHAR", "CLOB", "TEXT")  # SQLite's rule for TEXT affinity


def _sqlite_tables(conn: sa.Connection) -> Iterator[LiveTable]:
    masters = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    ).all()
    for name, sql in masters:
        quoted = conn.dialect.identifier_preparer.quote(name)
        info = conn.exec_driver_sql(f"PRAGMA table_xinfo({quoted})").all()
        columns = tuple(_sqlite_column(row, sql or "") for row in info if row[6] in (0, 2, 3))
        primary = tuple(row[1] for row in sorted((r for r in info if r[5]), key=lambda r: r[5]))
        indexes, uniques = _sqlite_indexes(conn, quoted)
        yield LiveTable(
            name=name,
            columns=columns,
            primary_key=primary,
            foreign_keys=tuple(_sqlite_foreign_keys(conn, quoted)),
            unique_constraints=uniques,
            indexes=indexes,
        )


def _sqlite_column(row: Any, table_sql: str) -> LiveColumn:
    _, name, declared, notnull, _, pk, _ = row
    declared = declared or ""
    text = any(word in declared.upper() for word in _TEXT_AFFINITY) or not declared
    length = _LENGTH.search(declared)
    collation = _sqlite_collation(table_sql, name) if text else None
    rowid = pk == 1 and declared.upper() == "INTEGER"  # an alias of the rowid: never NULL
    return LiveColumn(
        name=name,
        type=declared or "(none)",
        nullable=not notnull and not rowid,
        max_length=int(length.group(1)) if length and text else None,
        collation=collation,
        case_sensitive=(collation or "BINARY").upper() != "NOCASE" if text else None,
    )


def _sqlite_collation(table_sql: str, column: str) -> str | None:
    """The COLLATE clause of a column's definition in its CREATE TABLE text, if any."""
    name = re.escape(column)
    found = re.search(
        rf"(?:\(|,)\s*(?:\"{name}\"|`{name}`|\[{name}\]|{name})\s[^,]*?\bCOLLATE\s+\"?(\w+)",
        table_sql,
        re.IGNORECASE,
    )
    return found.group(1).upper() if found else None


def _sqlite_foreign_keys(conn: sa.Connection, quoted: str) -> Iterator[LiveForeignKey]:
    rows = conn.exec_driver_sql(f"PRAGMA foreign_key_list({quoted})").all()
    for key in sorted({row[0] for row in rows}):
        pairs = sorted((r for r in rows if r[0] == key), key=lambda r: r[1])
        target = pairs[0][2]
        referred = tuple(r[4] for r in pairs)
        if any(column is None for column in referred):  # `REFERENCES t` names t's primary key
            info = conn.exec_driver_sql(
                f"PRAGMA table_info({conn.dialect.identifier_preparer.quote(target)})"
            ).all()
            referred = tuple(r[1] for r in sorted((r for r in info if r[5]), key=lambda r: r[5]))
        yield LiveForeignKey(
            columns=tuple(r[3] for r in pairs),
            referred_table=target,
            referred_columns=referred,
            on_delete=_rule(pairs[0][6]),
        )


def _sqlite_indexes(
    conn: sa.Connection, quoted: str
) -> tuple[tuple[LiveIndex, ...], tuple[tuple[str, ...], ...]]:
    indexes: list[LiveIndex] = []
    uniques: list[tuple[str, ...]] = []
    for _, name, unique, origin, _ in conn.exec_driver_sql(f"PRAGMA index_list({quoted})"):
        index_quoted = conn.dialect.identifier_preparer.quote(name)
        entries = [r for r in conn.exec_driver_sql(f"PRAGMA index_xinfo({index_quoted})") if r[5]]
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
        ).scalar()
        texts = _index_expressions(sql or "")
        parts = tuple(
            IndexPart(
                texts[i] if r[1] == -2 and i < len(texts) else (r[2] or "rowid"),
                expression=r[1] == -2,
                collation=None if (r[4] or "BINARY").upper() == "BINARY" else r[4].upper(),
            )
            for i, r in enumerate(entries)
        )
        indexes.append(LiveIndex(name, parts, bool(unique)))
        if origin == "u":
            uniques.append(tuple(p.text for p in parts))
    return tuple(indexes), tuple(uniques)


def _index_expressions(sql: str) -> list[str]:
    """The entries of `CREATE INDEX … ON t (a, lower(b), …)`, as written (no ASC/COLLATE)."""
    start = sql.find("(")
    if start < 0:
        return []
    depth, current, parts = 0, "", []
    for char in sql[start + 1 :]:
        if char == "(":
            depth += 1
        elif char == ")" and depth == 0:
            break
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [
        re.split(r"\s+(?:COLLATE|ASC|DESC)\b", p.strip(), flags=re.IGNORECASE)[0] for p in parts
    ]
