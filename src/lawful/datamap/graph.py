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


@dataclass(frozen=True)
class ParentLink:
    """An event dated by the row a dataset hangs off: `events: {placed: orders.placed_at}`
    on `order_lines`, through its reference `order_id → orders.id`. The fields `columns` of
    the dataset hold the values of the parent's fields `key`."""

    parent: str
    field: str
    columns: tuple[str, ...]
    key: tuple[str, ...]


@dataclass(frozen=True)
class LinkProblem:
    """Why `dataset.field` cannot date a dataset's rows: a check code, what, how to fix."""

    code: str
    message: str
    hint: str


def parent_date(datamap: DataMap, did: str, event: str) -> ParentLink | LinkProblem | None:
    """Resolve an event's `dataset.field` through the dataset's own reference to that
    dataset; None when the event names a field of the dataset itself (or an unknown one)."""
    dataset = datamap.datasets[did]
    parent, dot, field = event.partition(".")
    if event in dataset.fields or not dot:
        return None
    if parent not in datamap.datasets:
        return LinkProblem(
            "R002",
            f"event date `{event}` names the unknown dataset `{parent}`",
            f"write `<dataset>.<date field>` with a dataset of `datasets:` ({', '.join(sorted(datamap.datasets))})",
        )
    if field not in datamap.datasets[parent].fields:
        return LinkProblem(
            "R003",
            f"event date `{event}` names the unknown field `{field}` of `{parent}`",
            f"fields of `{parent}`: {', '.join(datamap.datasets[parent].fields)}",
        )
    links = [
        ParentLink(parent, field, (name, *ref.also), (to_field, *ref.also.values()))
        for name, spec in dataset.fields.items()
        if (ref := spec.references) is not None
        for target, _, to_field in [ref.to.partition(".")]
        if target == parent
    ]
    if len(links) != 1:
        return _no_single_link(did, parent, event, links)
    if datamap.datasets[parent].system != dataset.system:
        return LinkProblem(
            "R011",
            f"event date `{event}` is in system `{datamap.datasets[parent].system}`, "
            f"`{did}` in `{dataset.system}`: rows of two datastores cannot be compared",
            f"count `{did}` from a date column of its own, or keep both tables in one system",
        )
    return links[0]


def _no_single_link(did: str, parent: str, event: str, links: list[ParentLink]) -> LinkProblem:
    if not links:
        return LinkProblem(
            "R010",
            f"event date `{event}`: `{did}` has no reference to `{parent}`, so its rows "
            f"cannot be matched to the `{parent}` rows they hang off",
            f"add `references: {parent}.<key>` to the field of `{did}` that holds the key "
            f"of its `{parent}` row (with `also:` for a key over several columns)",
        )
    fields = ", ".join(f"`{link.columns[0]}`" for link in links)
    return LinkProblem(
        "R010",
        f"event date `{event}`: `{did}` references `{parent}` through several fields "
        f"({fields}), so which row dates it is ambiguous",
        f"count `{did}` from a date column of its own, or keep one reference to `{parent}`",
    )
