"""A scan as plain data (for `--format json` and the summary table), and the draft written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lawful.datamap.models import DataMap
from lawful.discovery.draft import render_draft
from lawful.discovery.scan import ScannedSystem


def scan_report(
    systems: list[ScannedSystem], *, datamap: DataMap | None, output: Path | None
) -> dict[str, Any]:
    """Counts and categories per table and column (never a value); writes the draft map to
    `output` when given."""
    if output is not None:
        output.write_text(render_draft(systems, datamap=datamap), encoding="utf-8")
    return {
        "draft": str(output) if output is not None else None,
        "systems": [
            {
                "system": s.system,
                "backend": s.schema.backend,
                "tables": [
                    {
                        "table": t.table.name,
                        "rows_sampled": t.sampled_rows,
                        "columns": [
                            {
                                "column": name,
                                "category": c.category,
                                "confidence": c.confidence,
                                "evidence": c.evidence,
                                "values_sampled": c.sampled,
                                "values_matched": c.matched,
                            }
                            for name, c in t.columns.items()
                        ],
                    }
                    for t in s.tables
                ],
            }
            for s in systems
        ],
    }


def summary_rows(report: dict[str, Any]) -> list[tuple[str, str, int, int, int, str]]:
    """(system, table, rows sampled, columns, personal columns, their categories) per table."""
    rows = []
    for system in report["systems"]:
        for table in system["tables"]:
            personal = [c for c in table["columns"] if c["category"]]
            categories = ", ".join(sorted({c["category"] for c in personal}))
            rows.append(
                (
                    system["system"],
                    table["table"],
                    table["rows_sampled"],
                    len(table["columns"]),
                    len(personal),
                    categories,
                )
            )
    return rows
