"""Values as a column takes them (bound parameters, never SQL text), keys, cutoffs, and
foreign keys from reflection."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from lawful.connectors.base import Referrer, Row, key_parts

_INTEGER = re.compile(r"[+-]?\d+")
NO_MATCH = object()  # a value that cannot equal anything in the column (e.g. "abc" for an int)


def unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(names))


def bind_values(column: sa.Column[Any], values: Sequence[Any]) -> list[Any]:
    """The distinct values that can match `column`, converted to its type."""
    bound = (bind_value(column, value) for value in values)
    return list(dict.fromkeys(v for v in bound if v is not NO_MATCH))


def bind_value(column: sa.Column[Any], value: Any) -> Any:
    """Identity values often arrive as text (from a form): convert them to the column's type.

    A value that cannot be of that type can match nothing, so it is dropped rather than
    sent (PostgreSQL would fail the whole statement on `'abc'::integer`).
    """
    kind = column.type
    if value is None:
        return NO_MATCH  # NULL equals nothing in SQL
    if isinstance(kind, sa.Integer) and isinstance(value, str):
        text = value.strip()
        return int(text) if _INTEGER.fullmatch(text) else NO_MATCH
    if (
        isinstance(kind, sa.String)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
    ):
        return str(value)
    if isinstance(kind, sa.Uuid) and isinstance(value, str):
        try:
            parsed = uuid.UUID(value)
        except ValueError:
            return NO_MATCH
        return parsed if kind.as_uuid else str(parsed)
    return value


def foreign_keys(inspector: Any, schema: str | None) -> dict[str, list[Referrer]]:
    """Table → the foreign keys pointing at it, over every table of the schema."""
    found: dict[str, list[Referrer]] = {}
    prefix = f"{schema}." if schema else ""
    for name in inspector.get_table_names(schema=schema):
        for fk in inspector.get_foreign_keys(name, schema=schema):
            if (fk.get("referred_schema") or None) not in {None, schema}:
                continue
            found.setdefault(fk["referred_table"], []).append(
                Referrer(
                    f"{prefix}{name}",
                    tuple(fk["constrained_columns"]),
                    tuple(fk["referred_columns"]),
                )
            )
    return found


def bind_tuples(columns: Sequence[sa.Column[Any]], keys: Sequence[Any]) -> list[Any]:
    """The distinct composite key values that can match, each part in its column's type."""
    names = [c.name for c in columns]
    found: dict[tuple[Any, ...], None] = {}
    for key in keys:
        bound = tuple(bind_value(c, v) for c, v in zip(columns, key_parts(key, names), strict=True))
        if not any(b is NO_MATCH for b in bound):
            found[bound] = None
    return list(found)


def keys_after(columns: Sequence[sa.Column[Any]], starts: Sequence[Any]) -> sa.ColumnElement[bool]:
    """`(a, b) > (x, y)` written as `a > x OR (a = x AND b > y)`: every database uses an
    index on the key for it (MariaDB does not for the row-value form)."""
    first, start = columns[0], starts[0]
    later: sa.ColumnElement[bool] = first > start
    if len(columns) == 1:
        return later
    return sa.or_(later, sa.and_(first == start, keys_after(columns[1:], starts[1:])))


def cutoff_for(kind: sa.types.TypeEngine[Any], cutoff: date) -> object:
    """The cutoff in the column's type: a date-time for timestamps (aware when the column
    is), a date for dates, ISO 8601 text for text columns (which compare as text, exact for
    dates written `YYYY-MM-DD…`); None for a type no date compares with."""
    moment = cutoff if isinstance(cutoff, datetime) else datetime.combine(cutoff, time.min)
    if isinstance(kind, sa.DateTime):
        if kind.timezone:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    if isinstance(kind, sa.Date):
        # A stored day is earlier than a cutoff inside a later day only if it ends by then.
        day = moment.date()
        return day if moment.time() == time.min else day + timedelta(days=1)
    if isinstance(kind, sa.String):
        if isinstance(cutoff, datetime):
            return cutoff.isoformat(sep=" ")
        return cutoff.isoformat()
    return None


def group_by_columns(rows: Sequence[Row], key: Sequence[str]) -> dict[tuple[str, ...], list[Row]]:
    """Rows setting the same columns share one UPDATE statement (run with executemany)."""
    groups: dict[tuple[str, ...], list[Row]] = {}
    for row in rows:
        names = tuple(sorted(name for name in row if name not in key))
        if names:
            groups.setdefault(names, []).append(row)
    return groups


def row_identity(found: Row, t: sa.Table, several_fields: bool) -> object:
    """What makes a fetched row the same row again, or None when no duplicate can occur."""
    primary = [c.name for c in t.primary_key.columns]
    if primary:
        return tuple(found[name] for name in primary)
    if not several_fields:
        return None  # one field, distinct values: each row matches exactly one batch
    values = tuple(found.values())
    try:
        hash(values)
    except TypeError:
        return repr(values)
    return values


def equal(cols: Sequence[sa.Column[Any]], parts: Sequence[Any]) -> sa.ColumnElement[bool]:
    """`a = x AND b = y`: the columns hold the parts (already bound to their types)."""
    return sa.and_(*(c == p for c, p in zip(cols, parts, strict=True)))


def bounded_count(
    n: int, t: sa.Table, cols: Sequence[sa.Column[Any]], value: Any, at_most: int
) -> sa.Select[int, int]:
    """`SELECT n, count(*) FROM (SELECT 1 FROM t WHERE cols = value LIMIT at_most)`."""
    parts = value if len(cols) > 1 else (value,)
    rows = sa.select(sa.literal_column("1", sa.Integer)).select_from(t)
    rows = rows.where(equal(cols, parts)).limit(at_most)
    counted = sa.select(sa.literal_column(str(n), sa.Integer), sa.func.count())
    return counted.select_from(rows.subquery())
