"""A row is shared when rows of other people reference it: erasure and rectification leave
it as it is and say so, so one person's request never changes another's data.

Referrers are every reference the map declares to the dataset, and every live foreign key
that points at its table (declared in the map or not, read by the connector). Each referrer
is asked once per dataset, set-based: how many rows hold each of the values the person's
rows are referenced by, counting no further than one row beyond the person's own
(`count_at_most` where the store has it, a SQL `LIMIT` per value; `Connector.count_by`
otherwise); a value held by more rows than the person's own is shared. A product a million
order lines reference costs what one referenced twice does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from lawful.connectors.base import BoundedCounter, Connector, ConnectorError, key_value
from lawful.datamap.models import DataMap
from lawful.engine.collect import Collected, Record
from lawful.engine.datastores import Datastores
from lawful.engine.errors import EngineError, EngineProblem
from lawful.engine.keys import key_text
from lawful.engine.plan import map_edges


@dataclass(frozen=True)
class _Referrer:
    """Rows of `table` (dataset `holder`, if the map declares it) whose `columns` hold the
    `referred` columns of the dataset's rows."""

    system: str
    table: str
    columns: tuple[str, ...]
    referred: tuple[str, ...]
    holder: str | None
    readable: bool = True
    hangs_off: bool = False  # the holder's owning link is this reference: its rows follow ours

    def label(self) -> str:
        return f"`{self.holder}`" if self.holder else f"table `{self.table}` (not in the map)"


def shared_keys(
    *, datamap: DataMap, collected: Collected, datastores: Datastores, dataset: str
) -> dict[Any, str]:
    """Keys of the person's records of `dataset` that other people's rows reference → why.

    A referrer dataset that cannot be read (a client's, or without connection) is assumed to
    reference every row: when in doubt, keep.
    """
    records = collected.of(dataset)
    if not records:
        return {}
    shared: dict[Any, list[str]] = {}
    for referrer in _referrers(datamap, collected, datastores, dataset):
        if referrer.hangs_off:
            continue  # notes about the person's row are theirs too, not someone else's
        for record in _referenced_by_others(collected, datastores, referrer, records):
            shared.setdefault(record.key, []).append(referrer.label())
    return {
        key: "also referenced by other people's rows in " + ", ".join(dict.fromkeys(labels))
        for key, labels in shared.items()
    }


def _referrers(
    datamap: DataMap, collected: Collected, datastores: Datastores, dataset: str
) -> list[_Referrer]:
    target = datamap.datasets[dataset]
    owners = {s.dataset: s.owner for s in collected.plan.steps}
    found: list[_Referrer] = []
    for edge in map_edges(datamap):
        if edge.owner == edge.target and edge.source == dataset:  # `from`: written on the child
            holder, columns, referred = edge.target, edge.target_fields, edge.source_fields
        elif edge.owner == edge.source and edge.target == dataset:  # `to`
            holder, columns, referred = edge.source, edge.source_fields, edge.target_fields
        else:
            continue
        held = datamap.datasets[holder]
        system = datamap.systems.get(held.system)
        readable = held.client_id() is None and system is not None and system.connection is not None
        owner = owners.get(holder)
        hangs = owner is not None and owner.source == dataset and owner.fields == columns
        found.append(
            _Referrer(held.system, held.table or holder, columns, referred, holder, readable, hangs)
        )
    return found + _live_referrers(datamap, datastores, dataset, target.system, found)


def _live_referrers(
    datamap: DataMap, datastores: Datastores, dataset: str, system: str, declared: list[_Referrer]
) -> list[_Referrer]:
    """Live foreign keys to the dataset's table that the map does not declare."""
    target = datamap.datasets[dataset]
    known = {(r.table, frozenset(r.columns)) for r in declared if r.system == system}
    fields = set(target.fields) | set(target.key_fields())
    holders = {
        (ds.table or did): did
        for did, ds in datamap.datasets.items()
        if ds.system == system and ds.client_id() is None
    }
    live = _read(datastores, system, dataset, lambda c: c.referrers(target.table or dataset))
    return [
        _Referrer(system, fk.table, fk.columns, fk.referred, holders.get(fk.table))
        for fk in live
        if (fk.table, frozenset(fk.columns)) not in known and set(fk.referred) <= fields
    ]


def _referenced_by_others(
    collected: Collected, datastores: Datastores, referrer: _Referrer, records: list[Record]
) -> list[Record]:
    """The records whose referred value more rows of the referrer hold than the person's own."""
    by_value: dict[str, list[Record]] = {}
    values: dict[str, Any] = {}
    for record in records:
        value = key_value(record.row, referrer.referred)
        if value is None or (isinstance(value, tuple) and None in value):
            continue
        text = key_text(value)
        by_value.setdefault(text, []).append(record)
        values[text] = value
    if not values:
        return []
    if not referrer.readable:
        return [r for group in by_value.values() for r in group]
    mine = _held_by_person(collected, referrer)
    # A value is shared when more rows hold it than the person's own: counting stops one row
    # beyond the most the person holds of any value (exact, and bounded however popular).
    at_most = 1 + max((mine[text] for text in values), default=0)
    counts = _read(
        datastores,
        referrer.system,
        referrer.holder or referrer.table,
        lambda c: _count(c, referrer, list(values.values()), at_most),
    )
    return [
        record
        for value, total in counts.items()
        if total > mine[key_text(value)]
        for record in by_value.get(key_text(value), [])
    ]


def _count(
    connector: Connector, referrer: _Referrer, values: list[Any], at_most: int
) -> dict[Any, int]:
    if isinstance(connector, BoundedCounter):
        return connector.count_at_most(
            referrer.table, columns=referrer.columns, values=values, at_most=at_most
        )
    return connector.count_by(referrer.table, columns=referrer.columns, values=values)


def _held_by_person(collected: Collected, referrer: _Referrer) -> Counter[str]:
    """How many of the person's rows of the referrer hold each value (none for a table the
    map does not declare: its rows cannot be known to be the person's)."""
    if referrer.holder is None or referrer.holder not in collected.records:
        return Counter()
    return Counter(
        key_text(key_value(r.row, referrer.columns))
        for r in collected.of(referrer.holder)
        if all(c in r.row for c in referrer.columns)
    )


def _read(datastores: Datastores, system: str, dataset: str, action: Any) -> Any:
    try:
        return datastores.read(system, action)
    except ConnectorError as error:
        raise EngineError(
            [
                EngineProblem(
                    f"reading failed: {error.args[0]}",
                    "nothing was changed",
                    system=system,
                    dataset=dataset,
                )
            ]
        ) from error
