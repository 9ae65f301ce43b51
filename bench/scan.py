"""`lawful scan` on the example company's databases, without its map, against the map.

    .venv/bin/lawful demo generate --subjects 1000000 -o "$TMPDIR/demo"   # once
    .venv/bin/python bench/scan.py "$TMPDIR/demo"                        # the scan, timed
    .venv/bin/python bench/scan.py "$TMPDIR/demo" --misses               # and what it missed

Every `*.sqlite` file of the folder is scanned as a store of its own (the system named after
the file), as `lawful scan --url-env` would: the live structure, a sample of each table
(`--rows`, default 200), each column classified; nothing read from the map. Then each field
the example map (examples/contact-center/lawful.yaml) declares is looked up in the draft:
the draft's category matches when it is the map's, or one is the other's parent (the map's
`identifier.government_id` and the draft's `identifier.government_id.social_security`).

"Personal fields" are the declared fields less internal keys (`identifier.internal`) and
record dates (`record.timestamp`), which a scan writes for every key and date column
whatever they hold; the match over every declared field is printed too. The time is the
wall-clock time of the scan alone (opening the files, reading structure and samples,
classifying), printed with the load average. `--misses` lists the fields missed, with the
category each side gave (column names and categories only: never a value).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lawful.connectors.registry import open_connector
from lawful.datamap.loader import load_datamap
from lawful.datamap.models import Connection
from lawful.discovery.draft import draft_fields
from lawful.discovery.scan import ScannedSystem, column_analyzer, scan_connector

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "contact-center" / "lawful.yaml"
NOT_COUNTED = ("identifier.internal", "record.timestamp")


def scan_folder(folder: Path, rows: int) -> list[ScannedSystem]:
    """Scan every SQLite file of `folder`, each as a system named after the file."""
    analyzer = column_analyzer()
    systems = []
    for path in sorted(folder.glob("*.sqlite")):
        connection = Connection(type="sqlite", path=str(path))
        connector = open_connector(path.stem, connection, base_dir=folder, environ=os.environ)
        try:
            found = scan_connector(
                system=path.stem,
                connector=connector,
                connection=connection,
                rows=rows,
                analyzer=analyzer,
            )
        finally:
            connector.close()
        if found is not None:
            systems.append(found)
    return systems


def drafted(systems: list[ScannedSystem]) -> dict[tuple[str, str, str], str]:
    """(system, table, column) → the category the draft gives it."""
    out = {}
    for system in systems:
        for table in system.tables:
            for field in draft_fields(table, {}):
                out[(system.system, table.table.name, field.name)] = field.category
    return out


def matches(declared: str, found: str | None) -> bool:
    if found is None:
        return False
    return declared == found or found.startswith(declared + ".") or declared.startswith(found + ".")


def compare(
    draft: dict[tuple[str, str, str], str], map_path: Path
) -> list[tuple[str, str, str, str, str | None]]:
    """(system, table, column, declared category, drafted category) of every declared field."""
    datamap = load_datamap(map_path).datamap
    rows = []
    for did, dataset in datamap.datasets.items():
        table = dataset.table or did
        for column, field in dataset.fields.items():
            key = (dataset.system, table, column)
            rows.append((*key, str(field.category), draft.get(key)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder `lawful demo generate` wrote")
    parser.add_argument("--rows", type=int, default=200, help="rows sampled per table")
    parser.add_argument("--map", type=Path, default=EXAMPLE, help="the map to compare with")
    parser.add_argument("--misses", action="store_true", help="list the fields missed")
    args = parser.parse_args()
    if not any(args.folder.glob("*.sqlite")):
        sys.exit(f"no *.sqlite file in {args.folder}: run `lawful demo generate -o` there first")
    started = time.perf_counter()
    systems = scan_folder(args.folder, args.rows)
    seconds = time.perf_counter() - started
    rows = compare(drafted(systems), args.map)
    columns = sum(len(t.columns) for s in systems for t in s.tables)
    personal = [r for r in rows if r[3] not in NOT_COUNTED]
    hit = sum(matches(r[3], r[4]) for r in personal)
    hit_all = sum(matches(r[3], r[4]) for r in rows)
    out = Console()
    table = Table("measure", "value")
    table.add_row("stores / tables / columns", f"{len(systems)} / "
                  f"{sum(len(s.tables) for s in systems)} / {columns}")  # fmt: skip
    table.add_row("scan time", f"{seconds:.1f} s ({columns / seconds:.0f} columns/s)")
    table.add_row(
        "personal fields matched", f"{hit} of {len(personal)} ({hit / len(personal):.1%})"
    )
    table.add_row(
        "all declared fields matched", f"{hit_all} of {len(rows)} ({hit_all / len(rows):.1%})"
    )
    table.add_row("load average", Path("/proc/loadavg").read_text().split()[0]
                  if Path("/proc/loadavg").exists() else "?")  # fmt: skip
    out.print(table)
    if args.misses:
        for system, tname, column, declared, found in personal:
            if not matches(declared, found):
                out.print(f"{system}.{tname}.{column}: map {declared}, draft {found}")


if __name__ == "__main__":
    main()
