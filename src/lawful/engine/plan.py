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
from lawful.engine.identity import Identity, IdentityKind, identity_types


@dataclass(frozen=True)
class Lookup:
    """How rows of a dataset are found: by an identity value, or from rows of another dataset.

    `owned` lookups find the person's own rows (identity, or parent → child references);
    the others find rows their rows point at (a shared address, a card), which may also be
    about other people and so are never followed back to other people's rows.
    """

    fields: tuple[str, ...]
    identity_type: str | None = None
    source: str | None = None
    source_fields: tuple[str, ...] = ()
    owned: bool = True
    casefold: bool = False  # an email: matched trimmed and case-insensitively

    def describe(self) -> str:
        mine, theirs = _columns(self.fields), _columns(self.source_fields)
        if self.identity_type is not None:
            return f"{mine} = the person's {self.identity_type}"
        shared = "" if self.owned else " (rows they point at; may be shared)"
        return f"{mine} ∈ {self.source}.{theirs}{shared}"


@dataclass(frozen=True)
class Owner:
    """A dataset's owning link: a row is the person's when it leads to the person.

    `how`: `identity` (the row holds the person's identity), `marked` (the map marks the
    reference `owner: true`) or `nearest` (the reference to the dataset nearest an
    identity, chosen by the engine). Without an owner, the dataset's rows are rows the
    person's rows point at (an address): theirs while one of their rows points at them.
    """

    how: str
    source: str | None = None
    source_fields: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.source is None:
            return "holds the person's identity"
        link = f"{_columns(self.fields)} → {self.source}.{_columns(self.source_fields)}"
        if self.how == "marked":
            return f"{link} (marked `owner: true`)"
        return f"{link} (nearest to an identity; mark a reference `owner: true` to choose)"


def _columns(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"({', '.join(names)})"


@dataclass(frozen=True)
class PlanStep:
    dataset: str
    system: str
    table: str
    primary_key: tuple[str, ...]
    columns: tuple[str, ...]
    lookups: tuple[Lookup, ...]
    depth: int
    owner: Owner | None = None


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
    # Read once per plan, not once per dataset: a plan is made for every request.
    emails = {k for k, how in identity_types(datamap).items() if how is IdentityKind.email}
    order = {d: n for n, d in enumerate(datamap.datasets)}
    steps, forwards, manual = [], [], []
    for did in sorted(depth, key=lambda d: (depth[d], order[d])):
        dataset = datamap.datasets[did]
        if dataset.client_id() is not None:
            forwards.append(_forward(datamap, did, dataset))
        elif _connection_missing(datamap, dataset):
            manual.append(Manual(did, dataset.system, "its system has no `connection`"))
        else:
            lookups = _lookups(datamap, did, edges, identity, readable=readable, emails=emails)
            owner = _owner(did, lookups, edges, depth, readable=readable)
            steps.append(_step(did, dataset, lookups, depth[did], owner))
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
    datamap: DataMap,
    did: str,
    edges: list[Edge],
    identity: Identity,
    *,
    readable: set[str],
    emails: set[str],
) -> tuple[Lookup, ...]:
    dataset = datamap.datasets[did]
    found = [
        Lookup(fields=(field,), identity_type=kind, casefold=kind in emails)
        for kind, names in dataset.identity_fields().items()
        if identity.of(kind)
        for field in names  # every column holding this identity is searched
    ]
    found += [
        Lookup(
            fields=e.target_fields,
            source=e.source,
            source_fields=e.source_fields,
            owned=e.owner == e.target,  # the reference is written on this side: child rows
        )
        for e in edges
        if e.target == did and e.source in readable
    ]
    return tuple(found)


def _owner(
    did: str,
    lookups: tuple[Lookup, ...],
    edges: list[Edge],
    depth: dict[str, int],
    *,
    readable: set[str],
) -> Owner | None:
    """The link that says whose a row of `did` is (see DESIGN.md, "Whose row is it")."""
    # References written on this dataset, to a dataset the plan reads: (parent, theirs, mine).
    links = [
        (e, (e.source, e.source_fields, e.target_fields))
        if e.target == did
        else (e, (e.target, e.target_fields, e.source_fields))
        for e in edges
        if e.owner == did and (e.source if e.target == did else e.target) in readable
    ]
    links = [(e, link) for e, link in links if link[0] in depth and link[0] != did]
    marked = [link for e, link in links if e.marked_owner]
    if marked:
        return Owner("marked", *marked[0])
    if any(lk.identity_type is not None for lk in lookups):
        return Owner("identity")
    owned = [link for e, link in links if e.target == did]  # parent → child references
    if not owned:
        return None
    nearest = min(owned, key=lambda link: depth[link[0]])  # ties: the first declared
    return Owner("nearest", *nearest)


def _step(
    did: str, dataset: Dataset, lookups: tuple[Lookup, ...], depth: int, owner: Owner | None
) -> PlanStep:
    columns = tuple(dict.fromkeys([*dataset.key_fields(), *dataset.fields]))
    return PlanStep(
        dataset=did,
        system=dataset.system,
        table=dataset.table or did,
        primary_key=dataset.key_fields(),
        columns=columns,
        lookups=lookups,
        depth=depth,
        owner=owner,
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
