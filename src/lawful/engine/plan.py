"""The plan: which datasets are read, in which order, with which keys — a pure function of the
data map and the identity. Nothing is touched while planning.

Datasets are nodes and declared references are edges (`lawful.datamap.graph`). Traversal
starts at datasets holding one of the person's identity types and follows edges only in their
declared direction; cycles are allowed (the collector runs to a fixed point).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from lawful.datamap.graph import Edge, reference_edges
from lawful.datamap.models import DataMap, Dataset
from lawful.engine.identity import Identity


@dataclass(frozen=True)
class Lookup:
    """How rows of a dataset are found: by an identity value, or from rows of another dataset.

    `owned` lookups find the person's own rows (identity, or parent → child references);
    the others find rows their rows point at (a shared address, a card), which may also be
    about other people and so are never followed back to other people's rows.
    """

    field: str
    identity_type: str | None = None
    source: str | None = None
    source_field: str | None = None
    owned: bool = True

    def describe(self) -> str:
        if self.identity_type is not None:
            return f"{self.field} = the person's {self.identity_type}"
        shared = "" if self.owned else " (rows they point at; may be shared)"
        return f"{self.field} ∈ {self.source}.{self.source_field}{shared}"


@dataclass(frozen=True)
class PlanStep:
    dataset: str
    system: str
    table: str
    primary_key: str
    columns: tuple[str, ...]
    lookups: tuple[Lookup, ...]
    depth: int


@dataclass(frozen=True)
class Forward:
    """A dataset we hold for a client: never touched, the request goes to the client."""

    dataset: str
    client: str
    client_name: str
    method: str
    address: str


@dataclass(frozen=True)
class Manual:
    """A dataset the engine cannot reach (no connection): staff handle it by hand."""

    dataset: str
    system: str
    reason: str


@dataclass(frozen=True)
class Plan:
    identity: Identity
    steps: tuple[PlanStep, ...]
    forwards: tuple[Forward, ...]
    manual: tuple[Manual, ...]

    def step(self, dataset: str) -> PlanStep:
        return next(s for s in self.steps if s.dataset == dataset)

    def datasets(self) -> list[str]:
        return [s.dataset for s in self.steps]

    def systems(self) -> list[str]:
        return list(dict.fromkeys(s.system for s in self.steps))


_EDGES: dict[int, tuple[DataMap, list[Edge]]] = {}


def map_edges(datamap: DataMap) -> list[Edge]:
    """`reference_edges(datamap)`, computed once per loaded map (a worker plans many runs)."""
    known = _EDGES.get(id(datamap))
    if known is None or known[0] is not datamap:
        known = (datamap, reference_edges(datamap))
        _EDGES.clear()  # one map at a time in practice; never grows
        _EDGES[id(datamap)] = known
    return known[1]


def build_plan(*, datamap: DataMap, identity: Identity) -> Plan:
    """Plan the traversal for `identity` over the datasets of `datamap`."""
    edges = map_edges(datamap)
    depth = _reach(datamap, edges, identity)
    readable = {d for d in depth if _readable(datamap, datamap.datasets[d])}
    steps, forwards, manual = [], [], []
    for did in sorted(depth, key=lambda d: (depth[d], list(datamap.datasets).index(d))):
        dataset = datamap.datasets[did]
        if dataset.client_id() is not None:
            forwards.append(_forward(datamap, did, dataset))
        elif _connection_missing(datamap, dataset):
            manual.append(Manual(did, dataset.system, "its system has no `connection`"))
        else:
            lookups = _lookups(did, dataset, edges, identity, readable=readable)
            steps.append(_step(did, dataset, lookups, depth[did]))
    return Plan(identity, tuple(steps), tuple(forwards), tuple(manual))


def _reach(datamap: DataMap, edges: list[Edge], identity: Identity) -> dict[str, int]:
    """Breadth-first depth of every dataset reachable from the identity. Traversal stops at
    datasets it cannot read (a client's, or without connection)."""
    types = set(identity.types())
    starts = [d for d, ds in datamap.datasets.items() if types & set(ds.identities)]
    depth = dict.fromkeys(starts, 0)
    queue = deque(starts)
    while queue:
        current = queue.popleft()
        if not _readable(datamap, datamap.datasets[current]):
            continue
        for edge in edges:
            if edge.source == current and edge.target not in depth:
                depth[edge.target] = depth[current] + 1
                queue.append(edge.target)
    return depth


def _lookups(
    did: str, dataset: Dataset, edges: list[Edge], identity: Identity, *, readable: set[str]
) -> tuple[Lookup, ...]:
    found = [
        Lookup(field=field, identity_type=kind)
        for kind, field in dataset.identities.items()
        if identity.of(kind)
    ]
    found += [
        Lookup(
            field=e.target_field,
            source=e.source,
            source_field=e.source_field,
            owned=e.owner == e.target,  # the reference is written on this side: child rows
        )
        for e in edges
        if e.target == did and e.source in readable
    ]
    return tuple(found)


def _step(did: str, dataset: Dataset, lookups: tuple[Lookup, ...], depth: int) -> PlanStep:
    columns = tuple(dict.fromkeys([dataset.primary_key, *dataset.fields]))
    return PlanStep(
        dataset=did,
        system=dataset.system,
        table=dataset.table or did,
        primary_key=dataset.primary_key,
        columns=columns,
        lookups=lookups,
        depth=depth,
    )


def _readable(datamap: DataMap, dataset: Dataset) -> bool:
    """Ours and connected: the engine reads it (a client's dataset is never touched)."""
    return dataset.client_id() is None and not _connection_missing(datamap, dataset)


def _connection_missing(datamap: DataMap, dataset: Dataset) -> bool:
    system = datamap.systems.get(dataset.system)
    return system is None or system.connection is None


def _forward(datamap: DataMap, did: str, dataset: Dataset) -> Forward:
    client_id = dataset.client_id() or ""
    client = datamap.clients.get(client_id)
    return Forward(
        dataset=did,
        client=client_id,
        client_name=client.name if client else client_id,
        method=client.forward.method.value if client else "",
        address=client.forward.address if client else "",
    )


def change_order(*, datamap: DataMap, plan: Plan) -> list[str]:
    """Datasets in the order changes are applied: rows that hold a reference before the rows
    they reference (children before parents), so deletions never break a foreign key.
    Within a reference cycle, deeper datasets go first."""
    planned = {s.dataset: s.depth for s in plan.steps}
    holds: dict[str, set[str]] = {d: set() for d in planned}  # parent → children
    for edge in map_edges(datamap):
        parent = edge.target if edge.owner == edge.source else edge.source
        if edge.owner in planned and parent in planned and parent != edge.owner:
            holds[parent].add(edge.owner)
    order: list[str] = []
    remaining = dict(planned)
    while remaining:
        free = [d for d in remaining if not (holds[d] & set(remaining))]
        pick = free or [max(remaining, key=lambda d: remaining[d])]  # break a cycle
        for did in sorted(pick, key=lambda d: (-remaining[d], d)):
            order.append(did)
            del remaining[did]
    return order
