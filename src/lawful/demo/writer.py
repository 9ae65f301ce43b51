"""Bulk loading into fresh SQLite files: batched `executemany`, no journal, indexes last."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Protocol

from lawful.demo.schema import SYSTEMS, Table, database_file

Row = tuple[object, ...]
TableKey = tuple[str, str]  # (system, table)
BATCH = 10_000


class Reporter(Protocol):
    """Told how many rows were written, batch by batch (drives the progress bars)."""

    def advance(self, system: str, table: str, rows: int) -> None: ...


def partial_path(out_dir: Path, system: str) -> Path:
    """Where a database is built before it replaces the finished file in one rename."""
    return out_dir / f".{database_file(system)}.partial"


class DatabaseWriter:
    """Writes the tables of some systems, each into its own new SQLite file.

    Generators append rows to the lists `rows()` returns and call `flush()` now and then;
    `close()` writes the rest, builds the indexes and returns the row count per table.
    """

    def __init__(self, *, out_dir: Path, systems: tuple[str, ...], reporter: Reporter) -> None:
        self._reporter = reporter
        self._connections: dict[str, sqlite3.Connection] = {}
        self._tables: dict[TableKey, Table] = {}
        self._buffers: dict[TableKey, list[Row]] = {}
        self._counts: dict[TableKey, int] = {}
        for system in systems:
            self._connections[system] = _open_fresh(partial_path(out_dir, system))
            for table in SYSTEMS[system]:
                self._connections[system].execute(table.create_sql())
                key = (system, table.name)
                self._tables[key] = table
                self._buffers[key] = []
                self._counts[key] = 0

    def rows(self, system: str, table: str) -> list[Row]:
        """The buffer of a table: append rows in column order; the list object never changes."""
        return self._buffers[(system, table)]

    def flush(self, *, everything: bool = False) -> None:
        for key, buffer in self._buffers.items():
            if buffer and (everything or len(buffer) >= BATCH):
                self._write(key, buffer)

    def close(self) -> dict[TableKey, int]:
        self.flush(everything=True)
        for (system, _), table in self._tables.items():
            for statement in table.index_sql():
                self._connections[system].execute(statement)
        for connection in self._connections.values():
            connection.execute("COMMIT")
            connection.close()
        return dict(self._counts)

    def abort(self) -> None:
        for connection in self._connections.values():
            connection.close()

    def _write(self, key: TableKey, buffer: list[Row]) -> None:
        system, name = key
        self._connections[system].executemany(self._tables[key].insert_sql(), buffer)
        self._counts[key] += len(buffer)
        self._reporter.advance(system, name, len(buffer))
        buffer.clear()


def _open_fresh(path: Path) -> sqlite3.Connection:
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    # A database being built needs no crash safety: a failed run leaves a partial file
    # that is never renamed into place.
    for pragma in (
        "journal_mode = OFF",
        "synchronous = OFF",
        "locking_mode = EXCLUSIVE",
        "temp_store = MEMORY",
        "cache_size = -65536",
    ):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute("BEGIN")
    return connection
