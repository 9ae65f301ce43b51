"""`lawful inspect`: the live structure of one system's datastore, as the checks read it."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lawful.cli import app
from lawful.cli.common import DEFAULT_MAP, DataDirOption, MapOption, err, load_or_exit, out
from lawful.connectors.schema import LiveTable


@app.command("inspect")
def inspect_system(
    system: Annotated[str, typer.Argument(help="The system id, as in the map's `systems:`.")],
    map_path: MapOption = DEFAULT_MAP,
    table: Annotated[str | None, typer.Option("--table", "-t", help="Only this table.")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Show a system's live tables: columns, types, NULL, keys, foreign keys with ON DELETE,
    case sensitivity and indexes."""
    from lawful.connectors.base import ConnectorError
    from lawful.engine.live import read_system_schema

    loaded = load_or_exit(map_path)
    base_dir = data_dir or loaded.path.parent
    try:
        live = read_system_schema(
            datamap=loaded.datamap, system=system, base_dir=base_dir, environ=os.environ
        )
    except ConnectorError as error:
        err.print(f"[red]error[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if live is None:
        out.print(f"system `{escape(system)}`: its store does not describe its structure")
        return
    tables = [t for t in live.tables if table in (None, t.name)]
    if not tables:
        err.print(f"[red]error[/] no table `{escape(table or '')}` in system `{escape(system)}`")
        raise typer.Exit(1)
    for found in tables:
        out.print(_render(found, live.backend))


def _render(live: LiveTable, backend: str) -> Table:
    view = Table(title=f"{live.name} ({backend})", title_justify="left")
    for heading in ("column", "type", "NULL", "key", "references", "case"):
        view.add_column(heading)
    keys = {c: "PK" for c in live.primary_key}
    for columns in live.unique_constraints:
        for c in columns:
            keys.setdefault(c, "unique")
    for column in live.columns:
        refs = [
            f"{fk.referred_table}.{fk.referred_columns[fk.columns.index(column.name)]} "
            f"ON DELETE {fk.on_delete}"
            for fk in live.foreign_keys
            if column.name in fk.columns and len(fk.referred_columns) == len(fk.columns)
        ]
        case = {None: "", True: "sensitive", False: "insensitive"}[column.case_sensitive]
        view.add_row(
            escape(column.name),
            escape(column.type),
            "NULL" if column.nullable else "NOT NULL",
            keys.get(column.name, ""),
            escape("; ".join(refs)),
            f"{case} ({escape(column.collation)})" if column.collation else case,
        )
    indexes = [
        f"{'unique ' if i.unique else ''}{i.name or '(unnamed)'} ({', '.join(map(str, i.parts))})"
        for i in live.indexes
    ]
    view.caption = escape("indexes: " + ("; ".join(indexes) or "none"))
    view.caption_justify = "left"
    return view
