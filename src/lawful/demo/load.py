"""Put the example company on a database server: copy the generated SQLite files into
PostgreSQL or MariaDB, and point the map's systems at them.

SQLite keeps dates as ISO 8601 text; a real system has typed columns. A text column whose
every value is a date (`2026-11-01`) becomes DATE, one whose every value is a date-time
(`2026-11-01 14:05:09`) becomes TIMESTAMP, and their values are converted; indexed text
becomes VARCHAR(255) (MariaDB cannot index TEXT), other text stays TEXT.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from lawful.connectors.sql import expression_indexes_skipped
from lawful.datamap.models import Connection, DataMap

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}")
BATCH = 5000
DRIVERS = {"postgresql": "postgresql+psycopg", "mariadb": "mysql+pymysql", "mysql": "mysql+pymysql"}


def sqlite_systems(datamap: DataMap) -> dict[str, str]:
    """System id → SQLite file name, for every system of the map kept in a SQLite file."""
    return {
        sid: system.connection.path
        for sid, system in datamap.systems.items()
        if system.connection is not None
        and system.connection.type == "sqlite"
        and system.connection.path
    }


def copy_sqlite(
    source: Path, target: sa.Engine, *, keep_tables: bool = False, indexes: Sequence[str] = ()
) -> dict[str, int]:
    """Every table and row of a SQLite file into `target`, dates typed, its column indexes,
    then the statements in `indexes` (the identity indexes, `demo/indexes.py`). Tables of
    the same names are replaced, or with `keep_tables` (a copy made before) emptied and
    refilled, which is much faster on a server. Returns the rows copied per table."""
    reader = sa.create_engine(f"sqlite:///{source}", hide_parameters=True)
    try:
        meta = sa.MetaData()
        with expression_indexes_skipped():
            meta.reflect(reader)
        with reader.connect() as conn:
            kinds = {t.name: _column_kinds(conn, t) for t in meta.sorted_tables}
        typed = _typed_metadata(meta, kinds)
        if keep_tables and set(typed.tables) <= set(sa.inspect(target).get_table_names()):
            with target.begin() as conn:
                for table in reversed(typed.sorted_tables):
                    conn.execute(table.delete())
        else:
            typed.drop_all(target)
            typed.create_all(target)
        with reader.connect() as source_conn, target.begin() as target_conn:
            copied = {
                table.name: _copy_rows(
                    source_conn, target_conn, table, typed.tables[table.name], kinds[table.name]
                )
                for table in meta.sorted_tables
            }
            for statement in indexes:
                target_conn.exec_driver_sql(statement)
            return copied
    finally:
        reader.dispose()


def _column_kinds(conn: sa.Connection, table: sa.Table) -> dict[str, str]:
    """`date`, `datetime` or `text` for each text column, from all its values."""
    kinds: dict[str, str] = {}
    for column in table.columns:
        if not isinstance(column.type, sa.String):
            continue
        values = [v for v in conn.execute(sa.select(column)).scalars() if v is not None]
        kinds[column.name] = _kind_of(values)
    return kinds


def _kind_of(values: Sequence[Any]) -> str:
    if values and all(isinstance(v, str) and _DAY.fullmatch(v) for v in values):
        return "date"
    if values and all(isinstance(v, str) and _MOMENT.fullmatch(v) for v in values):
        return "datetime"
    return "text"


def _typed_metadata(meta: sa.MetaData, kinds: Mapping[str, Mapping[str, str]]) -> sa.MetaData:
    typed = sa.MetaData()
    for table in meta.sorted_tables:
        indexed = {c.name for index in table.indexes for c in index.columns}
        columns = [
            sa.Column(
                c.name,
                _server_type(c, kinds[table.name].get(c.name), c.name in indexed),
                primary_key=c.primary_key,
                autoincrement=False,
                nullable=c.nullable,
            )
            for c in table.columns
        ]
        copy = sa.Table(table.name, typed, *columns)
        for index in table.indexes:
            sa.Index(index.name, *(copy.c[c.name] for c in index.columns))
    return typed


def _server_type(column: sa.Column[Any], kind: str | None, indexed: bool) -> Any:
    if kind == "date":
        return sa.Date()
    if kind == "datetime":
        return sa.DateTime()
    if kind == "text":
        return sa.String(255) if indexed else sa.Text()
    return column.type


def _copy_rows(
    source: sa.Connection,
    target: sa.Connection,
    table: sa.Table,
    typed: sa.Table,
    kinds: Mapping[str, str],
) -> int:
    copied = 0
    for batch in _batches(source.execute(table.select()).mappings()):
        rows = [
            {name: _converted(value, kinds.get(name)) for name, value in row.items()}
            for row in batch
        ]
        target.execute(typed.insert(), rows)
        copied += len(rows)
    return copied


def _batches(rows: Iterator[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _converted(value: Any, kind: str | None) -> Any:
    if value is None or kind not in {"date", "datetime"}:
        return value
    return date.fromisoformat(value) if kind == "date" else datetime.fromisoformat(value)


def on_servers(
    datamap: DataMap, *, kind: str, urls: Mapping[str, str]
) -> tuple[DataMap, dict[str, str]]:
    """The map with each system in `urls` reached at its URL (through an env var named
    `<SYSTEM>_URL`, as a map would), and the environment that holds the URLs."""
    systems = {
        sid: system.model_copy(
            update={"connection": Connection(type=kind, url_env=f"{sid.upper()}_URL")}
        )
        if sid in urls
        else system
        for sid, system in datamap.systems.items()
    }
    environ = {f"{sid.upper()}_URL": url for sid, url in urls.items()}
    return datamap.model_copy(update={"systems": systems}), environ


def engine_url(url: str) -> str:
    """A user's `postgresql://…` or `mysql://…` URL with the driver Lawful uses."""
    scheme, sep, rest = url.partition("://")
    return f"{DRIVERS.get(scheme, scheme)}{sep}{rest}"
