"""The SQL connector common to every database (SQLAlchemy Core); the dialects are in
`dialects.py`, the conversion of values to bound parameters in `values.py`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from lawful.connectors.base import (
    Before,
    ConnectionSpec,
    ConnectorError,
    Key,
    ParentDate,
    Referrer,
    Row,
    batched,
    key_columns,
    key_parts,
    parse_options,
)
from lawful.connectors.match import Match
from lawful.connectors.schema import LiveSchema, read_live_schema
from lawful.connectors.sql.match import match_clause
from lawful.connectors.sql.options import SQLOptions
from lawful.connectors.sql.reflection import expression_indexes_skipped
from lawful.connectors.sql.values import (
    NO_MATCH,
    bind_tuples,
    bind_value,
    bind_values,
    bounded_count,
    cutoff_for,
    equal,
    foreign_keys,
    group_by_columns,
    keys_after,
    row_identity,
    unique,
)
from lawful.connectors.tablecache import TableCache, schema_fingerprint

UNION_BATCH = 100  # values per `count_at_most` statement (SQLite allows 500 UNION terms)


class SQLConnector:
    """A database reached through SQLAlchemy Core. Subclasses fix the dialect and driver."""

    label: ClassVar[str] = "SQL"
    atomic: ClassVar[bool] = True  # `transaction()` commits or rolls back as one
    backends: ClassVar[frozenset[str]] = frozenset()
    driver: ClassVar[str] = ""

    def __init__(self, spec: ConnectionSpec) -> None:
        self.spec = spec
        self.options = parse_options(SQLOptions, spec)
        self._tables: dict[str, sa.Table] = {}
        self._collations: dict[tuple[str, str], str] = {}  # (table, column) → collation
        self._referrers: dict[str, dict[str, list[Referrer]]] = {}  # schema → table → FKs
        self._conn: sa.Connection | None = None
        self._engine = self._create_engine()
        self._kept: TableCache | None = None  # table definitions from earlier runs

    # -- the Connector protocol ------------------------------------------------------------

    def test_connection(self) -> None:
        """Connect and run `SELECT 1` (checks the server, the database and the credentials)."""
        with self._session("") as conn:
            conn.execute(sa.select(sa.literal(1)))

    def fetch(
        self,
        table: str,
        *,
        where: Mapping[str, Sequence[Any]],
        columns: Sequence[str],
        casefold: Collection[str] = (),
    ) -> list[Row]:
        """Rows where any `field IN values`, each row once, with the requested columns;
        fields in `casefold` are compared as `lower(trim(field))` (see `_folded`).

        Rows are told apart by the primary key; in a table without one, identical rows
        matched through different fields are returned once.
        """
        with self._session(table) as conn:
            t = self._table(conn, table)
            return self._matching(conn, t, where, unique(columns), casefold=casefold)

    def fetch_whole(
        self, table: str, *, columns: Sequence[str], values: Sequence[Any], wanted: Sequence[str]
    ) -> list[Row]:
        """Rows whose `columns` hold one of the tuples `values` together: `(a = x AND b = y)
        OR …`, one statement per batch (the index on the leading column serves it), so a
        composite value is never found by its first column alone (a whole tenant's rows)."""
        with self._session(table) as conn:
            t = self._table(conn, table)
            cols = [self._column(t, name) for name in columns]
            selected = [self._column(t, name) for name in unique([*columns, *wanted])]
            found: list[Row] = []
            for batch in batched(bind_tuples(cols, values), UNION_BATCH):
                match = sa.or_(*(equal(cols, key) for key in batch))
                found += [dict(r._mapping) for r in conn.execute(sa.select(*selected).where(match))]
            return found

    def update(self, table: str, *, key: Key, rows: Sequence[Row]) -> int:
        """Set each row's non-key columns where its key columns match; returns the rows matched."""
        names = key_columns(key)
        if any(name not in row for row in rows for name in names):
            raise self._error(f"every row to update needs its key ({', '.join(names)})", table)
        with self._session(table) as conn:
            t = self._table(conn, table)
            key_cols = [self._column(t, name) for name in names]
            return sum(
                self._update_group(conn, t, key_cols, columns, group)
                for columns, group in group_by_columns(rows, names).items()
            )

    def delete(self, table: str, *, key: Key, keys: Sequence[Any]) -> int:
        """Delete the rows whose key is in `keys`, in batches; returns the rows deleted."""
        names = key_columns(key)
        with self._session(table) as conn:
            t = self._table(conn, table)
            key_cols = [self._column(t, name) for name in names]
            single = len(key_cols) == 1
            values = bind_values(key_cols[0], keys) if single else bind_tuples(key_cols, keys)
            deleted = 0
            for batch in batched(values, self.options.batch_size):
                member = (
                    self._member(key_cols[0], batch) if single else sa.tuple_(*key_cols).in_(batch)
                )
                deleted += conn.execute(sa.delete(t).where(member)).rowcount
            return deleted

    def count(
        self,
        table: str,
        *,
        where: Mapping[str, Sequence[Any]] | None = None,
        before: Before | None = None,
        match: Match | None = None,
    ) -> int:
        """Count all rows, or the rows `fetch` would return for `where`; with `before`, only
        those dated before the cutoff, with `match` those it selects (counted by the database)."""
        with self._session(table) as conn:
            t = self._table(conn, table)
            dated = self._filters(conn, t, before, match)
            if where is None:
                query = sa.select(sa.func.count()).select_from(t).where(*dated)
                return int(conn.execute(query).scalar_one())
            conditions = self._conditions(t, where)
            if len(conditions) <= 1:
                where_clause = [cond for _, cond in conditions] or [sa.false()]
                query = sa.select(sa.func.count()).select_from(t).where(*where_clause, *dated)
                return int(conn.execute(query).scalar_one())
            # Across batches a row may match twice (several fields; MySQL's case-blind
            # collations), so count the distinct rows.
            identity = [c.name for c in t.primary_key.columns] or list(t.columns.keys())
            return len(self._matching(conn, t, where, identity, extra=dated))

    def scan(
        self,
        table: str,
        *,
        key: Key,
        columns: Sequence[str],
        after: Any = None,
        limit: int = 1000,
        before: Before | None = None,
        match: Match | None = None,
    ) -> list[Row]:
        """Up to `limit` rows with `key > after`, ordered by `key` (always among the columns);
        with `before`, only rows dated before the cutoff, with `match` only the rows it selects
        (both filtered by the database).

        `key` must be unique (use the primary key; a tuple of columns for a composite one,
        ordered column by column); rows with a NULL in the key are never returned.
        """
        if limit < 1:
            raise self._error("scan needs a limit of at least 1", table)
        names = key_columns(key)
        with self._session(table) as conn:
            t = self._table(conn, table)
            key_cols = [self._column(t, name) for name in names]
            selected = [self._column(t, name) for name in unique([*names, *columns])]
            query = sa.select(*selected).where(*(c.is_not(None) for c in key_cols))
            query = query.where(*self._filters(conn, t, before, match))
            if after is not None:
                starts = [
                    bind_value(c, v) for c, v in zip(key_cols, key_parts(after, names), strict=True)
                ]
                if any(start is NO_MATCH for start in starts):
                    return []
                query = query.where(keys_after(key_cols, starts))
            result = conn.execute(query.order_by(*key_cols).limit(limit))
            return [dict(row._mapping) for row in result]

    def count_by(
        self, table: str, *, columns: Sequence[str], values: Sequence[Any]
    ) -> dict[Any, int]:
        """Rows per value of `columns`: `SELECT cols, count(*) … WHERE cols IN (batch)
        GROUP BY cols`, one statement per batch (an index on the columns serves it)."""
        with self._session(table) as conn:
            t = self._table(conn, table)
            cols = [self._column(t, name) for name in columns]
            single = len(cols) == 1
            bound = bind_values(cols[0], values) if single else bind_tuples(cols, values)
            found: dict[Any, int] = {}
            for batch in batched(bound, self.options.batch_size):
                member = self._member(cols[0], batch) if single else sa.tuple_(*cols).in_(batch)
                query = sa.select(*cols, sa.func.count()).where(member).group_by(*cols)
                for row in conn.execute(query):
                    found[row[0] if single else tuple(row[:-1])] = int(row[-1])
            return found

    def count_at_most(
        self, table: str, *, columns: Sequence[str], values: Sequence[Any], at_most: int
    ) -> dict[Any, int]:
        """`count_by` with each count stopping at `at_most`: per value, `SELECT count(*) FROM
        (SELECT 1 … WHERE cols = value LIMIT at_most)`, the values of a batch joined by
        UNION ALL in one statement. A value a million rows hold costs what one held by
        `at_most` rows does (the index on the columns finds the first few)."""
        if at_most < 1:
            raise self._error("count_at_most needs a bound of at least 1", table)
        with self._session(table) as conn:
            t = self._table(conn, table)
            cols = [self._column(t, name) for name in columns]
            single = len(cols) == 1
            bound = bind_values(cols[0], values) if single else bind_tuples(cols, values)
            found: dict[Any, int] = {}
            for batch in batched(bound, UNION_BATCH):
                counted = [bounded_count(n, t, cols, v, at_most) for n, v in enumerate(batch)]
                query = counted[0] if len(counted) == 1 else sa.union_all(*counted)
                for n, count in conn.execute(query):
                    if count:
                        found[batch[n]] = int(count)
            return found

    def referrers(self, table: str) -> list[Referrer]:
        """The live foreign keys pointing at `table`, read once per connector with the
        inspector over every table of its schema (a worker keeps its connectors)."""
        schema, _, bare = table.rpartition(".")
        if schema not in self._referrers:
            with self._session(table) as conn:
                self._referrers[schema] = foreign_keys(sa.inspect(conn), schema or None)
        return self._referrers[schema].get(bare, [])

    def columns(self, table: str) -> list[str]:
        """The table's columns as the live database has them."""
        with self._session(table) as conn:
            return list(self._table(conn, table).columns.keys())

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the calls inside on one connection, committed together or not at all.

        An exception inside rolls everything back and propagates. Nested use joins the
        outer transaction; inside a read view without one (PostgreSQL), it is refused.
        """
        if self._conn is not None:
            if self._conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
                raise self._error(
                    "a change cannot be made inside a read (it would not be atomic)", ""
                )
            yield
            return
        with self._errors(""), self._engine.begin() as conn:
            self._conn = conn
            try:
                yield
            finally:
                self._conn = None

    def read_view(self) -> AbstractContextManager[None]:
        """Run the reads inside on one connection, in one transaction: one snapshot on SQLite
        and MariaDB (REPEATABLE READ). Nothing may be written inside."""
        return self.transaction()

    def close(self) -> None:
        """Close every pooled connection (and keep the tables reflected for the next run)."""
        if self._kept is not None:
            self._kept.save()
        self._engine.dispose()

    def schema(self, *, schemas: Sequence[str] = ()) -> LiveSchema:
        """The database's live structure (default schema plus `schemas`), read on the first
        call and kept: a worker keeps its connectors per thread, so once per worker."""
        wanted = tuple(sorted(set(schemas)))
        kept: dict[tuple[str, ...], LiveSchema] = self.__dict__.setdefault("_live_schemas", {})
        if wanted not in kept:
            with self._session("") as conn:
                kept[wanted] = read_live_schema(conn, schemas=wanted)
        return kept[wanted]

    # -- engine and errors ----------------------------------------------------------------

    def _create_engine(self) -> sa.Engine:
        url = self._url()
        # No ping before each use (a round trip per transaction: 5 of an erasure's 38): a
        # connection the server dropped fails its first statement as an outage, SQLAlchemy
        # discards the pool, and the caller's retry runs on a fresh connection.
        return sa.create_engine(
            url,
            hide_parameters=True,  # error messages never carry values: they are personal data
            connect_args={"connect_timeout": self.options.connect_timeout},
        )

    def _url(self) -> sa.URL:
        if not self.spec.url:
            raise ConnectorError(
                f"a {self.label} system needs `url_env` in its connection, naming the env var "
                f"that holds its URL (like {self.driver.split('+')[0]}://user:password@host/db)",
                system=self.spec.system,
            )
        try:
            url = sa.make_url(self.spec.url)
        except sa_exc.ArgumentError:
            # Never echo the URL: it holds the password.
            raise ConnectorError(
                f"the connection URL is not a valid database URL (expected like "
                f"{self.driver.split('+')[0]}://user:password@host/db)",
                system=self.spec.system,
            ) from None
        if url.get_backend_name() not in self.backends:
            raise ConnectorError(
                f"a `{self.spec.type}` system needs a {self.label} URL, but its URL is for "
                f"`{url.get_backend_name()}`",
                system=self.spec.system,
            )
        return url.set(drivername=self.driver)

    def _location(self) -> str:
        url = self._engine.url
        return (
            f"{self.label} database `{url.database}` on {url.host}:{url.port or '(default port)'}"
        )

    def _permanent(self, orig: BaseException) -> bool:
        """Whether a connection-level error will not go away by waiting (auth, unknown db)."""
        return False

    def _describe(self, orig: BaseException) -> str:
        """The driver's message, first line only (later lines may quote values)."""
        return (str(orig).strip().splitlines() or [type(orig).__name__])[0]

    @contextmanager
    def _session(self, table: str) -> Iterator[sa.Connection]:
        """The open transaction's connection, or a fresh one committed on success."""
        with self._errors(table):
            if self._conn is not None:
                yield self._conn
            else:
                with self._engine.begin() as conn:
                    yield conn

    @contextmanager
    def _errors(self, table: str) -> Iterator[None]:
        try:
            yield
        except sa_exc.NoSuchTableError:
            raise self._error(
                f"table `{table}` does not exist in the live {self._location()}", table
            ) from None
        except sa_exc.DBAPIError as err:
            translated = self._translate(err, table)
            if isinstance(err, sa_exc.IntegrityError | sa_exc.DataError):
                # The driver's detail quotes the offending value, often personal data: it
                # must not reach a log through the exception chain.
                raise translated from None
            raise translated from err
        except sa_exc.TimeoutError as err:  # no free connection in the pool
            raise self._error(f"{err}", table, retryable=True) from err

    def _translate(self, err: sa_exc.DBAPIError, table: str) -> ConnectorError:
        orig = err.orig if isinstance(err.orig, BaseException) else err
        first = self._describe(orig)
        if isinstance(err, sa_exc.OperationalError | sa_exc.InterfaceError) or (
            err.connection_invalidated
        ):
            if self._permanent(orig):
                return self._error(f"{self._location()} refused the connection: {first}", table)
            return self._error(
                f"{self._location()} is unreachable or busy ({first}); "
                "check that it is running and reachable, then retry",
                table,
                retryable=True,
            )
        if isinstance(err, sa_exc.DataError):
            # Messages like `invalid input syntax for type integer: "<value>"` quote the value.
            return self._error(
                f"the database rejected a value ({type(orig).__name__}; "
                "the value is not shown as it may be personal data)",
                table,
            )
        redacted = re.sub(r"Duplicate entry '.*' for", "Duplicate entry '…' for", first)
        return self._error(f"the database refused: {redacted}", table)

    def _error(self, message: str, table: str, *, retryable: bool = False) -> ConnectorError:
        return ConnectorError(message, system=self.spec.system, dataset=table, retryable=retryable)

    # -- reflection and statements -------------------------------------------------------------

    def _table(self, conn: sa.Connection, name: str) -> sa.Table:
        if name not in self._tables:
            kept = self._table_cache(conn)
            table = kept.get(name) if kept is not None else None
            if table is None:
                schema, _, bare = name.rpartition(".")
                with expression_indexes_skipped():
                    table = sa.Table(
                        bare, sa.MetaData(), schema=schema or None, autoload_with=conn,
                        resolve_fks=False,
                    )  # fmt: skip
                if kept is not None:
                    kept.put(name, table)
            self._tables[name] = table
        return self._tables[name]

    def _table_cache(self, conn: sa.Connection) -> TableCache | None:
        """The definitions kept from earlier runs, checked against the live schema's
        fingerprint on first use (None: not kept for this store)."""
        if self._kept is None and self.spec.cache_dir is not None:
            fingerprint = schema_fingerprint(conn)
            if fingerprint is not None:
                where = f"{self.spec.system}\0{self.spec.url or ''}\0{self.spec.path or ''}"
                name = f"tables-{hashlib.sha256(where.encode()).hexdigest()[:20]}.json"
                self._kept = TableCache(
                    self.spec.cache_dir / name, fingerprint=fingerprint, dialect=conn.dialect
                )
        return self._kept

    def _column(self, t: sa.Table, name: str) -> sa.Column[Any]:
        if name not in t.columns:
            raise ConnectorError(
                f"column `{name}` does not exist in table `{t.fullname}` of the live database "
                f"(it has: {', '.join(t.columns.keys())})",
                system=self.spec.system,
                dataset=t.fullname,
            )
        return t.columns[name]

    def _conditions(
        self,
        t: sa.Table,
        where: Mapping[str, Sequence[Any]],
        *,
        casefold: Collection[str] = (),
        conn: sa.Connection | None = None,
    ) -> list[tuple[sa.Column[Any], sa.ColumnElement[bool]]]:
        """One `column IN (batch)` per batch of each field's values."""
        conditions: list[tuple[sa.Column[Any], sa.ColumnElement[bool]]] = []
        for name, values in where.items():
            column = self._column(t, name)
            folding = name in casefold and isinstance(column.type, sa.String)
            target = self._folded(conn, t, column) if folding and conn is not None else None
            for batch in batched(bind_values(column, values), self.options.batch_size):
                member = self._member(column, batch) if target is None else target.in_(batch)
                conditions.append((column, member))
        return conditions

    def _folded(
        self, conn: sa.Connection, t: sa.Table, column: sa.Column[Any]
    ) -> sa.ColumnElement[Any] | None:
        """The column as case-blind matching compares it: `lower(trim(column))`, which an
        index on that same expression serves (SQLite, PostgreSQL); None: as it is."""
        return sa.func.lower(sa.func.trim(column))

    def _member(self, column: sa.Column[Any], values: Sequence[Any]) -> sa.ColumnElement[bool]:
        """`column IN (values)`, each value a bound parameter."""
        return column.in_(values)

    def _filters(
        self, conn: sa.Connection, t: sa.Table, before: Before | None, match: Match | None
    ) -> list[sa.ColumnElement[bool]]:
        found = [self._before(conn, t, before)] if before is not None else []
        column = lambda n: self._column(t, n)  # noqa: E731
        return found + ([match_clause(match, column=column)] if match else [])

    def _before(self, conn: sa.Connection, t: sa.Table, before: Before) -> sa.ColumnElement[bool]:
        """`field < cutoff`, the cutoff bound in the column's own type (see `Before`)."""
        name, cutoff = before
        if isinstance(name, ParentDate):
            return self._parent_before(conn, t, name, cutoff)
        return self._dated(t, name, cutoff)

    def _parent_before(
        self, conn: sa.Connection, t: sa.Table, parent: ParentDate, cutoff: date
    ) -> sa.ColumnElement[bool]:
        """`EXISTS (SELECT 1 FROM parent p WHERE p.key = t.columns AND p.field < cutoff)`: one
        set-based condition, served by the parent's key index. With `missing`, the rows whose
        parent row does not exist (or whose reference is empty): `NOT EXISTS` on the key."""
        if len(parent.columns) != len(parent.key) or not parent.columns:
            raise self._error(
                "a parent's key and the columns holding it differ in length", t.fullname
            )
        try:
            table = self._table(conn, parent.table)
        except sa_exc.NoSuchTableError:
            raise self._error(
                f"table `{parent.table}`, whose rows date these, does not exist in the live "
                f"{self._location()}",
                t.fullname,
            ) from None
        p = table.alias("parent_row")  # an alias: a table may hang off itself
        joined = [
            p.c[self._column(table, theirs).name] == self._column(t, mine)
            for mine, theirs in zip(parent.columns, parent.key, strict=True)
        ]
        if parent.missing:
            return ~sa.exists().where(*joined)
        return sa.exists().where(*joined, self._dated(table, parent.field, cutoff, alias=p))

    def _dated(
        self, t: sa.Table, name: str, cutoff: date, *, alias: sa.FromClause | None = None
    ) -> sa.ColumnElement[bool]:
        column = self._column(t, name)
        bound = cutoff_for(column.type, cutoff)
        if bound is None:
            raise self._error(
                f"column `{name}` holds {column.type} values, neither dates nor text: rows "
                "cannot be selected by date on it (point the retention rule at a date field)",
                t.fullname,
            )
        compared = column if alias is None else alias.c[name]
        return sa.and_(compared.is_not(None), compared < bound)

    def _matching(
        self,
        conn: sa.Connection,
        t: sa.Table,
        where: Mapping[str, Sequence[Any]],
        names: list[str],
        *,
        extra: Sequence[sa.ColumnElement[bool]] = (),
        casefold: Collection[str] = (),
    ) -> list[Row]:
        wanted = [self._column(t, name) for name in names]
        conditions = self._conditions(t, where, casefold=casefold, conn=conn)
        if not wanted or not conditions:
            return []
        primary = [c for c in t.primary_key.columns if c.name not in names]
        several_fields = len({column.name for column, _ in conditions}) > 1
        seen: set[object] = set()
        rows: list[Row] = []
        for _, cond in conditions:
            for record in conn.execute(sa.select(*wanted, *primary).where(cond, *extra)):
                found = dict(record._mapping)
                identity = row_identity(found, t, several_fields)
                if identity is not None and identity in seen:
                    continue
                seen.add(identity)
                rows.append({name: found[name] for name in names})
        return rows

    def _update_group(
        self,
        conn: sa.Connection,
        t: sa.Table,
        key_cols: Sequence[sa.Column[Any]],
        names: tuple[str, ...],
        rows: list[Row],
    ) -> int:
        targets = [self._column(t, name) for name in names]
        # Bind names that no real column can clash with (SQLAlchemy reserves column names).
        statement = (
            sa.update(t)
            .where(*(c == sa.bindparam(f"_lawful_key{i}") for i, c in enumerate(key_cols)))
            .values({col: sa.bindparam(f"_lawful_{i}") for i, col in enumerate(targets)})
        )
        params = []
        for row in rows:
            bound = [bind_value(c, row[c.name]) for c in key_cols]
            if any(b is NO_MATCH for b in bound):
                continue
            params.append(
                {
                    **{f"_lawful_key{i}": b for i, b in enumerate(bound)},
                    **{f"_lawful_{i}": row[n] for i, n in enumerate(names)},
                }
            )
        return sum(
            conn.execute(statement, list(batch)).rowcount
            for batch in batched(params, self.options.batch_size)
        )
