"""Write a scan as a draft data map (YAML with comments): datasets, fields with categories,
identities, keys, references, erase strategies each column accepts.

The comments say where each guess comes from (name, values, both; how many sampled values
matched) and never hold a value. The draft passes `lawful check` once the organisation is
filled in; retention rules are the user's decision, so the draft silences L007 until then —
and, where it found special (GDPR Art. 9) or criminal (Art. 10) data, L002 and L003, whose
conditions only the user can name: the comment above `checks:` says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lawful.connectors.schema import LiveColumn, LiveTable
from lawful.datamap.models import DataMap, Sensitivity
from lawful.datamap.taxonomy import default_categories
from lawful.discovery.classify import FREE_TEXT, ColumnClass
from lawful.discovery.scan import ScannedSystem, ScannedTable

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_RESERVED = {"yes", "no", "true", "false", "null", "on", "off", "y", "n", "~"}
_DATE_TYPES = re.compile(r"DATE|TIME", re.IGNORECASE)


@dataclass(frozen=True)
class DraftField:
    name: str
    category: str
    erase: str
    note: str
    reference: str | None = None
    free_text: bool = False  # free text filed under another category (a call's transcript)


def scalar(value: str) -> str:
    """`value` as a YAML scalar: plain when safe, else a JSON (double-quoted) string."""
    return value if _PLAIN.match(value) and value.lower() not in _RESERVED else json.dumps(value)


def dataset_ids(systems: list[ScannedSystem]) -> dict[tuple[str, str], str]:
    """A dataset id per (system, table): the table's name, prefixed by the system when two
    systems have a table of that name."""
    names = [(s.system, t.table.name) for s in systems for t in s.tables]
    plain = [_id(table) for _, table in names]
    return {
        (system, table): _id(f"{system}_{table}") if plain.count(_id(table)) > 1 else _id(table)
        for system, table in names
    }


def _id(name: str) -> str:
    cleaned = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "table"
    return cleaned if cleaned[0].isalpha() else f"t_{cleaned}"


def draft_fields(table: ScannedTable, references: dict[str, str]) -> list[DraftField]:
    primary = set(table.table.primary_key)
    foreign = {c for fk in table.table.foreign_keys for c in fk.columns}
    return [
        _field(column, table.columns[column.name], primary, foreign, references.get(column.name))
        for column in table.table.columns
    ]


def _field(
    column: LiveColumn,
    found: ColumnClass,
    primary: set[str],
    foreign: set[str],
    reference: str | None,
) -> DraftField:
    evidence = (
        f"{found.evidence}: {found.matched} of {found.sampled} sampled values"
        if found.evidence != "name"
        else "name"
    )
    if column.name in primary | foreign or reference is not None:
        note = "key" if column.name in primary else "reference"
        if reference is None and column.name not in primary:
            note = "foreign key left out: it would close a cycle (check --live says D005)"
        return DraftField(column.name, "identifier.internal", "keep", note, reference)
    if not found.personal:
        category = "record.timestamp" if _DATE_TYPES.search(column.type) else "record"
        return DraftField(column.name, category, "keep", f"not personal? ({evidence})")
    assert found.category is not None
    return DraftField(
        column.name,
        found.category,
        erase_for(column),
        f"{evidence}, confidence {found.confidence}",
        free_text=found.free_text and found.category != FREE_TEXT,
    )


def erase_for(column: LiveColumn) -> str:
    """An erase strategy the column accepts (as YAML): nullify only where NULL is allowed."""
    if column.nullable:
        return "nullify"
    if _DATE_TYPES.search(column.type):
        return "truncate_date"
    if column.max_length is not None and column.max_length < len("[erased]"):
        return '{strategy: replace, value: ""}'
    return '{strategy: replace, value: "[erased]"}'


def inferred_references(
    systems: list[ScannedSystem], ids: dict[tuple[str, str], str]
) -> dict[tuple[str, str], dict[str, str]]:
    """(system, table) → {column: "dataset.column"}: live foreign keys, else a column named
    like another table's one-column primary key in the same system; no self-reference and no
    edge closing a cycle (the map's references form no cycle)."""
    found: dict[tuple[str, str], dict[str, str]] = {}
    edges: dict[str, set[str]] = {}
    for system in systems:
        by_key = {
            t.table.primary_key[0]: t.table for t in system.tables if len(t.table.primary_key) == 1
        }
        for scanned in system.tables:
            table = scanned.table
            refs = found.setdefault((system.system, table.name), {})
            for column, target, target_column in _links(table, by_key):
                source, dest = ids[(system.system, table.name)], ids.get((system.system, target))
                if (
                    dest is None
                    or dest == source
                    or column in refs
                    or _reaches(edges, dest, source)
                ):
                    continue
                refs[column] = f"{dest}.{target_column}"
                edges.setdefault(source, set()).add(dest)
    return found


def _links(table: LiveTable, by_key: dict[str, LiveTable]) -> Iterator[tuple[str, str, str]]:
    for fk in table.foreign_keys:
        if len(fk.columns) == 1:
            yield fk.columns[0], fk.referred_table, fk.referred_columns[0]
    for column in table.columns:
        other = by_key.get(column.name)
        if other is not None and other.name != table.name and column.name not in table.primary_key:
            yield column.name, other.name, column.name


def _reaches(edges: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return False


def render_draft(systems: list[ScannedSystem], *, datamap: DataMap | None) -> str:
    """The draft map's YAML text."""
    ids = dataset_ids(systems)
    references = inferred_references(systems, ids)
    lines = [
        "# Draft data map written by `lawful scan`. Every category is a guess: the comment after",
        "# each field says from what (its name, its values, or both) — review them all.",
        "# To finish it: fill in `organization:`, name the kinds of people in `subjects:`, add",
        "# purposes and retention rules (then remove L007 from `checks.ignore`), and run",
        "# `lawful check -m THIS_FILE`.",
        "version: 1",
        "",
        "# organization: {name: …, address: {street: …, city: …, country: FR},",
        "#                contact: {email: …}, jurisdictions: [gdpr]}",
        "",
        "subjects:",
        "  person:",
        "    name: People found in the scanned stores",
        "    minimum_age: 16  # GDPR Art. 8(1) default: check your country's age",
        "",
        "systems:",
    ]
    for system in systems:
        lines += _system_lines(system, datamap)
    lines += ["", "datasets:"]
    for system in systems:
        for table in system.tables:
            lines += _dataset_lines(
                system.system,
                table,
                ids[(system.system, table.table.name)],
                references[(system.system, table.table.name)],
            )
    lines += ["", *_checks(systems, references)]
    return "\n".join(lines)


def _checks(
    systems: list[ScannedSystem], references: dict[tuple[str, str], dict[str, str]]
) -> list[str]:
    """The `checks:` section: L007 silenced, and L002/L003 where special or criminal data
    was drafted (GDPR Art. 9(2) and Art. 10 conditions are the user's to name)."""
    drafted = {
        f.category
        for system in systems
        for table in system.tables
        for f in draft_fields(table, references[(system.system, table.table.name)])
    }
    found = {_sensitivity(c) for c in drafted}
    codes = ["L007"]
    lines = ["checks:"]
    for sensitivity, code, article in (
        (Sensitivity.special, "L002", "special categories (GDPR Art. 9): name each purpose's "
         "Art. 9(2) condition (`special_condition:`)"),
        (Sensitivity.criminal, "L003", "criminal data (GDPR Art. 10): name each purpose's "
         "authorisation (`criminal_condition:`)"),
    ):  # fmt: skip
        if sensitivity in found:
            codes.append(code)
            lines.append(f"  # {code}: the scan found {article}, then remove {code} below")
    lines.append(
        f"  ignore: [{', '.join(codes)}]  # no retention rules yet: write them, then remove L007"
    )
    return [*lines, ""]


def _sensitivity(category: str) -> Sensitivity:
    """The category's sensitivity, or its nearest parent's."""
    known = default_categories()
    parts = category.split(".")
    for size in range(len(parts), 0, -1):
        found = known.get(".".join(parts[:size]))
        if found is not None:
            return found.sensitivity
    return Sensitivity.ordinary


def _system_lines(system: ScannedSystem, datamap: DataMap | None) -> list[str]:
    known = datamap.systems.get(system.system) if datamap is not None else None
    connection = system.connection
    where = (
        f"url_env: {connection.url_env}"
        if connection.url_env
        else f"path: {scalar(connection.path or '')}"
    )
    return [
        f"  {system.system}:",
        f"    name: {scalar(known.name if known else 'Scanned ' + system.schema.backend + ' database')}",
        f"    owner: {scalar(known.owner if known else 'TODO: who answers for it')}",
        f"    location: {known.location if known else 'ZZ'}"
        + ("" if known else "  # TODO: the country where it is stored"),
        f"    connection: {{type: {connection.type}, {where}}}",
    ]


def _dataset_lines(
    system: str, table: ScannedTable, dataset: str, references: dict[str, str]
) -> list[str]:
    fields = draft_fields(table, references)
    key = table.table.primary_key
    lines = [
        "",
        f"  {dataset}:",
        f"    system: {system}",
        f"    table: {scalar(table.table.name)}",
        "    subject: person",
    ]
    if len(key) > 1:
        lines.append(f"    primary_key: [{', '.join(scalar(k) for k in key)}]")
    elif key:
        lines.append(f"    primary_key: {scalar(key[0])}")
    else:
        lines.append(
            f"    primary_key: {scalar(table.table.columns[0].name)}  # TODO: the table has no primary key"
        )
    identities = _identities(fields)
    if not identities and not references:
        identities = {"customer_id": key[0] if key else table.table.columns[0].name}
    if identities:
        lines.append(
            "    identities: {"
            + ", ".join(f"{k}: {scalar(v)}" for k, v in identities.items())
            + "}"
        )
    lines.append(f"    fields:  # {table.sampled_rows} rows sampled")
    for f in fields:
        ref = f", references: {f.reference}" if f.reference else ""
        ref += ", free_text: true" if f.free_text else ""
        lines.append(
            f"      {scalar(f.name)}: {{category: {f.category}, erase: {f.erase}{ref}}}  # {f.note}"
        )
    return lines


def _identities(fields: list[DraftField]) -> dict[str, str]:
    found: dict[str, str] = {}
    for f in fields:
        kind = {"contact.email": "email", "contact.phone": "phone"}.get(f.category)
        if kind and kind not in found:
            found[kind] = f.name
    return found
