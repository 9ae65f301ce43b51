"""Sending planned changes to a datastore: each UPDATE or DELETE must touch exactly the rows
planned, and a person's changes to one datastore commit together or not at all.

A dry run sends the very same statements inside a transaction that is rolled back, so a dry
run that passes means the real run passes on the same data (stores whose `transaction()` is
not atomic — files, HTTP APIs — are not sent anything by a dry run: it stays a simulation).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from lawful.connectors.base import Connector, ConnectorError, Row, is_atomic, key_value
from lawful.engine.datastores import Datastores
from lawful.engine.errors import EngineError, EngineProblem
from lawful.engine.keys import fetch_by_key, key_text
from lawful.engine.values import same


class RowCountError(EngineError):
    """A statement touched more or fewer rows than planned: its transaction is rolled back."""

    def __init__(self, *, system: str, dataset: str, action: str, planned: int, changed: int):
        verb = "deleted" if action == "delete" else "updated"
        super().__init__(
            [
                EngineProblem(
                    f"expected {planned} row(s) to be {verb}, the store {verb} {changed}: "
                    f"every change to system `{system}` was rolled back",
                    "the data changed since the plan, or the dataset's `primary_key` does not "
                    "tell rows apart; check it and run the request again",
                    system=system,
                    dataset=dataset,
                )
            ]
        )


def apply_change(
    connector: Connector,
    *,
    system: str,
    dataset: str,
    table: str,
    key: tuple[str, ...],
    action: str,
    rows: list[Row],
    uncertain: bool = False,
) -> int:
    """Send one batch; raise RowCountError unless it touched exactly `len(rows)` rows.
    When `uncertain` (a previous try may have reached the store), a batch already in the
    store is not sent again."""
    if uncertain and already_applied(connector, table=table, key=key, action=action, rows=rows):
        return len(rows)
    if action == "delete":
        changed = connector.delete(table, key=key, keys=[key_value(r, key) for r in rows])
    else:
        changed = connector.update(table, key=key, rows=rows)
    if changed != len(rows):
        raise RowCountError(
            system=system, dataset=dataset, action=action, planned=len(rows), changed=changed
        )
    return changed


def already_applied(
    connector: Connector, *, table: str, key: tuple[str, ...], action: str, rows: list[Row]
) -> bool:
    """Whether every row of the batch already is as planned (deleted, or holding its values)."""
    keys = [key_value(row, key) for row in rows]
    columns = list(dict.fromkeys(c for row in rows for c in row))
    found = fetch_by_key(connector, table, columns=key, values=keys, wanted=columns)
    if action == "delete":
        return not found
    current = {key_text(key_value(r, key)): r for r in found}
    return all(
        all(same(current[text].get(c), v) for c, v in row.items())
        for row in rows
        if (text := key_text(key_value(row, key))) in current  # deleted meanwhile: nothing more
    )


class _RehearsalOverError(Exception):
    """Raised at the end of a dry run's transaction so that it rolls back."""


@contextmanager
def rolled_back(connector: Connector) -> Iterator[None]:
    """A transaction that is always rolled back (the body's own errors still propagate)."""
    try:
        with connector.transaction():
            yield
            raise _RehearsalOverError
    except _RehearsalOverError:
        pass


def rehearse_changes(*, datastores: Datastores, changes: Sequence[Any]) -> list[str]:
    """Send every change, system by system, inside transactions that are rolled back: the
    errors the real run would meet (a NOT NULL column, a foreign key, a row count) are
    raised now, as an EngineError, and nothing is changed. Returns the systems rehearsed;
    a store without atomic transactions is skipped (its dry run stays simulated)."""
    systems = list(dict.fromkeys(c.system for c in changes))
    rehearsed: list[str] = []
    for system in systems:
        connector = datastores.get(system)
        if not is_atomic(connector):
            continue
        current = ""
        try:
            with rolled_back(connector):
                for change in (c for c in changes if c.system == system):
                    current = change.dataset
                    apply_change(
                        connector,
                        system=system,
                        dataset=change.dataset,
                        table=change.table,
                        key=change.key,
                        action=change.action,
                        rows=list(change.rows),
                    )
        except ConnectorError as error:
            raise EngineError(
                [
                    EngineProblem(
                        f"the real run would fail: {error.args[0]}",
                        "fix the map or the data (see docs/connectors.md); nothing was changed",
                        system=system,
                        dataset=current,
                    )
                ]
            ) from None
        rehearsed.append(system)
    return rehearsed
