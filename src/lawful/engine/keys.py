"""Rows named by their key, whether it is one column or several (a composite key).

A key *value* is the column's value, or a tuple of the columns' values (see
`lawful.connectors.base.Key`). SQL stores are asked for the whole values (`fetch_whole`);
other stores by the first key column, through the `fetch` they already have. Either answer
is narrowed to the exact keys here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from lawful.connectors.base import Connector, Row, WholeKeyFetcher, key_parts, key_value
from lawful.engine.values import encode


def key_text(value: Any) -> str:
    """One string per key value, stable across stores (5 and "5" are the same key): for
    blind indexes and for comparing keys read back from a store. A composite key (a tuple)
    is a JSON list of its parts."""
    if not isinstance(value, tuple):
        return str(value)
    return json.dumps([_part(p) for p in value])


def _part(value: Any) -> Any:
    encoded = encode(value)
    return encoded if isinstance(encoded, str | dict) or encoded is None else str(encoded)


def key_row(value: Any, columns: Sequence[str]) -> Row:
    """A key value as the row of its columns (what `update` and `delete` are given)."""
    return dict(zip(columns, key_parts(value, columns), strict=True))


def matching(rows: Iterable[Row], columns: Sequence[str], values: Iterable[Any]) -> list[Row]:
    """The rows whose `columns` hold one of `values` (compared as `key_text`)."""
    wanted = {key_text(v) for v in values}
    return [row for row in rows if key_text(key_value(row, columns)) in wanted]


def fetch_by_key(
    connector: Connector,
    table: str,
    *,
    columns: Sequence[str],
    values: Sequence[Any],
    wanted: Sequence[str],
) -> list[Row]:
    """The rows whose `columns` (one, or several matched together) hold one of `values`,
    with the `wanted` columns (the key columns are always among them). The answer is narrowed
    to the exact values here (a store may compare text case-blind)."""
    selected = list(dict.fromkeys([*columns, *wanted]))
    if len(columns) == 1:
        return connector.fetch(table, where={columns[0]: list(values)}, columns=selected)
    if isinstance(connector, WholeKeyFetcher):
        found = connector.fetch_whole(table, columns=columns, values=values, wanted=selected)
        return matching(found, columns, values)
    firsts = list(dict.fromkeys(key_parts(v, columns)[0] for v in values))
    rows = connector.fetch(table, where={columns[0]: firsts}, columns=selected)
    return matching(rows, columns, values)
