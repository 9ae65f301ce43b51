"""Who a breach affects: every record of the affected datasets, read through the connectors,
traced to the person it is about, and the people counted once each (GDPR Art. 33(3)(a):
"the categories and approximate number of data subjects … and of personal data records").

A record is about the person its own identity values name (email, phone, customer number,
caller id …, normalised as the engine does). A record with none (a payslip, a page view, a
call from a withheld number that was matched to a customer) is about the person of the
record it references, found through the map's references, to any depth. Records naming the
same value belong to the same person, so someone in two systems counts once.

A value found on the records of several different people is no identifier of one person (a
switchboard, our own outbound line, a phone a household shares): it is ignored for telling
people apart. A record that names no one is counted apart, as "records that identify no one".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from lawful.connectors.base import Row, key_value
from lawful.datamap.graph import Edge, reference_edges
from lawful.datamap.models import DataMap, Dataset
from lawful.engine.datastores import Datastores
from lawful.engine.identity import IdentityKind, identity_types, stored_email
from lawful.engine.phone import PhoneNumberError, to_e164

PAGE = 5000
Value = tuple[str, str]  # (kind: email, phone, or the identity type; normalised value)
NodeKey = tuple[str, Any]  # (dataset, primary key)


@dataclass
class Person:
    """One person affected: the identity values that name them, and where they were found."""

    values: list[tuple[str, str]]  # (identity type, value), for a message to reach them
    datasets: list[str]


@dataclass
class Affected:
    people: int
    records: dict[str, int]
    unidentified: int
    categories: list[str]
    subjects: list[str]
    clients: list[str]  # we hold these datasets as a client's processor (Art. 33(2))
    persons: list[Person] = field(default_factory=list)  # only when asked for


@dataclass
class _Node:
    values: frozenset[Value]
    shown: tuple[tuple[str, str], ...]  # (identity type, value) as found, for the list
    refs: list[tuple[str, str, Any]]  # (dataset, field, value) of the records it references
    parents: list[NodeKey] = field(default_factory=list)  # those records, once read


def find_affected(
    *, datamap: DataMap, datastores: Datastores, datasets: Sequence[str], list_people: bool = False
) -> Affected:
    """Count (and optionally list) the people behind every record of `datasets`."""
    tracer = _Tracer(datamap, datastores)
    records: dict[str, int] = {}
    for did in datasets:
        records[did] = tracer.read_dataset(did)
    persons, unidentified = tracer.people()
    chosen = [datamap.datasets[d] for d in datasets]
    return Affected(
        people=len(persons),
        records=records,
        unidentified=unidentified,
        categories=sorted({f.category for d in chosen for f in d.fields.values()}),
        subjects=sorted({d.subject for d in chosen}),
        clients=sorted({c for d in chosen if (c := d.client_id())}),
        persons=persons if list_people else [],
    )


class _Tracer:
    def __init__(self, datamap: DataMap, datastores: Datastores) -> None:
        self.datamap = datamap
        self.datastores = datastores
        self.kinds = identity_types(datamap)
        self.country = datamap.organization.address.country
        self.edges_to: dict[str, list[Edge]] = defaultdict(list)
        self.looked_up: dict[str, set[str]] = defaultdict(set)  # fields records are found by
        for edge in reference_edges(datamap):
            self.edges_to[edge.target].append(edge)
            self.looked_up[edge.source].add(edge.source_field)
        self.nodes: dict[NodeKey, _Node] = {}
        self.by_field: dict[tuple[str, str, Any], list[NodeKey]] = {}
        self.fetched: set[tuple[str, str, Any]] = set()
        self.affected: dict[str, set[NodeKey]] = defaultdict(set)

    # -- reading ------------------------------------------------------------------------------

    def read_dataset(self, did: str) -> int:
        """Read every record of an affected dataset (and the records it leads to)."""
        count = 0
        for page in self._pages(did):
            keys = self._observe(did, page)
            self.affected[did].update(keys)
            count += len(keys)
            self._resolve_parents(keys)
        return count

    def _columns(self, did: str) -> list[str]:
        dataset = self.datamap.datasets[did]
        wanted = [*dataset.key_fields(), *(n for _, n in self._identity_fields(dataset))]
        wanted += [e.target_field for e in self.edges_to[did]]
        return list(dict.fromkeys(wanted))

    def _identity_fields(self, dataset: Dataset) -> list[tuple[str, str]]:
        """(identity type, field) pairs, leaving out fields that are about other people."""
        return [
            (kind, name)
            for kind, names in dataset.identity_fields().items()
            for name in names
            if not (name in dataset.fields and dataset.fields[name].about_others)
        ]

    def _pages(self, did: str) -> Iterator[list[Row]]:
        dataset = self.datamap.datasets[did]
        table, key, columns = dataset.table or did, dataset.key_fields(), self._columns(did)

        def page_after(after: Any) -> list[Row]:
            return self.datastores.read(
                dataset.system,
                lambda c: c.scan(table, key=key, columns=columns, after=after, limit=PAGE),
            )

        page = page_after(None)
        while page:
            yield page
            page = page_after(key_value(page[-1], key))

    def _observe(self, did: str, rows: Iterable[Row]) -> list[NodeKey]:
        dataset = self.datamap.datasets[did]
        found: list[NodeKey] = []
        for row in rows:
            node_key = (did, key_value(row, dataset.key_fields()))
            found.append(node_key)
            if node_key not in self.nodes:
                self.nodes[node_key] = self._node(did, dataset, row)
                for name in self.looked_up[did]:
                    index = (did, name, _hashable(row.get(name)))
                    self.by_field.setdefault(index, []).append(node_key)
        return found

    def _node(self, did: str, dataset: Dataset, row: Row) -> _Node:
        shown = []
        values = set()
        for kind, name in self._identity_fields(dataset):
            normal = self._normal(kind, row.get(name))
            if normal is not None:
                values.add(normal)
                shown.append((kind, normal[1]))
        refs = [
            (edge.source, edge.source_field, _hashable(row[edge.target_field]))
            for edge in self.edges_to[did]
            if row.get(edge.target_field) is not None
        ]
        return _Node(frozenset(values), tuple(shown), refs)

    def _normal(self, kind: str, raw: Any) -> Value | None:
        if raw is None or not str(raw).strip():
            return None
        text = str(raw).strip()
        how = self.kinds.get(kind, IdentityKind.text)
        try:
            if how is IdentityKind.email:
                return ("email", stored_email(text))
            if how is IdentityKind.phone:
                return ("phone", to_e164(text, default_country=self.country))
        except (ValueError, PhoneNumberError):
            return None
        return (kind, text)

    def _resolve_parents(self, keys: Iterable[NodeKey]) -> None:
        """Fetch the records these records reference (in batches), to any depth."""
        pending = list(keys)
        while pending:
            wanted: dict[tuple[str, str], set[Any]] = defaultdict(set)
            for node_key in pending:
                for source, source_field, value in self.nodes[node_key].refs:
                    if (source, source_field, value) not in self.fetched:
                        wanted[(source, source_field)].add(value)
            pending = []
            for (source, source_field), values in wanted.items():
                self.fetched.update((source, source_field, v) for v in values)
                pending += self._fetch(source, source_field, sorted(values, key=str))

    def _fetch(self, did: str, name: str, values: list[Any]) -> list[NodeKey]:
        dataset = self.datamap.datasets[did]
        system = self.datamap.systems.get(dataset.system)
        if system is None or system.connection is None:
            return []  # a system kept by hand: its records are not read
        table, columns = dataset.table or did, self._columns(did)
        rows = self.datastores.read(
            dataset.system, lambda c: c.fetch(table, where={name: values}, columns=columns)
        )
        return [k for k in self._observe(did, rows) if k not in self.affected[did]]

    # -- counting -----------------------------------------------------------------------------

    def people(self) -> tuple[list[Person], int]:
        """The people behind the affected records, and the records that name no one."""
        self._link_parents()
        shared = self._shared_values()
        union = _UnionFind()
        anchors: dict[NodeKey, set[Value]] = {}
        unidentified = 0
        for did, keys in self.affected.items():
            for node_key in keys:
                found = self._anchors(node_key, shared, union, anchors, set())
                if not found:
                    unidentified += 1
                for value in found:
                    union.note(value, did)
        return union.persons(self._shown(shared)), unidentified

    def _link_parents(self) -> None:
        for node in self.nodes.values():
            node.parents = [
                parent
                for source, source_field, value in node.refs
                for parent in self.by_field.get((source, source_field, value), [])
            ]

    def _group(self, node_key: NodeKey, seen: set[NodeKey]) -> NodeKey | None:
        """The record at the top of this record's references (itself when it has none)."""
        node = self.nodes[node_key]
        if not node.parents:
            return None if self._orphan(node_key) else node_key
        for parent in node.parents:
            if parent not in seen:
                return self._group(parent, seen | {node_key})
        return node_key

    def _orphan(self, node_key: NodeKey) -> bool:
        """A record whose dataset references a parent, though this one references none (a
        call nobody was matched to): it cannot vouch that a value belongs to one person."""
        return any(e.owner == node_key[0] for e in self.edges_to[node_key[0]])

    def _shared_values(self) -> set[Value]:
        groups: dict[Value, set[NodeKey]] = defaultdict(set)
        for node_key, node in self.nodes.items():
            group = self._group(node_key, set())
            if group is not None:
                for value in node.values:
                    groups[value].add(group)
        return {value for value, found in groups.items() if len(found) > 1}

    def _anchors(
        self,
        node_key: NodeKey,
        shared: set[Value],
        union: _UnionFind,
        memo: dict[NodeKey, set[Value]],
        seen: set[NodeKey],
    ) -> set[Value]:
        """The values naming the person(s) a record is about (one per person)."""
        if node_key in memo:
            return memo[node_key]
        node = self.nodes[node_key]
        own = sorted(node.values - shared)
        if own:
            union.join(own)
            found = {own[0]}
        else:
            found = set()
            for parent in node.parents:
                if parent not in seen:
                    found |= self._anchors(parent, shared, union, memo, seen | {node_key})
        memo[node_key] = found
        return found

    def _shown(self, shared: set[Value]) -> dict[Value, set[tuple[str, str]]]:
        shown: dict[Value, set[tuple[str, str]]] = defaultdict(set)
        for node in self.nodes.values():
            for value in node.values - shared:
                shown[value].update(node.shown)
        return shown


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Value, Value] = {}
        self.datasets: dict[Value, set[str]] = defaultdict(set)

    def find(self, value: Value) -> Value:
        self.parent.setdefault(value, value)
        while self.parent[value] != value:
            self.parent[value] = self.parent[self.parent[value]]
            value = self.parent[value]
        return value

    def join(self, values: Sequence[Value]) -> None:
        first = self.find(values[0])
        for value in values[1:]:
            root = self.find(value)
            if root != first:
                self.parent[root] = first

    def note(self, value: Value, dataset: str) -> None:
        self.datasets[self.find(value)].add(dataset)

    def persons(self, shown: dict[Value, set[tuple[str, str]]]) -> list[Person]:
        """One person per group of joined values that some affected record names."""
        datasets: dict[Value, set[str]] = defaultdict(set)
        for value, found in self.datasets.items():
            datasets[self.find(value)] |= found
        members: dict[Value, set[tuple[str, str]]] = defaultdict(set)
        for value in list(self.parent):
            root = self.find(value)
            if root in datasets:
                members[root] |= shown.get(value, set())
        people = [Person(sorted(members[r]), sorted(ds)) for r, ds in datasets.items()]
        return sorted(people, key=lambda p: p.values)


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
