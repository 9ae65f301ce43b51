"""The dataset graph: datasets are nodes, declared references are traversal edges."""

from __future__ import annotations

from dataclasses import dataclass

from lawful.datamap.models import DataMap


@dataclass(frozen=True)
class Edge:
    """Traverse from `source` rows to `target` rows: target.target_field IN source.source_field.

    `owner.field` is where the reference was written (for error positions).
    """

    source: str
    source_field: str
    target: str
    target_field: str
    owner: str
    field: str
    # A reference over several columns: further (source field, target field) pairs matched
    # together with the first.
    also: tuple[tuple[str, str], ...] = ()
    marked_owner: bool = False  # `owner: true` on the reference

    @property
    def source_fields(self) -> tuple[str, ...]:
        return (self.source_field, *(s for s, _ in self.also))

    @property
    def target_fields(self) -> tuple[str, ...]:
        return (self.target_field, *(t for _, t in self.also))


def reference_edges(datamap: DataMap) -> list[Edge]:
    """Every traversal edge the map declares, in declaration order.

    A reference on `orders.customer_id` to `customers.id` with direction `from` (the default)
    means orders are found from customers; with `to`, the customer is found from the order.
    """
    edges: list[Edge] = []
    for did, dataset in datamap.datasets.items():
        for name, field in dataset.fields.items():
            if field.references is None:
                continue
            target, _, target_field = field.references.to.partition(".")
            if target not in datamap.datasets:
                continue  # reported by the checks (R002)
            pairs = tuple(field.references.also.items())  # (this dataset's, the target's)
            marked = field.references.owner
            if field.references.direction == "from":
                also = tuple((theirs, mine) for mine, theirs in pairs)
                edges.append(Edge(target, target_field, did, name, did, name, also, marked))
            else:
                edges.append(Edge(did, name, target, target_field, did, name, pairs, marked))
    return edges
