"""Drift: live columns the map does not declare that look personal (`lawful check --live`, D013).

D004 (lawful.engine.live_rules) says a column is undeclared; this samples those columns
(bounded, like a scan) and says which look personal, with the category guessed and the YAML
to add. A store that cannot be read is skipped: D001 already reports it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from lawful.connectors.base import Connector, ConnectorError
from lawful.connectors.registry import open_connector
from lawful.connectors.schema import LiveSchema
from lawful.datamap.checks import locate_findings
from lawful.datamap.loader import LoadedMap
from lawful.datamap.models import DataMap
from lawful.datamap.problems import Finding, Problem
from lawful.discovery.classify import classify_column
from lawful.discovery.context import in_context
from lawful.discovery.draft import erase_for, scalar
from lawful.discovery.scan import SAMPLE_ROWS, URL_TYPES, column_analyzer, sample_table
from lawful.engine.live import schemas_named
from lawful.recognizers.analyzer import Analyzer


def personal_drift(
    *, loaded: LoadedMap, base_dir: Path, environ: Mapping[str, str], rows: int = SAMPLE_ROWS
) -> list[Problem]:
    """D013 for every undeclared live column of a declared table that looks personal."""
    datamap = loaded.datamap
    analyzer = column_analyzer()
    findings: list[Finding] = []
    for sid, system in datamap.systems.items():
        if system.connection is None or system.connection.type not in set(URL_TYPES.values()):
            continue
        try:
            connector = open_connector(sid, system.connection, base_dir=base_dir, environ=environ)
        except ConnectorError:
            continue
        try:
            connector.test_connection()
            live = connector.schema(schemas=schemas_named(datamap, sid))
            if live is not None:
                findings += _system_drift(datamap, sid, connector, live, rows, analyzer)
        except ConnectorError:
            continue
        finally:
            connector.close()
    return locate_findings(loaded, findings)


def _system_drift(
    datamap: DataMap,
    system: str,
    connector: Connector,
    live: LiveSchema,
    rows: int,
    analyzer: Analyzer,
) -> Iterator[Finding]:
    for did, dataset in datamap.datasets.items():
        table = live.table(dataset.table or did) if dataset.system == system else None
        undeclared = [c for c in table.columns if c.name not in dataset.fields] if table else []
        if table is None or not undeclared:
            continue
        sample = sample_table(connector, table, rows=rows, columns=[c.name for c in undeclared])
        classes = in_context(
            table.name,
            {
                c.name: classify_column(
                    c.name, c.type, [r.get(c.name) for r in sample], analyzer=analyzer
                )
                for c in undeclared
            },
            keys=set(table.primary_key) | {c for fk in table.foreign_keys for c in fk.columns},
        )
        for column in undeclared:
            found = classes[column.name]
            if found.category is None:
                continue
            yield Finding(
                "D013",
                ("datasets", did, "fields"),
                f"live column `{table.name}.{column.name}` is not declared in `{did}` and looks "
                f"personal: {found.category} (from its {found.evidence}, confidence {found.confidence})",
                f"add under `fields:` of `{did}`: "
                f"`{scalar(column.name)}: {{category: {found.category}, erase: {erase_for(column)}}}`",
            )
