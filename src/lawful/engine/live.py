"""Read the live structure of the map's SQL datastores, and check the map against it.

`lawful inspect` shows one system's structure; `lawful check --live` reports where the map
and the live stores disagree (rules in `lawful.engine.live_rules`, codes in docs/checks.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lawful.connectors.base import ConnectorError
from lawful.connectors.schema import LiveSchema
from lawful.datamap.checks import locate_findings
from lawful.datamap.loader import LoadedMap
from lawful.datamap.models import DataMap
from lawful.datamap.problems import Finding, Problem
from lawful.engine.datastores import ConnectorFactory, registry_factory
from lawful.engine.live_rules import live_findings


def read_system_schema(
    *, datamap: DataMap, system: str, base_dir: Path, environ: Mapping[str, str]
) -> LiveSchema | None:
    """The live structure of one system (None when its store cannot tell, like files).

    Raises ConnectorError naming the system when it is unknown, has no connection or
    cannot be reached.
    """
    if system not in datamap.systems:
        known = ", ".join(sorted(datamap.systems)) or "none"
        raise ConnectorError(f"no system `{system}` in the data map (systems: {known})")
    factory = registry_factory(datamap, base_dir=base_dir, environ=environ)
    return _read(factory, system, schemas_named(datamap, system))


def check_live(*, loaded: LoadedMap, base_dir: Path, environ: Mapping[str, str]) -> list[Problem]:
    """Connect to every system with a connection and report where the map and the live
    stores disagree; a system that cannot be reached is one D001 problem."""
    datamap = loaded.datamap
    factory = registry_factory(datamap, base_dir=base_dir, environ=environ)
    schemas: dict[str, LiveSchema] = {}
    unreachable: list[Finding] = []
    for sid, system in datamap.systems.items():
        if system.connection is None:
            continue
        try:
            live = _read(factory, sid, schemas_named(datamap, sid))
        except ConnectorError as error:
            unreachable.append(
                Finding(
                    "D001",
                    ("systems", sid, "connection"),
                    f"system `{sid}` cannot be read: {error.args[0]}",
                    "fix its `connection` or start the store; nothing else of this system was checked",
                )
            )
            continue
        if live is not None:
            schemas[sid] = live
    return locate_findings(loaded, [*unreachable, *live_findings(datamap, schemas)])


def _read(factory: ConnectorFactory, system: str, schemas: list[str]) -> LiveSchema | None:
    connector = factory(system)
    try:
        connector.test_connection()
        return connector.schema(schemas=schemas)
    finally:
        connector.close()


def schemas_named(datamap: DataMap, system: str) -> list[str]:
    """Database schemas the map's tables name (`sales.customers`) on this system."""
    return sorted(
        {
            (d.table or did).rpartition(".")[0]
            for did, d in datamap.datasets.items()
            if d.system == system and "." in (d.table or did)
        }
    )
