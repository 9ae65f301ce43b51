"""Find connector classes by type name and open one for a system of the data map.

Connector classes are entry points in the `lawful.connectors` group, so a new connector is
one module plus one line in its package's metadata — the built-ins are registered the same
way, and the engine never names a connector class.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from lawful.connectors.base import ConnectionSpec, Connector, ConnectorError
from lawful.datamap.models import Connection
from lawful.datamap.outbound import ENV_VAR_PATTERN

GROUP = "lawful.connectors"
_ENV_NAME = re.compile(ENV_VAR_PATTERN)


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


@cache
def connector_type(name: str) -> type[Any]:
    """The connector class registered under `name` (imported on first use only)."""
    found = _entry_points().get(name)
    if found is None:
        known = ", ".join(sorted(_entry_points())) or "none installed"
        raise ConnectorError(
            f"unknown connector type `{name}`; known types: {known}. A connector from another "
            f"package must be installed and declared in the `{GROUP}` entry-point group"
        )
    try:
        loaded: Any = found.load()
    except (ImportError, AttributeError) as err:
        raise ConnectorError(
            f"the connector type `{name}` ({found.value}) could not be imported: {err}"
        ) from err
    if not isinstance(loaded, type):
        raise ConnectorError(f"the connector type `{name}` ({found.value}) is not a class")
    return loaded


def connector_types() -> dict[str, type[Any]]:
    """Every installed connector class by type name (imports them all)."""
    return {name: connector_type(name) for name in sorted(_entry_points())}


def open_connector(
    system_id: str,
    connection: Connection,
    *,
    base_dir: Path,
    environ: Mapping[str, str],
    cache_dir: Path | None = None,
) -> Connector:
    """Open the connector for one system: resolve its env vars and path, then instantiate.

    Raises ConnectorError, naming the system, for an unknown type, a missing env var or a
    connector that refuses its settings. Opening does not contact the store: call
    `test_connection()` for that.
    """
    cls = _connector_class(system_id, connection.type)
    url = _env_value(system_id, connection.url_env, environ) if connection.url_env else None
    spec = ConnectionSpec(
        system=system_id,
        type=connection.type,
        url=url,
        path=_resolve_path(connection.path, base_dir),
        options=connection.options,
        secrets={
            name: _env_value(system_id, name, environ) for name in _env_names(system_id, connection)
        },
        cache_dir=cache_dir,
    )
    try:
        connector = cls(spec)
    except ConnectorError as err:
        err.system = err.system or system_id
        raise
    if not isinstance(connector, Connector):
        raise ConnectorError(
            f"the `{connection.type}` connector class does not implement the Connector protocol",
            system=system_id,
        )
    return connector


def _connector_class(system_id: str, type_name: str) -> type[Any]:
    try:
        return connector_type(type_name)
    except ConnectorError as err:
        raise ConnectorError(str(err), system=system_id) from err


def _env_value(system_id: str, name: str, environ: Mapping[str, str]) -> str:
    value = environ.get(name)
    if not value:
        raise ConnectorError(
            f"the environment variable {name} is not set; export {name}=… before running "
            "(secrets live in the environment, never in the data map)",
            system=system_id,
        )
    return value


def _env_names(system_id: str, connection: Connection) -> list[str]:
    """Env var names given by options called `*_env`, at any depth (tokens, passwords, URLs)."""
    names = sorted(set(_walk_env_options(connection.options)))
    for key, name in names:
        if not _ENV_NAME.match(name):
            raise ConnectorError(
                f"option `{key}` must name an environment variable (like API_TOKEN), "
                "not hold the secret itself",
                system=system_id,
            )
    return sorted({name for _, name in names})


def _walk_env_options(value: object) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and key.endswith("_env") and isinstance(item, str):
                yield key, item
            else:
                yield from _walk_env_options(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_env_options(item)


def _resolve_path(path: str | None, base_dir: Path) -> Path | None:
    if path is None:
        return None
    resolved = Path(path).expanduser()
    return resolved if resolved.is_absolute() else base_dir / resolved
