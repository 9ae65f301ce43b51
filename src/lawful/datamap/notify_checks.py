"""L025: a dataset or system told of decisions through the HTTP connector must have one
(wrapped as a rule by `lawful.datamap.checks.notify_targets`)."""

from __future__ import annotations

from collections.abc import Iterator

from lawful.datamap.models import DataMap
from lawful.datamap.problems import DataPath

HTTP_CONNECTORS = frozenset({"http"})
Found = tuple[str, DataPath, str, str]  # code, where, what, how to fix


def notify_problems(datamap: DataMap) -> Iterator[Found]:
    """L025: `notify: http_connector` where the system has no HTTP connection."""
    for sid, system in datamap.systems.items():
        if system.notify == "http_connector" and not _http(datamap, sid):
            yield (
                "L025",
                ("systems", sid, "notify"),
                f"system {sid!r} is told through its HTTP connector but has none",
                "give it `connection: {type: http, ...}`, or use `webhook` or `manual`",
            )
    for did, dataset in datamap.datasets.items():
        if dataset.notify == "http_connector" and not _http(datamap, dataset.system):
            yield (
                "L025",
                ("datasets", did, "notify"),
                f"dataset {did!r} is told through its system's HTTP connector, and "
                f"system {dataset.system!r} has none",
                "give the system `connection: {type: http, ...}`, or use `webhook` or `manual`",
            )


def _http(datamap: DataMap, system_id: str) -> bool:
    system = datamap.systems.get(system_id)
    return bool(system and system.connection and system.connection.type in HTTP_CONNECTORS)
