"""Connectors: one protocol over every store Lawful reads and changes (DESIGN.md §2).

The engine opens a connector with `open_connector` and talks to it only through the
`Connector` protocol; connector classes are found through the `lawful.connectors` entry
points, so adding one never touches the engine (see docs/connectors.md).
"""

from lawful.connectors.base import ConnectionSpec, Connector, ConnectorError, Row, batched
from lawful.connectors.registry import connector_type, connector_types, open_connector

__all__ = [
    "ConnectionSpec",
    "Connector",
    "ConnectorError",
    "Row",
    "batched",
    "connector_type",
    "connector_types",
    "open_connector",
]
