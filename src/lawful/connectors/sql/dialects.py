"""What differs by database (opening it, matching a set of values, case folding, which errors
are permanent): SQLite, PostgreSQL (psycopg 3) and MySQL/MariaDB (PyMySQL)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc

from lawful.connectors.base import ConnectorError
from lawful.connectors.sql.base import SQLConnector


class SQLiteConnector(SQLConnector):
    """A SQLite file: `path` in the connection, or a `sqlite:///file.db` URL from `url_env`."""

    label = "SQLite"
    backends = frozenset({"sqlite"})
    driver = "sqlite+pysqlite"

    def _create_engine(self) -> sa.Engine:
        self._file = self._database_file()
        uri = f"file:{quote(str(self._file))}?mode=rw"  # never create a missing file
        timeout = self.options.connect_timeout

        def connect() -> sqlite3.Connection:
            # isolation_level=None: SQLAlchemy emits BEGIN itself (below), so reads and writes
            # inside a transaction really are one transaction (the sqlite3 default is not).
            conn = sqlite3.connect(
                uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            # SQLite enforces the foreign keys a schema declares only when asked, per
            # connection: an erasure must never leave a row pointing at nothing.
            conn.execute("PRAGMA foreign_keys = ON")
            return conn

        engine = sa.create_engine(
            "sqlite+pysqlite://", creator=connect, poolclass=sa.QueuePool, hide_parameters=True
        )
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
        return engine

    def _database_file(self) -> Path:
        if self.spec.path is not None:
            return self.spec.path
        database = self._url().database
        if not database or database == ":memory:":
            raise ConnectorError(
                "a SQLite system needs a database file: set `path` (or a sqlite:///file.db URL)",
                system=self.spec.system,
            )
        return Path(database)

    def _location(self) -> str:
        return f"SQLite file {self._file}"

    def _permanent(self, orig: BaseException) -> bool:
        text = str(orig).lower()
        return "locked" not in text and "busy" not in text

    def _translate(self, err: sa_exc.DBAPIError, table: str) -> ConnectorError:
        if "unable to open database file" in str(err.orig):
            return self._error(
                f"the SQLite file {self._file} does not exist or cannot be opened "
                "(check `path` in the system's connection)",
                table,
            )
        return super()._translate(err, table)


class PostgreSQLConnector(SQLConnector):
    """PostgreSQL through psycopg 3, whatever driver the URL names."""

    label = "PostgreSQL"
    backends = frozenset({"postgresql", "postgres"})
    driver = "postgresql+psycopg"

    def read_view(self) -> AbstractContextManager[None]:
        """At PostgreSQL's READ COMMITTED (its default) each statement sees its own snapshot,
        inside a transaction or not: the reads share one connection in autocommit, without
        the BEGIN and COMMIT (two round trips per system and request) that bought nothing.
        A database whose default isolation is stricter keeps its transaction."""
        if self._conn is not None or self._isolation() != "READ COMMITTED":
            return super().read_view()
        return self._autocommit()

    @contextmanager
    def _autocommit(self) -> Iterator[None]:
        with self._errors(""), self._engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            self._conn = conn
            try:
                yield
            finally:
                self._conn = None

    def _isolation(self) -> str:
        dialect = self._engine.dialect
        if getattr(dialect, "default_isolation_level", None) is None:  # read on first connect
            with self._errors(""), self._engine.connect():
                pass
        return str(getattr(dialect, "default_isolation_level", None))

    def _member(self, column: sa.Column[Any], values: Sequence[Any]) -> sa.ColumnElement[bool]:
        """`column = ANY(array)`: one parameter for the whole batch. The same plan as an IN
        list, without a query text of thousands of placeholders to build and parse (a
        retention sweep deleting 5,000 keys a statement spent most of its time there)."""
        from sqlalchemy.dialects import postgresql  # loaded by the engine already; not for SQLite

        kind = column.type
        if not isinstance(kind, sa.Integer | sa.String):
            return super()._member(column, values)
        array = sa.bindparam(None, list(values), type_=postgresql.ARRAY(kind), expanding=False)
        return column == sa.any_(array)

    def _permanent(self, orig: BaseException) -> bool:
        sqlstate = getattr(orig, "sqlstate", None)
        if isinstance(sqlstate, str):
            # Class 28: bad credentials; 3D: no such database; 42: no privilege.
            return sqlstate[:2] in {"28", "3D", "42"}
        text = str(orig)
        return any(
            sign in text
            for sign in ("does not exist", "authentication failed", "pg_hba.conf", "denied")
        )


class MySQLConnector(SQLConnector):
    """MySQL or MariaDB through PyMySQL."""

    label = "MySQL/MariaDB"
    backends = frozenset({"mysql", "mariadb"})
    driver = "mysql+pymysql"
    # Access denied (1044, 1045, 1698), unknown database (1049), command denied (1142).
    PERMANENT_CODES: ClassVar[frozenset[int]] = frozenset({1044, 1045, 1049, 1142, 1698})

    def _permanent(self, orig: BaseException) -> bool:
        code = orig.args[0] if orig.args else None
        return isinstance(code, int) and code in self.PERMANENT_CODES

    def _folded(
        self, conn: sa.Connection, t: sa.Table, column: sa.Column[Any]
    ) -> sa.ColumnElement[Any] | None:
        """A column under a case-insensitive collation (`*_ci`, MySQL's and MariaDB's
        default) already compares case-blind, and ignores trailing spaces: compared as it
        is, so its index serves (MariaDB has no index on an expression). Otherwise
        `lower(trim(column))`, which no index serves."""
        found = self._collations.get((t.fullname, column.name))
        if found is None:
            query = sa.text(
                "SELECT collation_name FROM information_schema.columns WHERE "
                "table_schema = COALESCE(:schema, DATABASE()) AND table_name = :table "
                "AND column_name = :column"
            )
            params = {"schema": t.schema, "table": t.name, "column": column.name}
            found = str(conn.execute(query, params).scalar() or "")
            self._collations[(t.fullname, column.name)] = found
        return None if found.endswith("_ci") else super()._folded(conn, t, column)

    def _describe(self, orig: BaseException) -> str:
        if len(orig.args) == 2 and isinstance(orig.args[0], int):  # PyMySQL: (code, message)
            return f"{orig.args[1]} (error {orig.args[0]})"
        return super()._describe(orig)
