"""The connector protocol: one interface over every store Lawful reads and changes.

Connectors take and return plain data (dicts of column → value). Table and column names
come only from the validated data map; values always travel as bound parameters.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ValidationError

if TYPE_CHECKING:
    from lawful.connectors.match import Match
    from lawful.connectors.schema import LiveSchema

Row = dict[str, Any]
Key = str | Sequence[str]
"""A key: one column, or several (a composite key). A key *value* is then the column's value,
or a tuple of the columns' values in the key's order."""
OptionsT = TypeVar("OptionsT", bound=BaseModel)


@dataclass(frozen=True)
class ParentDate:
    """A date held by the row this one hangs off: `field` of the row of `table` whose `key`
    columns equal this row's `columns` (an order line dated by its order's `placed_at`).

    With `missing=True` it selects the opposite: the rows whose parent row does not exist
    (or whose reference is empty), which have no date to count from. Only SQL stores can
    compare rows of two tables; the others raise ConnectorError saying so."""

    table: str
    field: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    missing: bool = False


Before = tuple[str | ParentDate, date]
"""`(field, cutoff)`: only rows whose `field` holds a date or date-time earlier than `cutoff`;
with a `ParentDate` instead of a field, the rows whose parent row's date is earlier.

A `date` cutoff means midnight at its start, so a row is selected when its day is earlier;
a `datetime` cutoff is exact. Rows where the field is empty are never selected (a retention
period whose start event has not happened has not started)."""


class ConnectorError(Exception):
    """A store could not do what was asked. `retryable` marks outages and time-outs."""

    def __init__(
        self, message: str, *, system: str = "", dataset: str = "", retryable: bool = False
    ) -> None:
        super().__init__(message)
        self.system = system
        self.dataset = dataset
        self.retryable = retryable

    def __str__(self) -> str:
        where = ", ".join(
            p
            for p in (
                f"system `{self.system}`" if self.system else "",
                f"dataset `{self.dataset}`" if self.dataset else "",
            )
            if p
        )
        return f"{where}: {self.args[0]}" if where else str(self.args[0])


@dataclass(frozen=True)
class ConnectionSpec:
    """What a connector needs to open: resolved from the map's `connection` and the environment."""

    system: str
    type: str
    # From the env var named by `url_env`; it holds any password, so it stays out of repr().
    url: str | None = field(default=None, repr=False)
    path: Path | None = None  # for file connectors, resolved against the map's data folder
    options: Mapping[str, Any] = field(default_factory=dict)
    # Env var name → value, for every option named `*_env` (tokens, passwords); never printed.
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Where a connector may keep what it learnt of the store between runs (table definitions,
    # connectors/tablecache.py); None: nothing is kept.
    cache_dir: Path | None = None


@dataclass(frozen=True)
class Referrer:
    """A live foreign key pointing at a table: `table.columns` hold the values of the
    pointed-at table's `referred` columns."""

    table: str
    columns: tuple[str, ...]
    referred: tuple[str, ...]


@runtime_checkable
class Connector(Protocol):
    """One open connection to one system. Every method raises ConnectorError on failure."""

    def test_connection(self) -> None:
        """Check the store answers (and, for SQL, that the credentials work)."""

    def fetch(
        self,
        table: str,
        *,
        where: Mapping[str, Sequence[Any]],
        columns: Sequence[str],
        casefold: Collection[str] = (),
    ) -> list[Row]:
        """Rows whose `field IN values` for ANY of the given fields (values sent in batches).

        Fields named in `casefold` (email addresses) match whatever their stored case and
        surrounding spaces: the values are given trimmed and lower-cased, and the store
        compares them with its values trimmed and lower-cased (through an index where it can:
        see docs/connectors.md, identity matching)."""

    def update(self, table: str, *, key: Key, rows: Sequence[Row]) -> int:
        """Set, for each row, its non-key columns where the key columns equal its values (each
        row holds every key column). Returns the rows matched."""

    def delete(self, table: str, *, key: Key, keys: Sequence[Any]) -> int:
        """Delete the rows whose key is in `keys` (tuples for a composite key). Returns rows
        deleted."""

    def count(
        self,
        table: str,
        *,
        where: Mapping[str, Sequence[Any]] | None = None,
        before: Before | None = None,
        match: Match | None = None,
    ) -> int:
        """Count rows, optionally restricted like `fetch`, to rows dated before a cutoff, and
        to the rows a `match` selects."""

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
        """Keyset pagination: up to `limit` rows with `key > after`, ordered by `key` (for a
        composite key, `after` is a tuple and rows are ordered column by column).

        With `before=(field, cutoff)`, only the rows whose `field` is earlier than `cutoff`
        (see `Before`): what a retention sweep pages through. A store that cannot compare
        dates raises ConnectorError saying so.

        With `match` (a retention rule's `where`, connectors/match.py), only the rows it
        selects, compared as `Match` says (text trimmed and case-blind; values bound, never
        written into a query). Passed only when a rule has conditions: a store that cannot
        filter raises ConnectorError saying so.
        """

    def count_by(
        self, table: str, *, columns: Sequence[str], values: Sequence[Any]
    ) -> dict[Any, int]:
        """How many rows hold each of `values` in `columns` (a tuple per value for several
        columns); values no row holds are left out. Counted by the store where it can (one
        grouped query per batch): whether a row is also someone else's is asked this way."""

    def referrers(self, table: str) -> list[Referrer]:
        """Every live foreign key, from any table of the store, that points at `table`
        (declared in the data map or not); empty for stores without foreign keys."""

    def columns(self, table: str) -> list[str]:
        """The columns the live store has for `table` (to catch a map out of step with the store).

        An empty list means the store cannot tell (a schemaless store such as an empty JSONL
        file, or an HTTP API whose table declares no `columns`): skip the check then.
        """

    def schema(self, *, schemas: Sequence[str] = ()) -> LiveSchema | None:
        """The store's live structure: keys, foreign keys with ON DELETE, NOT NULL, unique
        constraints, indexes, case sensitivity (see `lawful.connectors.schema`).

        Read once per connector and kept. `schemas` names database schemas to read besides
        the default one (for tables the map names `schema.table`). None means the store
        cannot tell (files, HTTP APIs): the live checks skip it.
        """

    def transaction(self) -> AbstractContextManager[None]:
        """Group changes atomically where the store supports it (a no-op context otherwise).

        A connector whose transaction really rolls back on an exception says so with a class
        attribute `atomic = True` (optional, so older connectors still fit the protocol):
        a dry run then sends the real statements inside one and rolls them back.
        """

    def close(self) -> None:
        """Release the connection."""


@runtime_checkable
class BoundedCounter(Protocol):
    """Optional, beside `Connector`: a store that can stop counting early (the SQL
    connectors). Whether a row is also someone else's needs no more than one row beyond the
    person's own, however many rows hold the value; stores without it are asked `count_by`."""

    def count_at_most(
        self, table: str, *, columns: Sequence[str], values: Sequence[Any], at_most: int
    ) -> dict[Any, int]:
        """`count_by` with every count stopping at `at_most` rows."""


@runtime_checkable
class WholeKeyFetcher(Protocol):
    """Optional, beside `Connector`: a store that matches several columns together (the SQL
    connectors), so rows named by a composite value are read alone; stores without it are
    asked `fetch` by the first column and the answer is narrowed by the engine."""

    def fetch_whole(
        self, table: str, *, columns: Sequence[str], values: Sequence[Any], wanted: Sequence[str]
    ) -> list[Row]:
        """Rows whose `columns` hold one of `values` (tuples), with `columns` and `wanted`."""


def count_rows(
    rows: Sequence[Row], columns: Sequence[str], values: Sequence[Any]
) -> dict[Any, int]:
    """`count_by` for stores that filter in Python (files, HTTP): rows already fetched by the
    first column, counted per value of `columns`."""
    wanted = {_text(v) for v in values}
    counts: dict[Any, int] = {}
    for row in rows:
        value = key_value(row, columns)
        if _text(value) in wanted:
            counts[value] = counts.get(value, 0) + 1
    return counts


def _text(value: Any) -> str:
    return repr(tuple(str(p) for p in value)) if isinstance(value, tuple) else str(value)


def folded(value: Any) -> Any:
    """A stored value as `casefold` compares it: text trimmed and lower-cased."""
    return value.strip().lower() if isinstance(value, str) else value


def is_atomic(connector: object) -> bool:
    """Whether the connector's `transaction()` is all or nothing (see `Connector.transaction`)."""
    return getattr(connector, "atomic", False) is True


def key_columns(key: Key) -> tuple[str, ...]:
    """A key as a tuple of column names."""
    return (key,) if isinstance(key, str) else tuple(key)


def key_value(row: Mapping[str, Any], columns: Sequence[str]) -> Any:
    """The row's key value: the column's value, or a tuple for a composite key."""
    if len(columns) == 1:
        return row.get(columns[0])
    return tuple(row.get(name) for name in columns)


def key_parts(value: Any, columns: Sequence[str]) -> tuple[Any, ...]:
    """A key value as one value per key column (the inverse of `key_value`)."""
    if len(columns) == 1:
        return (value,)
    parts = tuple(value)
    if len(parts) != len(columns):
        raise ValueError(f"a key value for ({', '.join(columns)}) needs {len(columns)} parts")
    return parts


def batched(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Split `values` into slices of at most `size` (for IN lists and executemany)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def parse_options(model: type[OptionsT], spec: ConnectionSpec) -> OptionsT:
    """Validate `connection.options` against a connector's Pydantic model (typos are errors)."""
    try:
        return model.model_validate(dict(spec.options))
    except ValidationError as err:
        problems = "; ".join(
            f"`{'.'.join(str(p) for p in e['loc']) or 'options'}`: {e['msg']}" for e in err.errors()
        )
        raise ConnectorError(
            f"malformed connection options for a `{spec.type}` connector: {problems}",
            system=spec.system,
        ) from None


def order_key(value: Any) -> tuple[int, Any]:
    """A total order over mixed key types (numbers, then text, then the rest as text).

    For stores that page in Python (files, HTTP): keyset pagination needs every pair of keys
    to compare, even when a JSON file mixes `7` and `"7a"`.
    """
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    return (2, value.isoformat() if isinstance(value, date | time) else str(value))


def as_when(value: Any) -> date | None:
    """A stored value as a date or date-time (ISO 8601 text is parsed); None when it is not one."""
    if isinstance(value, date):  # a datetime is a date too
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        return None


def is_before(value: Any, cutoff: date) -> bool:
    """Whether a stored value is a date earlier than `cutoff` (the rule of `Before`), for
    stores that filter in Python. Naive date-times are taken as UTC."""
    when = as_when(value)
    if when is None:
        return False
    return _instant(when) < _instant(cutoff)


def _instant(when: date) -> datetime:
    """A date as its midnight, a date-time as itself, both aware (naive ones taken as UTC)."""
    if not isinstance(when, datetime):
        return datetime.combine(when, time.min, tzinfo=UTC)
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def json_default(value: object) -> object:
    """`json.dumps(default=...)` for the values SQL stores hand out: dates and decimals."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be written as JSON")
