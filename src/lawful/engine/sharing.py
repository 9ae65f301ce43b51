"""Rows the person's rows point at (an address, a payment card) may belong to others too.

Such a row is shared when a row outside the person's records references it; erasure and
rectification leave shared rows alone, so one person's request never changes another's data.
"""

from __future__ import annotations

from typing import Any

from lawful.connectors.base import ConnectorError
from lawful.datamap.models import DataMap
from lawful.engine.collect import Collected, Record
from lawful.engine.datastores import Datastores
from lawful.engine.errors import EngineError, EngineProblem
from lawful.engine.plan import map_edges


def shared_keys(
    *, datamap: DataMap, collected: Collected, datastores: Datastores, dataset: str
) -> set[Any]:
    """Keys of the dataset's *referenced* (not owned) records that someone else also references.

    A referrer dataset that cannot be read (a client's, or without connection) is assumed to
    share every row: when in doubt, keep.
    """
    records = [r for r in collected.of(dataset) if not r.owned]
    if not records:
        return set()
    shared: set[Any] = set()
    for owner, owner_field, target_field in _referrers(datamap, dataset):
        values = {_value_key(r.row.get(target_field)): r for r in records}
        values.pop("", None)
        if not values:
            continue
        typed = [r.row.get(target_field) for r in values.values()]
        others = _other_referrers(datamap, collected, datastores, owner, owner_field, typed)
        shared |= {values[v].key for v in others if v in values}
    return shared


def _referrers(datamap: DataMap, dataset: str) -> list[tuple[str, str, str]]:
    """(holder dataset, its field, field of `dataset` it holds) for every reference that points
    at `dataset` the way the person's rows do (`direction: to`, like `people.address_id`).
    Rows found *from* the dataset (`direction: from`, like notes about an address) hang off it
    and make it no one else's."""
    return [
        (edge.owner, edge.source_field, edge.target_field)
        for edge in map_edges(datamap)
        if edge.owner == edge.source and edge.target == dataset
    ]


def _other_referrers(
    datamap: DataMap,
    collected: Collected,
    datastores: Datastores,
    owner: str,
    owner_field: str,
    values: list[Any],
) -> set[str]:
    """Values of `owner.owner_field` (among `values`, as text) held by rows not the person's."""
    dataset = datamap.datasets[owner]
    system = datamap.systems.get(dataset.system)
    if dataset.client_id() is not None or system is None or system.connection is None:
        return {_value_key(v) for v in values}
    mine = set(collected.records.get(owner, {}))
    try:
        rows = datastores.read(
            dataset.system,
            lambda c: c.fetch(
                dataset.table or owner,
                where={owner_field: values},
                columns=[dataset.primary_key, owner_field],
            ),
        )
    except ConnectorError as error:
        raise EngineError(
            [
                EngineProblem(
                    f"reading failed: {error.args[0]}",
                    "nothing was changed",
                    system=dataset.system,
                    dataset=owner,
                )
            ]
        ) from error
    return {_value_key(r.get(owner_field)) for r in rows if r.get(dataset.primary_key) not in mine}


def _value_key(value: Any) -> str:
    return "" if value is None else str(value)


def owned_or_unshared(records: list[Record], shared: set[Any]) -> list[Record]:
    return [r for r in records if r.owned or r.key not in shared]
