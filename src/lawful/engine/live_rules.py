"""The data map against the live structure of its SQL datastores (`lawful check --live`).

Pure rules: each takes the map and the live schemas read from its systems and yields
findings (code, place in the map, what, how to fix). The codes are in docs/checks.md.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from lawful.connectors.schema import IndexPart, LiveColumn, LiveSchema, LiveTable
from lawful.datamap.graph import Edge, reference_edges
from lawful.datamap.models import DataMap, Dataset, EraseStrategy
from lawful.datamap.problems import Finding
from lawful.engine.live_dates import event_dates
from lawful.engine.strategies import field_strategy

HASH_LENGTH = 32  # Keyring.erasure_hash: 128 bits in hex
RANDOM_LENGTH = {"email": len("0123456789abcdef@erased.invalid"), "text": len("erased-") + 16}


@dataclass(frozen=True)
class Declared:
    """A dataset of the map with the live table it names (None when the table is missing)."""

    id: str
    spec: Dataset
    table_name: str
    live: LiveSchema
    table: LiveTable | None


def live_findings(datamap: DataMap, schemas: Mapping[str, LiveSchema]) -> Iterator[Finding]:
    """Every finding of every live rule, for the systems whose schema was read."""
    declared = _declared(datamap, schemas)
    for item in declared:
        if item.table is None:
            yield _missing_table(item)
            continue
        yield from _columns(item)
        yield from _foreign_keys(item, declared)
        yield from _key(item)
        yield from _erase_strategies(item)
        yield from _blocked_delete(item, declared)
        yield from _identity_indexes(item)
    yield from _undeclared_referrers(declared)
    yield from _backward_walks(datamap, declared)
    yield from event_dates(datamap, schemas)


def key_columns(dataset: Dataset) -> tuple[str, ...]:
    """The map's key as a tuple of columns (one, or several for a composite key)."""
    return dataset.key_fields()


def _declared(datamap: DataMap, schemas: Mapping[str, LiveSchema]) -> list[Declared]:
    found = []
    for did, spec in datamap.datasets.items():
        live = schemas.get(spec.system)
        if live is not None:
            name = spec.table or did
            found.append(Declared(did, spec, name, live, live.table(name)))
    return found


def _at(item: Declared, *path: str | int) -> tuple[str | int, ...]:
    return ("datasets", item.id, *path)


def _missing_table(item: Declared) -> Finding:
    return Finding(
        "D002",
        _at(item, "table") if item.spec.table else _at(item),
        f"table `{item.table_name}` of `{item.id}` does not exist in system `{item.spec.system}`",
        "fix `table:` (a schema may prefix it: `sales.customers`) or create the table",
    )


def _columns(item: Declared) -> Iterator[Finding]:
    """D003: a declared field missing live; D004: a live column the map does not declare."""
    assert item.table is not None
    live = {c.name for c in item.table.columns}
    for name in item.spec.fields:
        if name not in live:
            yield Finding(
                "D003",
                _at(item, "fields", name),
                f"column `{name}` of `{item.id}` does not exist in the live table "
                f"`{item.table_name}` (it has: {', '.join(sorted(live))})",
                "fix the field's name, or remove it from the map",
            )
    for column in item.table.columns:
        if column.name not in item.spec.fields:
            yield Finding(
                "D004",
                _at(item, "fields"),
                f"live column `{item.table_name}.{column.name}` is not declared in `{item.id}`: "
                "it will never be disclosed or erased",
                f"declare `{column.name}:` under `fields:` with a `category` and an `erase` "
                "strategy (`erase: keep` if it holds nothing about the person)",
            )


def _tables_of(declared: list[Declared], system: str) -> dict[str, list[Declared]]:
    by_table: dict[str, list[Declared]] = {}
    for item in declared:
        if item.spec.system == system:
            by_table.setdefault(item.table_name, []).append(item)
    return by_table


def _foreign_keys(item: Declared, declared: list[Declared]) -> Iterator[Finding]:
    """D005: a live foreign key into a declared table, not declared as a reference."""
    assert item.table is not None
    targets = _tables_of(declared, item.spec.system)
    for fk in item.table.foreign_keys:
        for target in targets.get(fk.referred_table, []):
            pairs = list(zip(fk.columns, fk.referred_columns, strict=False))
            if all(_references(item.spec, col, f"{target.id}.{ref}") for col, ref in pairs):
                break
        else:
            if fk.referred_table not in targets:
                continue  # it points out of the map: nothing of the person's on that side
            target = targets[fk.referred_table][0]
            first = fk.columns[0]
            where = _at(item, "fields", first) if first in item.spec.fields else _at(item, "fields")
            yield Finding(
                "D005",
                where,
                f"live foreign key `{item.table_name}({', '.join(fk.columns)})` → "
                f"`{fk.referred_table}({', '.join(fk.referred_columns)})` is not declared "
                "as a reference",
                f"add `references: {target.id}.{fk.referred_columns[0]}` to field `{first}`, "
                "so requests follow the link and erasure knows the rows are tied",
            )


def _references(dataset: Dataset, column: str, target: str) -> bool:
    field = dataset.fields.get(column)
    return field is not None and field.references is not None and field.references.to == target


def _key(item: Declared) -> Iterator[Finding]:
    """D007: the map's key must name exactly one live row (the primary key, or a unique
    NOT NULL key)."""
    assert item.table is not None
    key = key_columns(item.spec)
    columns = [item.table.column(k) for k in key]
    if any(c is None for c in columns) or set(key) == set(item.table.primary_key):
        return
    if item.table.is_unique(key) and not any(c is not None and c.nullable for c in columns):
        return
    primary = item.table.primary_key
    shown = f"`{key[0]}`" if len(key) == 1 else f"[{', '.join(key)}]"
    if primary:
        suggestion = primary[0] if len(primary) == 1 else f"[{', '.join(primary)}]"
        hint = f"set `primary_key: {suggestion}` (the live primary key)"
    else:
        hint = f"give the table a primary key (or a unique NOT NULL constraint on {shown})"
    yield Finding(
        "D007",
        _at(item, "primary_key"),
        f"`{item.id}` is keyed by {shown}, which is not unique in the live table "
        f"`{item.table_name}`: one key could name several rows",
        hint,
    )


def _erase_strategies(item: Declared) -> Iterator[Finding]:
    """D008: nullify on a NOT NULL column; D009: a masked value longer than the column;
    D015: `redact` on a column that holds no text."""
    assert item.table is not None
    if item.spec.erase == "delete" or item.spec.client_id() is not None:
        return  # rows are deleted, or the client erases its own data
    key = set(key_columns(item.spec))
    for name, field in item.spec.fields.items():
        column = item.table.column(name)
        if column is None:
            continue
        spec = field_strategy(field, structural=name in key or field.references is not None)
        at = _at(item, "fields", name, "erase") if field.erase else _at(item, "fields", name)
        if spec.strategy is EraseStrategy.nullify and not column.nullable:
            how = "" if field.erase else " (the default for a field without `erase:`)"
            yield Finding(
                "D008",
                at,
                f"`{item.id}.{name}` is erased with `nullify`{how}, but the live column is "
                "NOT NULL: the erasure would fail there",
                "use `erase: hash`, `{strategy: replace, value: …}` or `keep`, "
                "or allow NULL in the column",
            )
        if spec.strategy is EraseStrategy.redact and column.case_sensitive is None:
            yield Finding(
                "D015",
                at,
                f"`{item.id}.{name}` is erased with `redact`, but the live column is "
                f"{column.type}, not text: there is no text to redact in",
                "use `nullify`, `hash` or `replace` here, or declare the text column instead",
            )
        length = _masked_length(spec.strategy, spec.value, field.category, column)
        if length is not None and column.max_length is not None and length > column.max_length:
            if item.live.backend == "sqlite":
                continue  # SQLite stores any length whatever the declared type says
            yield Finding(
                "D009",
                at,
                f"`{item.id}.{name}` is erased with `{spec.strategy.value}`, a value of "
                f"{length} characters, but the live column holds at most {column.max_length}",
                f"use a shorter `value`, `nullify` or `keep`, or widen the column ({column.type})",
            )


def _masked_length(
    strategy: EraseStrategy, value: str | None, category: str, column: LiveColumn
) -> int | None:
    if column.case_sensitive is None:
        return None  # not a text column
    if strategy is EraseStrategy.replace_ and value is not None:
        return len(value)
    if strategy is EraseStrategy.hash:
        return HASH_LENGTH
    if strategy is EraseStrategy.random:
        return RANDOM_LENGTH["email" if category.startswith("contact.email") else "text"]
    return None


def _blocked_delete(item: Declared, declared: list[Declared]) -> Iterator[Finding]:
    """D010: rows deleted on erasure that another table's foreign key refuses to let go."""
    if item.spec.erase != "delete" or item.spec.client_id() is not None:
        return
    tables = _tables_of(declared, item.spec.system)
    for referrer, fk in item.live.referrers(item.table_name):
        holders = tables.get(referrer.name, [])
        if not fk.restricts_delete or referrer.name == item.table_name:
            continue
        if holders and all(h.spec.erase == "delete" for h in holders):
            continue  # its rows are deleted too, children before parents
        yield Finding(
            "D010",
            _at(item, "erase"),
            f"rows of `{item.id}` are deleted on erasure, but `{referrer.name}"
            f"({', '.join(fk.columns)})` references them with ON DELETE {fk.on_delete}: "
            "the database refuses the delete while such a row exists",
            f"declare `{referrer.name}` with `erase: delete` and a reference to `{item.id}` "
            "so its rows go first, erase with `erase: mask`, or make the foreign key "
            "ON DELETE CASCADE or SET NULL",
        )


def _undeclared_referrers(declared: list[Declared]) -> Iterator[Finding]:
    """D006: a table the map does not declare points into a declared one: rows are shared."""
    for item in declared:
        tables = _tables_of(declared, item.spec.system)
        if item.table is None or tables[item.table_name][0] is not item:
            continue
        for referrer, fk in item.live.referrers(item.table_name):
            if referrer.name in tables:
                continue
            yield Finding(
                "D006",
                _at(item, "table") if item.spec.table else _at(item),
                f"table `{referrer.name}`, not in the map, references `{item.table_name}` "
                f"through `{', '.join(fk.columns)}`: a `{item.id}` row it points at is "
                "shared with it, and erasing that row changes its data",
                f"declare `{referrer.name}` as a dataset with `references: "
                f"{item.id}.{fk.referred_columns[0]}`, so shared rows are seen and kept",
            )


def _backward_walks(datamap: DataMap, declared: list[Declared]) -> Iterator[Finding]:
    """D011: a dataset found from two parents. Walked from the farther one (a payment from
    its rental), a many-to-one key leads backwards into rows that other people own."""
    edges = reference_edges(datamap)
    depth = _identity_depth(datamap, edges)
    by_id = {item.id: item for item in declared}
    for item in declared:
        incoming = [e for e in edges if e.target == item.id and e.owner == item.id]
        parents = sorted(incoming, key=lambda e: depth.get(e.source, len(depth) + 1))
        if item.table is None or len({e.source for e in parents}) < 2:
            continue
        owning = parents[0]
        nearest = depth.get(owning.source, len(depth) + 1)
        for edge in parents[1:]:
            if depth.get(edge.source, len(depth) + 1) <= nearest:
                continue  # as near an identity as the owning link: no side is backwards
            if not _many_to_one(item, by_id.get(edge.source), edge):
                continue
            yield Finding(
                "D011",
                _at(item, "fields", edge.field, "references"),
                f"`{item.id}` is found from `{edge.source}` through `{edge.field}`: walked "
                f"backwards, this many-to-one key reaches `{item.id}` rows that belong to "
                f"other people through `{owning.field}` (their link to `{owning.source}`)",
                f"add `direction: to` (find the `{edge.source}` row from `{item.id}`) or drop "
                f"the reference, so `{item.id}` rows are found through `{owning.field}` only",
            )


def _many_to_one(child: Declared, parent: Declared | None, edge: Edge) -> bool:
    """The child's column is not unique live, and the parent's column is (or is unknown)."""
    assert child.table is not None
    if child.table.column(edge.target_field) is None or child.table.is_unique([edge.target_field]):
        return False
    if parent is None or parent.table is None:
        return True
    return parent.table.is_unique([edge.source_field])


def _identity_depth(datamap: DataMap, edges: list[Edge]) -> dict[str, int]:
    depth = {did: 0 for did, d in datamap.datasets.items() if d.identities}
    queue = deque(depth)
    while queue:
        current = queue.popleft()
        for edge in edges:
            if edge.source == current and edge.target not in depth:
                depth[edge.target] = depth[current] + 1
                queue.append(edge.target)
    return depth


# --- D012: identities need an index that matches case-insensitively ---------------------------

_CAST = re.compile(r"::[a-z ]+(\([0-9]+\))?")


def _identity_indexes(item: Declared) -> Iterator[Finding]:
    """D012: an email identity must be found through an index whatever its case."""
    assert item.table is not None
    for kind, names in item.spec.identity_fields().items():
        yield from _identity_index(item, kind, names)


def _identity_index(item: Declared, kind: str, names: tuple[str, ...]) -> Iterator[Finding]:
    assert item.table is not None
    for name in names:
        column = item.table.column(name)
        if "email" not in kind or column is None or column.case_sensitive is None:
            continue
        if _case_blind_index(item.table, column):
            continue
        yield Finding(
            "D012",
            _at(item, "identities", kind),
            f"identity `{kind}` of `{item.id}` (`{item.table_name}.{name}`) has no index that "
            "matches it case-insensitively: finding a person reads the whole table",
            f"run `{create_index(item.live.backend, item.table_name, column)}`",
        )


def _case_blind_index(table: LiveTable, column: LiveColumn) -> bool:
    # The engine compares `lower(trim(column))` (connectors/sql/): only an index on that very
    # expression serves it on PostgreSQL and SQLite.
    # Both sides normalized alike (`_normalized` folds doubled parentheses).
    wanted = {_normalized(f"lower(trim({column.name}))")}
    leading = [i.parts[0] for i in table.indexes if i.parts]
    if table.primary_key:
        leading.append(IndexPart(table.primary_key[0]))
    for part in leading:
        if part.expression and _normalized(part.text) in wanted:
            return True
        blind = column.case_sensitive is False or (part.collation or "").upper() == "NOCASE"
        if not part.expression and part.text == column.name and blind:
            return True
    return False


def _normalized(expression: str) -> str:
    """`lower((email)::text)`, `lower(TRIM(BOTH FROM email))` → `lower(email)`, `lower(trim(email))`."""
    text = _CAST.sub("", expression.lower())
    text = re.sub(r"[\s\"`]", "", text).replace("trim(bothfrom", "trim(")
    while "((" in text or "))" in text:
        text = text.replace("((", "(").replace("))", ")")
    return text


def create_index(backend: str, table: str, column: LiveColumn, *, if_missing: bool = False) -> str:
    """The statement that gives `column` an index for case-insensitive matching; with
    `if_missing`, one that does nothing when the index exists (`CREATE INDEX IF NOT EXISTS`)."""
    bare = table.rpartition(".")[2]
    index = re.sub(r"[^a-z0-9_]", "_", f"{bare}_{column.name}_ci".lower())
    if if_missing:
        index = f"IF NOT EXISTS {index}"
    if backend in ("mysql", "mariadb"):
        create = f"CREATE INDEX {index} ON {_q(table, '`')} ({_q(column.name, '`')});"
        if column.case_sensitive is False:
            return create
        kind = re.split(r" CHARACTER SET | COLLATE ", column.type)[0]
        charset = (column.collation or "utf8mb4").split("_")[0]
        null = "" if column.nullable else " NOT NULL"
        return (
            f"ALTER TABLE {_q(table, '`')} MODIFY {_q(column.name, '`')} {kind} "
            f"COLLATE {charset}_general_ci{null}; {create}"
        )
    quoted_table, quoted = _q(table, '"'), _q(column.name, '"')
    return f"CREATE INDEX {index} ON {quoted_table} (lower(trim({quoted})));"


def _q(name: str, mark: str) -> str:
    """An identifier as written in SQL: bare when plain lowercase, else quoted."""
    return ".".join(
        part if re.fullmatch(r"[a-z_][a-z0-9_]*", part) else f"{mark}{part}{mark}"
        for part in name.split(".")
    )
