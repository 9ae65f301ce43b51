"""Scan live SQL stores: read each table's structure, sample it, classify every column.

Samples are read with a SQL LIMIT (`SAMPLE_ROWS` rows a table by default), classified in
memory and dropped: a scan result holds the live structure, counts and categories, never a
value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from lawful.connectors.base import Connector, ConnectorError
from lawful.connectors.registry import open_connector
from lawful.connectors.schema import LiveSchema, LiveTable
from lawful.datamap.models import Connection, DataMap
from lawful.discovery.classify import ColumnClass, classify_column
from lawful.discovery.context import in_context
from lawful.engine.live import schemas_named
from lawful.recognizers.analyzer import Analyzer

SAMPLE_ROWS = 200
URL_TYPES = {
    "sqlite": "sqlite",
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mariadb",
}


@dataclass(frozen=True)
class ScannedTable:
    """One live table, the rows sampled and each column's class (in the table's order)."""

    system: str
    table: LiveTable
    sampled_rows: int
    columns: dict[str, ColumnClass]


@dataclass(frozen=True)
class ScannedSystem:
    system: str
    connection: Connection
    schema: LiveSchema
    tables: list[ScannedTable]


Progress = Callable[[str, int], None]  # (system, its number of tables), once a table is done


def column_analyzer() -> Analyzer:
    """The analyzer for column values: a lone family name (0.4) counts in a column of names."""
    return Analyzer(min_score=0.4)


def sample_table(
    connector: Connector, table: LiveTable, *, rows: int, columns: Sequence[str] | None = None
) -> list[dict[str, object]]:
    """Up to `rows` rows of `table` (a SQL LIMIT, ordered by the first key column), with
    `columns` (default: all)."""
    if rows < 1 or not table.columns:
        return []
    key = table.primary_key[0] if table.primary_key else table.columns[0].name
    wanted = list(columns) if columns is not None else [c.name for c in table.columns]
    return connector.scan(table.name, key=key, columns=wanted, limit=rows)


def scan_connector(
    *,
    system: str,
    connector: Connector,
    connection: Connection,
    rows: int,
    analyzer: Analyzer,
    progress: Progress | None = None,
    schemas: tuple[str, ...] = (),
) -> ScannedSystem | None:
    """Scan every table of one store (None when the store cannot describe its structure)."""
    live = connector.schema(schemas=schemas)
    if live is None:
        return None
    tables = []
    for table in live.tables:
        sample = sample_table(connector, table, rows=rows)
        classes = {
            c.name: classify_column(
                c.name, c.type, [r.get(c.name) for r in sample], analyzer=analyzer
            )
            for c in table.columns
        }
        classes = in_context(table.name, classes, keys=_keys(table))
        sampled = len(sample)
        del sample  # never kept past classification
        tables.append(ScannedTable(system, table, sampled, classes))
        if progress is not None:
            progress(system, len(live.tables))
    return ScannedSystem(system, connection, live, tables)


def _keys(table: LiveTable) -> set[str]:
    return set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns}


def scan_systems(
    *,
    datamap: DataMap | None,
    url: str | None,
    base_dir: Path,
    environ: Mapping[str, str],
    url_env: str | None = None,
    rows: int = SAMPLE_ROWS,
    progress: Progress | None = None,
) -> list[ScannedSystem]:
    """Scan the map's SQL systems, or the one store whose URL the env var `url_env` holds.

    Raises ConnectorError naming the system when a store cannot be read.
    """
    analyzer = column_analyzer()
    targets = _targets(datamap, url, url_env)
    scanned = []
    for system, connection in targets.items():
        connector = open_connector(system, connection, base_dir=base_dir, environ=environ)
        try:
            connector.test_connection()
            found = scan_connector(
                schemas=tuple(schemas_named(datamap, system)) if datamap else (),
                system=system,
                connector=connector,
                connection=connection,
                rows=rows,
                analyzer=analyzer,
                progress=progress,
            )
        finally:
            connector.close()
        if found is not None:
            scanned.append(found)
    return scanned


def _targets(
    datamap: DataMap | None, url: str | None, url_env: str | None
) -> dict[str, Connection]:
    if url is not None and url_env is not None:
        scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
        if scheme not in URL_TYPES:
            raise ConnectorError(
                f"the URL in ${url_env} is not a database URL Lawful can scan (expected "
                "sqlite:///file.db, postgresql://…, mysql://… or mariadb://…)"
            )
        return {"scanned": Connection(type=URL_TYPES[scheme], url_env=url_env)}
    assert datamap is not None
    return {
        sid: system.connection
        for sid, system in datamap.systems.items()
        if system.connection is not None and system.connection.type in set(URL_TYPES.values())
    }
